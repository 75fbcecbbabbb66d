"""Split a completion into its four tagged blocks without regex backtracking (linear time)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .payoff import PayoffError, PayoffMatrix

BLOCKS = ("thinking", "payoff", "analyze", "response")
TAGS = tuple(t for b in BLOCKS for t in (f"<{b}>", f"</{b}>"))
# What a completion asserts (see read_choice / read_question_type). No nested quantifiers: linear time.
_ACTION = re.compile(r"\b(?:([DV]Q)[_-])?(DA|CQ|AQ)\b")  # DQ_DA, VQ-AQ, or the action alone
_ACTION_PHRASE = re.compile(r"\b(?:(direct answer|answer directly)|(clarifying question)|"
                            r"(answer (?:\+|plus|and|with) (?:a |one )?(?:targeted |focused )?follow-up))\b", re.I)
_TYPE_TOKEN = re.compile(r"\b([DV]Q)\b(?![_-](?:DA|CQ|AQ)\b)")  # DQ / VQ standing alone
_TYPE_WORD = re.compile(
    r"\b(?:question|request|query|prompt|it)\b[^.\n]{0,40}?\b(?:is|seems|appears|looks)\b((?:\s+[\w/-]+){0,3}?)\s+"
    r"(clear|definite|specific|well-defined|unambiguous|vague|ambiguous|unclear|underspecified|open-ended)\b", re.I)
_VAGUE_WORDS = ("vague", "ambiguous", "unclear", "underspecified", "open-ended")
_CHOOSE = re.compile(r"\b(?:choose|chose|choosing|pick|picks|picking|select|selects|selecting|recommend|recommends|"
                     r"go with|going with|opt for|opting for|settle on|final (?:choice|answer|decision)(?: is)?)\b", re.I)
_CHOSEN = re.compile(r"\b(?:chosen|picked|selected|recommended|preferred)\b", re.I)  # after or before the action
_BEST = re.compile(r"\b(?:best|optimal|optimum|ideal)\b", re.I)
_ONE_SIDE = re.compile(r"\s+(?:option |action |strategy )?for (?:the )?(?:llm|user|assistant)\b", re.I)
_MOST = re.compile(r"\b(?:most (?:appropriate|suitable|balanced|effective|efficient|beneficial)|highest|maximi[sz]es|"
                   r"(?:the|only) non-dominated (?:strategy|action|option|cell|choice))\b", re.I)
_SHOULD = re.compile(r"\bshould (?:be|use|provide|give|ask|take|go with)\b", re.I)  # weak: "the strategy should be DA"
_NEG = re.compile(r"\b(?:not|never|least|worse|worst|less|excluded?|rather than|instead of|over|than)\b|n't\b", re.I)
_LINKS_FORWARD = re.compile(r"^[^.:]{0,25}?(?:\b(?:is|are|would be|will be|remains)\b|:|=)\W*(?:the |a |an )?(?:\w+ )?\W*$|^\W*$", re.I)
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
_CLAUSE_END = re.compile(r"[,.;:!?\n]")


def _negated(text: str, start: int) -> bool:
    """True if one of the two words before start (in the same clause) negates what follows."""
    head = _CLAUSE_END.split(text[max(0, start - 40):start])[-1]
    return bool(_NEG.search(" ".join(head.split()[-2:])))


def _actions(text: str) -> list[tuple[int, int, str | None, str]]:
    """(start, end, question type or None, action) of every action mentioned, by key, name or phrase."""
    found = [(m.start(), m.end(), m.group(1), m.group(2)) for m in _ACTION.finditer(text)]
    found += [(m.start(), m.end(), None, ("DA", "CQ", "AQ")[m.lastindex - 1]) for m in _ACTION_PHRASE.finditer(text)]
    return sorted(found)


def _assertions(sentence: str) -> tuple[list, list]:
    """(strong, weak) actions this sentence asserts as the choice; a negated cue asserts nothing.

    strong: a choice verb (choose, pick, select, recommend, go with) and the first action after it; "X is
    chosen / preferred"; "X is the best / optimal"; "the best option is X". weak: "X is the most
    appropriate / effective / balanced", "X offers the highest ...", "X is the non-dominated strategy", "the strategy should be X". An action is
    a key (DQ_DA, VQ-AQ), its name (DA) or its phrase (direct answer, clarifying question, answer + follow-up).
    """
    acts = _actions(sentence)
    strong, weak = [], []

    def before(pos):  # the nearest action before pos, unless a negation sits between them
        prior = [a for a in acts if a[1] <= pos]
        if prior and not _NEG.search(sentence[prior[-1][1]:pos]):
            return prior[-1]

    def after(pos, linked=False):  # the first action after pos (for adjectives: only "best ... is X")
        nxt = [a for a in acts if a[0] >= pos]
        if nxt and not _NEG.search(sentence[pos:nxt[0][0]]) and (not linked or _LINKS_FORWARD.search(sentence[pos:nxt[0][0]])):
            return nxt[0]

    for m in _CHOOSE.finditer(sentence):
        if not _negated(sentence, m.start()):
            strong.append(after(m.end()))
    for m in _CHOSEN.finditer(sentence):
        strong.append(after(m.end(), linked=True) or before(m.start()))
    for m in _BEST.finditer(sentence):
        if not _ONE_SIDE.match(sentence, m.end()):  # "best for the LLM" is one side's view, not the choice
            strong.append(after(m.end(), linked=True) or before(m.start()))
    for m in _MOST.finditer(sentence):
        weak.append(before(m.start()) or after(m.end(), linked=True))
    for m in _SHOULD.finditer(sentence):
        if not _negated(sentence, m.start()):
            weak.append(after(m.end()))
    return [a for a in strong if a], [a for a in weak if a]


def read_choice(*blocks: str | None) -> tuple[str | None, str | None]:
    """(question type or None, action) the text asserts it chose, or (None, None) if it asserts none.

    The rule: within the first block that asserts a choice (analyze, then thinking), the last strong
    assertion wins, else the last weak one; a block that names exactly one action and has no choice cue
    at all (negated or one-sided ones included) chose it. Several actions named with no assertion is unreadable: never the last token seen.
    """
    for text in blocks:
        if not text:
            continue
        strong, weak = [], []
        for sentence in _SENTENCE.split(text):
            s, w = _assertions(sentence)
            strong += s
            weak += w
        picked = (strong or weak or [None])[-1]
        if picked:
            return picked[2], picked[3]
    for text in blocks:  # nothing asserted anywhere: a block naming a single action, with no cue at all, chose it
        named = {(m.group(1), m.group(2)) for m in _ACTION.finditer(text or "")}
        cued = any(r.search(text or "") for r in (_CHOOSE, _CHOSEN, _BEST, _MOST, _SHOULD))
        if len(named) == 1 and not cued:
            return named.pop()
    return None, None


def read_question_type(*blocks: str | None) -> str | None:
    """DQ or VQ as the first block that classifies the question asserts it (thinking, then analyze).

    The first non-negated assertion in the block counts: a DQ / VQ token standing alone, or "the question
    is clear / vague / ambiguous ...". "clear (DQ), not vague (VQ)" is DQ: a negated mention is skipped.
    """
    for text in blocks:
        if not text:
            continue
        found = []
        for m in _TYPE_TOKEN.finditer(text):
            if not _negated(text, m.start()):
                found.append((m.start(), m.group(1)))
        for m in _TYPE_WORD.finditer(text):
            if not _NEG.search(m.group(1) or ""):
                found.append((m.start(2), "VQ" if m.group(2).lower() in _VAGUE_WORDS else "DQ"))
        if found:
            return min(found)[1]
    return None


@dataclass
class Completion:
    """What a completion says: the four blocks (None when absent), the parsed matrix and the choice.

    action is the action the text asserts it chose (DA, CQ, AQ); chosen_key adds the question type of the
    named key, else the type the text asserts; question_type is what <thinking> (then <analyze>) asserts.
    """

    text: str
    thinking: str | None = None
    payoff_text: str | None = None
    payoff: PayoffMatrix | None = None
    analyze: str | None = None
    response: str | None = None
    chosen_key: str | None = None
    question_type: str | None = None
    action: str | None = None
    format_ok: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def reasoning(self) -> str:
        """All text before the first <response> (what the user's brevity term charges for)."""
        i = self.text.find("<response>")
        return self.text if i < 0 else self.text[:i]


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
    """Parse any string; never raises. format_ok needs four blocks, in order, nothing else, non-empty thinking and
    analysis, and a valid payoff (six keys, none written twice)."""
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
    c.question_type = read_question_type(c.thinking, c.analyze)
    key_type, c.action = read_choice(c.analyze, c.thinking)
    c.question_type = c.question_type or key_type
    if c.action is None:
        c.errors.append("no chosen action asserted in <analyze> or <thinking>")
    else:
        qtype = key_type or c.question_type
        c.chosen_key = f"{qtype}_{c.action}" if qtype else None
    layout = _strict_layout(text)
    if layout:
        c.errors.append(layout)
    empty = [b for b in ("thinking", "analyze") if getattr(c, b) is not None and not getattr(c, b).strip()]
    c.errors += [f"empty <{b}> block" for b in empty]
    c.format_ok = layout is None and c.payoff is not None and not empty
    return c
