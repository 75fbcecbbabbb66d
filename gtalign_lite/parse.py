"""Split a completion into its four tagged blocks without regex backtracking (linear time)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .payoff import PayoffError, PayoffMatrix

BLOCKS = ("thinking", "payoff", "analyze", "response")
TAGS = tuple(t for b in BLOCKS for t in (f"<{b}>", f"</{b}>"))
_KEY = re.compile(r"\b([DV]Q)_(AQ|CQ|DA)\b")  # no nested quantifiers: linear
_QTYPE = re.compile(r"\b([DV]Q)\b")


@dataclass
class Completion:
    """What a completion says: the four blocks (None when absent), the parsed matrix and the choice."""

    text: str
    thinking: str | None = None
    payoff_text: str | None = None
    payoff: PayoffMatrix | None = None
    analyze: str | None = None
    response: str | None = None
    chosen_key: str | None = None
    question_type: str | None = None
    format_ok: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def reasoning(self) -> str:
        """All text before the first <response> (what the user's brevity term charges for)."""
        i = self.text.find("<response>")
        return self.text if i < 0 else self.text[:i]

    @property
    def action(self) -> str | None:
        """DA, CQ or AQ from the chosen key."""
        return self.chosen_key[3:] if self.chosen_key else None


def _block(text: str, name: str, start: int = 0, last_close: bool = False) -> tuple[str | None, int, int]:
    """Content of the first <name>…</name> at or after start, with the span; (None, -1, -1) if absent."""
    open_tag, close_tag = f"<{name}>", f"</{name}>"
    i = text.find(open_tag, start)
    if i < 0:
        return None, -1, -1
    j = text.rfind(close_tag, i) if last_close else text.find(close_tag, i)
    if j < 0:
        return None, -1, -1
    return text[i + len(open_tag): j], i, j + len(close_tag)


def _strict_layout(text: str) -> str | None:
    """None if text is exactly four blocks in order with only whitespace around them, else the reason."""
    for tag in TAGS:
        n = text.count(tag)
        if n != 1:
            return f"{tag} appears {n} times (exactly once required)"
    pos, rest = 0, text
    for name in BLOCKS:
        i = rest.find(f"<{name}>")
        if i < pos:
            return f"<{name}> out of order"
        if rest[pos:i].strip():
            return f"text outside the blocks before <{name}>"
        j = rest.find(f"</{name}>", i)
        if j < i:
            return f"</{name}> comes before <{name}>"
        pos = j + len(f"</{name}>")
    if rest[pos:].strip():
        return "text after </response>"
    return None


def parse_completion(text) -> Completion:
    """Parse any string; never raises. format_ok needs four blocks, in order, nothing else, and a valid payoff."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    c = Completion(text=text)
    c.thinking, _, _ = _block(text, "thinking")
    c.payoff_text, _, _ = _block(text, "payoff")
    c.analyze, _, _ = _block(text, "analyze")
    c.response, _, _ = _block(text, "response", last_close=True)
    for name in BLOCKS:
        if getattr(c, "payoff_text" if name == "payoff" else name) is None:
            c.errors.append(f"missing <{name}> block")
    if c.payoff_text is not None:
        try:
            c.payoff = PayoffMatrix.from_text(c.payoff_text)
        except PayoffError as e:
            c.errors.append(str(e))
    if c.analyze is not None:
        keys = _KEY.findall(c.analyze)
        if keys:
            c.chosen_key = "_".join(keys[-1])
        else:
            c.errors.append("no payoff key named in <analyze>")
    if c.chosen_key:
        c.question_type = c.chosen_key[:2]
    elif c.thinking:
        types = _QTYPE.findall(c.thinking)
        c.question_type = types[-1] if types else None
    layout = _strict_layout(text)
    if layout:
        c.errors.append(layout)
    c.format_ok = layout is None and c.payoff is not None
    return c
