"""The payoff matrix a model writes inside <payoff>: six (LLM, user) cells, parsed strictly."""
from __future__ import annotations

import ast
import json
import math
from dataclasses import dataclass
from typing import Mapping, NamedTuple

QUESTION_TYPES = ("DQ", "VQ")  # definite / vague question
ACTIONS = ("AQ", "CQ", "DA")  # answer+question, clarifying question, direct answer
KEYS = tuple(f"{q}_{a}" for q in QUESTION_TYPES for a in ACTIONS)  # fixed order, also the last tie-break
SIDES = ("LLM", "user")
MAX_PAYOFF_CHARS = 20_000  # a six-cell matrix is < 1 KB; longer text is rejected before parsing
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})


class PayoffError(ValueError):
    """A payoff block that is not exactly six cells of two finite numbers; the message names the key."""


class Cell(NamedTuple):
    """One payoff cell: what the LLM and the user get."""

    llm: float
    user: float


def _number(value, where: str) -> float:
    """Return value as a finite float, or raise PayoffError naming `where`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PayoffError(f"{where}: expected a number, got {type(value).__name__} {value!r:.40}")
    try:
        out = float(value)
    except OverflowError:
        raise PayoffError(f"{where}: number too large") from None
    if not math.isfinite(out):
        raise PayoffError(f"{where}: expected a finite number, got {value!r}")
    return out


def _exact_keys(data: dict, expected, where: str, what: str) -> None:
    """Raise PayoffError unless data has exactly the expected keys, naming the missing or extra ones."""
    missing = [k for k in expected if k not in data]
    extra = [str(k) for k in data if k not in expected]
    if missing:
        raise PayoffError(f"{where}: missing {what} {', '.join(missing)}")
    if extra:
        raise PayoffError(f"{where}: extra {what} {', '.join(extra)[:200]}")


def _unique(pairs: list) -> dict:
    """A JSON object's pairs as a dict, refusing a key written twice (json.loads would keep the last silently)."""
    keys = [k for k, _ in pairs]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise PayoffError(f"payoff: key written twice: {', '.join(map(str, repeated))[:200]}")
    return dict(pairs)


def _no_repeated_keys(tree: ast.AST) -> None:
    """Raise PayoffError if any dict literal in the tree writes a key twice."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            _unique([(ast.literal_eval(k) if k is not None else None, None) for k in node.keys])


@dataclass(frozen=True)
class PayoffMatrix:
    """Six cells keyed DQ_AQ … VQ_DA; each cell is (LLM, user), higher is better."""

    cells: Mapping[str, Cell]

    @classmethod
    def from_dict(cls, data) -> "PayoffMatrix":
        """Validate a {key: {"LLM": x, "user": y}} mapping (a cell may also be the compact [x, y]); raise PayoffError
        naming what is wrong."""
        if not isinstance(data, dict):
            raise PayoffError(f"payoff: expected an object with keys {', '.join(KEYS)}, got {type(data).__name__}")
        _exact_keys(data, KEYS, "payoff", "key")
        cells = {}
        for key in KEYS:
            cell = data[key]
            if isinstance(cell, list) and len(cell) == 2:  # the compact cell [LLM, user] (gtalign_lite.twins)
                cell = dict(zip(SIDES, cell))
            if not isinstance(cell, dict):
                raise PayoffError(f"{key}: expected an object with LLM and user, got {type(cell).__name__}")
            _exact_keys(cell, SIDES, key, "sub-key")
            cells[key] = Cell(_number(cell["LLM"], f"{key}.LLM"), _number(cell["user"], f"{key}.user"))
        return cls(cells)

    @classmethod
    def from_text(cls, text: str) -> "PayoffMatrix":
        """Parse strict JSON first, then a Python-literal dict (single or curly quotes), like the reference."""
        if not isinstance(text, str):
            raise PayoffError(f"payoff: expected text, got {type(text).__name__}")
        text = text.strip()
        if not text:
            raise PayoffError("payoff: empty")
        if len(text) > MAX_PAYOFF_CHARS:
            raise PayoffError(f"payoff: {len(text)} characters, more than {MAX_PAYOFF_CHARS}")
        try:
            data = json.loads(text, object_pairs_hook=_unique)  # NaN/Infinity parse as floats, rejected by key below
        except PayoffError:
            raise
        except (ValueError, RecursionError):
            literal = text.translate(_QUOTES)
            try:
                data = ast.literal_eval(literal)
                _no_repeated_keys(ast.parse(literal, mode="eval"))
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError, OverflowError):
                raise PayoffError("payoff: neither JSON nor a Python dict literal") from None
        return cls.from_dict(data)

    def to_dict(self) -> dict:
        """Plain {key: {"LLM": x, "user": y}} in the fixed key order."""
        return {k: {"LLM": self.cells[k].llm, "user": self.cells[k].user} for k in KEYS}

    def to_json(self) -> str:
        """Strict JSON that from_text reads back to an equal matrix."""
        return json.dumps(self.to_dict())

    def __getitem__(self, key: str) -> Cell:
        return self.cells[key]

    def row(self, question_type: str | None) -> tuple[str, ...]:
        """The keys of one question type's row (all six when None)."""
        if question_type is None:
            return KEYS
        if question_type not in QUESTION_TYPES:
            raise ValueError(f"question_type must be one of {QUESTION_TYPES} or None, got {question_type!r}")
        return tuple(k for k in KEYS if k.startswith(question_type))

    def map(self, fn) -> "PayoffMatrix":
        """A new matrix with fn(key, cell) -> (llm, user) applied to every cell."""
        return PayoffMatrix({k: Cell(*map(float, fn(k, self.cells[k]))) for k in KEYS})
