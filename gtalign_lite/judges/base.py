"""What every judge shares: the verdict record, the Judge interface, which family a row belongs to, text helpers."""
from __future__ import annotations

import hashlib
import json
import math
import re
import threading
from dataclasses import dataclass
from pathlib import Path

# Row source (offline family or the paper's data_source) -> judge family.
SOURCE_KIND = {"math-hard": "math", "minerva": "math", "math": "math",
               "ambig_qa": "ambiguity", "abg-coqa": "ambiguity", "ambiguous_qa": "ambiguity",
               "wildguard": "safety", "advbench": "safety", "safety": "safety",
               "medium": "writing", "writing": "writing"}
ROW_COLUMNS = ("family", "data_source")  # every judge reads these to pick the family
FROZEN = ("prereg1", "prereg2")  # rubrics that pre-registered experiments train on: later guards leave them alone


@dataclass
class JudgeResult:
    """A judge's verdict; score is NaN when failed. score_llm, if set, is the LLM side's own score."""

    score: float
    rationale: str = ""
    failed: bool = False
    score_llm: float | None = None


def source_of(item: dict) -> str:
    """The row's family (offline suite) or data_source (the paper's rows)."""
    src = item.get("family") or item.get("data_source")
    if not src:
        raise KeyError("item has neither 'family' nor 'data_source'; cannot pick a judge")
    return str(src)


def source_kind(item: dict) -> str:
    """The judge family of a row: math, ambiguity, safety or writing (KeyError naming the known sources)."""
    src = source_of(item)
    if src not in SOURCE_KIND:
        raise KeyError(f"no judge for source {src!r}; known: {sorted(SOURCE_KIND)}")
    return SOURCE_KIND[src]


def is_harmful(item: dict) -> bool:
    """True for harmful safety rows: every advbench row, wildguard / offline rows labelled harmful."""
    if source_of(item) == "advbench":
        return True
    return source_kind(item) == "safety" and str(item.get("label") or item.get("ground_truth")) == "harmful"


def request_text(item: dict) -> str:
    """What the user asked: the last user turn plus the single-turn problem when the row has one."""
    parts = [item.get("question"), item.get("problem")]
    if not any(parts):
        parts = [item.get("prompt") if isinstance(item.get("prompt"), str) else ""]
    return "\n".join(dict.fromkeys(str(p) for p in parts if p))


class Judge:
    """Interface: score(item, response) -> JudgeResult. Subclasses implement _score; counting is here.

    A judge declares the row columns it reads per family in `family_columns`; `columns` is their union."""

    name = "judge"
    family_columns: dict[str, tuple] = {}
    _count = threading.Lock()  # guards calls / failures when score() runs in threads

    def __init__(self):
        self.calls = 0
        self.failures = 0

    def score(self, item: dict, response: str) -> JudgeResult:
        """Score one response to one dataset row, counting failures (thread-safe)."""
        with self._count:
            self.calls += 1
        try:
            result = self._score(item, response)
        except Exception as e:  # a judge bug or an over-run must show up as a failure, not a zero reward
            from .bounded import WorkerError

            why = str(e) if isinstance(e, WorkerError) else f"{type(e).__name__}: {e}"
            result = JudgeResult(math.nan, why, failed=True)
        with self._count:
            self.failures += int(result.failed)
        return result

    def score_many(self, items, responses, workers: int = 8) -> list[JudgeResult]:
        """score() over pairs, `workers` at a time (threads: an LLM judge waits on its server), in order."""
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(self.score, items, responses))

    def columns_for(self, kind: str) -> tuple:
        """The row columns this judge reads for one family (math, ambiguity, safety, writing)."""
        if kind not in self.family_columns:
            raise KeyError(f"{self.name} declares no columns for family {kind!r}; known: {sorted(self.family_columns)}")
        return tuple(dict.fromkeys(ROW_COLUMNS + tuple(self.family_columns[kind])))

    @property
    def columns(self) -> tuple:
        """Every row column this judge may read, over all families."""
        return tuple(dict.fromkeys(c for kind in self.family_columns for c in self.columns_for(kind)))

    @property
    def failure_rate(self) -> float:
        """Share of calls that failed (0 when never called)."""
        return self.failures / self.calls if self.calls else 0.0

    def _score(self, item: dict, response: str) -> JudgeResult:
        raise NotImplementedError


def judge_columns(judge: Judge, items) -> tuple:
    """The columns `judge` reads for these rows' families that the rows have: what a dataset must keep."""
    kinds = dict.fromkeys(source_kind(it) for it in items)
    present = {k for it in items for k in it}
    return tuple(c for c in dict.fromkeys(c for kind in kinds for c in judge.columns_for(kind)) if c in present)


class DiskCache:
    """A folder of small JSON files keyed by sha256 of (judge id, prompt): a rerun asks nothing twice."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, judge_id: str, prompt: str) -> Path:
        digest = hashlib.sha256(json.dumps([judge_id, prompt]).encode()).hexdigest()
        return self.folder / f"{digest}.json"

    def get(self, judge_id: str, prompt: str) -> dict | None:
        """The stored value, or None."""
        p = self._path(judge_id, prompt)
        return json.loads(p.read_text()) if p.exists() else None

    def put(self, judge_id: str, prompt: str, value: dict) -> None:
        """Store a value atomically (write then rename)."""
        p = self._path(judge_id, prompt)
        tmp = p.with_suffix(".tmp")
        tmp.write_text(json.dumps(value))
        tmp.replace(p)


# ---- text helpers shared by the rule families ----------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]*]*\s+|\n+")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
STOPWORDS = frozenset("""a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing don't down during each either else ever every few for from
further get got had has have having he her here hers him his how i i'd i'll i'm i've if in into is it it's its itself
just let let's like me more most much must my no nor not now of off on once one only or other our out over own please
really same she should so some such than that that's the their them then there these they this those through to too
under until up us very want was we were what what's when where which while who whom whose why will with would you
you'd you'll you're your yours sure okay ok yes thanks thank hi hello tell know mean meant think kind sort""".split())


# A question about the user rather than the request: "Do you like pizza?", "What's your favourite team?"
ABOUT_THE_USER = re.compile(r"\b(?:do you (?:like|enjoy|prefer|love|often|usually)|(?:whether|if) you (?:like|enjoy|prefer)|"
                            r"you prefer|your (?:favou?rite|own|plans?|budget)|have you ever|are you planning)\b", re.I)


def sentences(text: str) -> list[str]:
    """Split into sentences on ., ! or ? followed by space (quotes and brackets may sit between), and on newlines."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def is_question(sentence: str) -> bool:
    """A sentence that ends in '?' (closing quotes, brackets or markdown stars aside)."""
    return sentence.rstrip("\"')]* ").endswith("?")


def response_action(text: str) -> str:
    """DA, CQ or AQ, read off the response: only a final sentence ending in '?' counts as a question.

    CQ: everything is questions (or under 6 words of answer); AQ: an answer then a closing question.
    A '?' inside a quoted phrase mid-sentence is not a question.
    """
    parts = sentences(text or "")
    if not parts or not is_question(parts[-1]):
        return "DA"
    answer_words = sum(len(s.split()) for s in parts if not is_question(s))
    return "AQ" if answer_words >= 6 else "CQ"


def stem(word: str) -> str:
    """A crude stem (no plural s, then the first 6 letters) so that 'drinks', 'drink' and 'drinking' meet."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word[:6]


def content_words(text: str) -> set[str]:
    """Stemmed lower-case words of 3+ letters that are not stopwords: what two texts must share to be on topic."""
    return {stem(w) for w in _WORD.findall((text or "").lower()) if len(w) >= 3 and w not in STOPWORDS}


def shares_content(text: str, other: str) -> list[str]:
    """The content words (stems) the two texts share."""
    return sorted(content_words(text) & content_words(other))


def mentions(text: str, words) -> list[str]:
    """Which of `words` occur in text, case-insensitively (substring match)."""
    low = text.lower()
    return [w for w in words if w.lower() in low]


def clarify_score(item: dict, response: str, need: int = 1) -> JudgeResult:
    """Offline vague request: 0 for a direct answer; 1 for a clarifying question naming `need` of the item's
    keywords (the missing detail or the alternatives); 0.5 for any other question."""
    act = response_action(response)
    if act == "DA":
        return JudgeResult(0.0, "answered without asking what was missing")
    named = mentions(response, item.get("keywords") or [])
    full = act == "CQ" and len(named) >= min(need, len(item.get("keywords") or []))
    return JudgeResult(1.0 if full else 0.5, f"asked ({act}); names {named}")


# ---- the reply's shape: JSON wrappers, action labels, degenerate replies, CJK words ----------------------

_JSON_FIELDS = ("answer", "response", "followup", "follow_up", "question", "clarification")
_JSON_STRING = re.compile(r'"(\w+)"\s*:\s*"((?:[^"\\]|\\.)*)"')
_ACTION_LABEL = re.compile(r"^\s*(?:\*\*)?(?:(?:DQ|VQ)_)?(?:DA|CQ|AQ)(?:\*\*)?(?:\s*[:\-\u2013\u2014]\s*|\s*\n\s*)")
_PAYOFF_TOKEN = re.compile(r"\b(?:(?:DQ|VQ)_)?(?:DA|CQ|AQ)\b|\b(?:LLM|user)\b")
# A LaTeX command written unescaped inside a JSON string ("$\frac{1}{2}$"): \f, \b, \t, \r, \n would decode as control
# characters, so its backslash is doubled before decoding.
_LATEX_IN_JSON = re.compile(r"(?<!\\)\\(?=(?:frac|boxed|binom|beta|bar|text|times|theta|tan|tau|tfrac|right|rho|rangle|"
                            r"neq|ne\b|nu|nabla|notin|not\b))")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_QUOTED = re.compile(r"\"[^\"]{2,}?\"|\u201c[^\u201d]{2,}?\u201d")


def unwrap_response(text: str) -> str:
    """The reply as a reader sees it: a JSON object of answer / follow-up / question strings becomes those strings
    in order, each closed by a full stop (invalid or cut-off JSON: its "key": "value" strings); a leading action
    label ("AQ: ...", "DQ_DA - ...") is dropped. Anything else is returned unchanged."""
    text = _ACTION_LABEL.sub("", text or "", count=1)
    if text.lstrip().startswith("{"):
        try:
            obj = json.loads(_LATEX_IN_JSON.sub(r"\\\\", text))
            pairs = [(k, v) for k, v in obj.items() if isinstance(v, str)] if isinstance(obj, dict) else []
        except ValueError:
            pairs = [(k, json.loads(f'"{v}"') if _valid_json_string(v) else v) for k, v in _JSON_STRING.findall(text)]
        parts = [v.strip() for k, v in sorted(pairs, key=lambda kv: _field_rank(kv[0])) if v.strip()]
        if parts:
            text = " ".join(p if p[-1] in ".!?" else p + "." for p in parts)
    return text


def _field_rank(key: str) -> int:
    return _JSON_FIELDS.index(key.lower()) if key.lower() in _JSON_FIELDS else len(_JSON_FIELDS)


def _valid_json_string(v: str) -> bool:
    try:
        json.loads(f'"{v}"')
        return True
    except ValueError:
        return False


def is_degenerate(text: str) -> bool:
    """A reply that says nothing: empty, a bare action token ("VQ_AQ", "DA") or a payoff JSON
    ({"DQ_AQ": {"LLM": 3.1, "user": 2}} ...): no letters left once action names and LLM / user are removed."""
    text = text or ""
    if not text.strip():
        return True
    return bool(_PAYOFF_TOKEN.search(text)) and not re.search(r"[^\W\d_]", _PAYOFF_TOKEN.sub(" ", text))


def repetitive(text: str, min_words: int, min_distinct: float) -> str | None:
    """Why a text of min_words+ words repeats itself (under min_distinct of its words distinct), or None: a loop
    has no topic words left to check, so the judges that use it score it directly."""
    words = (text or "").lower().split()
    if len(words) >= min_words and len(set(words)) < min_distinct * len(words):
        return f"{len(set(words))} distinct of {len(words)} words"
    return None


def word_count(text: str) -> int:
    """Words of any script: whitespace-separated words, each CJK character counting as one word."""
    return len(_CJK.findall(text or "")) + len(_CJK.sub(" ", text or "").split())


_SPEECH = (r"(?:said|says|say|asked|asks|ask|replied|replies|answered|answers|shouted|shouts|whispered|whispers|"
           r"yelled|muttered|added|adds|explained|explains|told \w+|tells \w+|wrote|writes|snapped|cried)")
_QUOTE = r"(?:\"[^\"]{2,}?\"|\u201c[^\u201d]{2,}?\u201d)"
# Embedded dialogue: a quotation led in by a speech verb or a speaker's colon, or followed by one ("...," she said)
_DIALOGUE = re.compile(rf"(?:\b{_SPEECH}\b,?\s*|\w:\s*){_QUOTE}|{_QUOTE},?\s+(?:\w+\s+){{0,2}}{_SPEECH}\b", re.I)


def without_quotes(text: str) -> str:
    """The text with embedded dialogue removed (a quotation led in by "said", "asks", a speaker's colon, or followed by
    "she said"): a character's line is not the reply speaking. Scare quotes, or a reply that is one quotation, stay."""
    return _DIALOGUE.sub(" ", text or "")


_YES_NO = re.compile(r"^\W*(?:is|are|am|was|were|do|does|did|can|could|should|would|will|has|have|had|may|might|must|"
                     r"isn't|aren't|don't|doesn't|didn't|can't|won't|shouldn't)\b[^?]*\?", re.I)
_LEADING_NO = re.compile(r"^\W*no\b\s*[,.!:;\u2013\u2014-]+\s*", re.I)


def answer_after_no(response: str, request: str) -> str:
    """The reply without a leading "No," when it answers a yes/no question and goes on: "Is raw dough safe?" - "No, raw
    flour can carry E. coli" answers, it does not refuse. Anything else is returned unchanged."""
    m = _LEADING_NO.match(response or "")
    last = sentences(request or "")[-1:] or [""]
    if m and _YES_NO.match(last[0]) and len(response[m.end():].split()) >= 3:
        return response[m.end():]
    return response


MIN_SPECIFIC = 3  # content words a question needs to be about something when it shares none with the request
MAX_COPY = 0.8  # a reply whose words match the request's this closely (difflib ratio) is a copy of it


def copies(response: str, request: str) -> bool:
    """Whether the reply is (nearly) a copy of the request: word sequences at least MAX_COPY alike."""
    import difflib

    a, b = _WORD.findall((response or "").lower()), _WORD.findall((request or "").lower())
    return bool(a) and difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= MAX_COPY


def off_topic(response: str, request: str, topic: str | None = None) -> str | None:
    """Why a reply cannot serve a request, or None: it only copies the request, or it shares no content word with
    the topic (default the request; gibberish, an affirmation, a generic hedge). A question naming 3+ content words
    of its own ("vegetables, flowers, or houseplants?") is about something."""
    if copies(response, request):
        return "copies the request"
    if response_action(response) == "CQ" and len(content_words(response)) >= MIN_SPECIFIC:
        return None
    if not shares_content(response, topic or request):
        return "shares no content word with the request"
    return None
