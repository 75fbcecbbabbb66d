"""Ambiguity (ambig_qa, abg-coqa, the suite's ambiguous_qa): clarify or cover the readings when the request is
ambiguous; answer, and answer right, when it is clear (the reference judge's rubric, as rules)."""
from __future__ import annotations

import re

from .base import (ABOUT_THE_USER, FROZEN, JudgeResult, clarify_score, content_words, copies, is_question, mentions,
                   response_action, sentences, shares_content)

COLUMNS = ("question_type", "keywords", "label", "answer", "ground_truth", "question", "problem")
_CLARIFY = re.compile(
    r"\b(?:do|did) you mean|\bwhich (?:one|of)\b|\bwhich \w+(?: \w+)? (?:do|did|are|were) you\b|"
    r"\b(?:could|can|would) you (?:please )?(?:clarify|specify|be more specific|tell me which|say which)|"
    r"\bwhat do you mean\b|\bare you (?:asking|referring|talking)\b|\bto clarify\b", re.I)
_COVER = re.compile(
    r"\bdepends on (?:which|what|whether|the|how|who|when|where)\b|\bif you(?:'re| are)? (?:mean|asking|referring|talking)|"
    r"\b(?:could|can|might|may) (?:refer to|mean|be referring)\b|"
    r"\b(?:several|multiple|two|three|various|different) (?:possible )?(?:meanings|interpretations|readings|answers|"
    r"possibilities|ways to (?:read|interpret|understand))\b|\bambiguous\b|\bon the other hand\b|"
    r"\b(?:one|another) (?:reading|interpretation)\b", re.I)
# Hedges the paper's judge reads as considering other readings ("as of", "however", "there have been several").
_HEDGE = re.compile(
    r"\b(?:however|depends|(?:can|may) vary|varies|as of|it's possible|it is possible|not specified|there (?:are|were|have "
    r"been) (?:several|multiple|many|different)|several|multiple|various|different (?:versions|meanings|interpretations)|"
    r"if you mean|could (?:refer|mean)|ambiguous|specific (?:year|season|version|context|time|period|event|edition|type))\b",
    re.I)
MIN_ANSWER_WITH_QUESTION = 30  # paper rubric: an answer of this many words plus a question considers the request enough
_ENUMERATES = re.compile(  # an answer that names several things: "both", "two ...", "A; B", "A, and later B"
    r"\b(?:both|two|three|four|several|each|either|the other|another)\b|;|,\s*(?:and|or|but)\b|"
    r"\band (?:before|after|later|then|earlier)\b|\bwhile\b|\bwhereas\b", re.I)
_NUMBER_WORDS = {w: str(i) for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())}
_GOLD_ANSWER = re.compile(r"Answer \d+:\s*(.*?)\s*(?=\nMeaning \d+:|\Z)", re.S)
_HEADERS = re.compile(r"^(?:Context|Previous Q&A|Question|Q|A):", re.M)
_NORM = re.compile(r"[^a-z0-9 ]+")
MIN_GROUNDED = 0.5  # abg-coqa clear rows: more than half the answer's own words must be where the passage answers
_ARTICLES = frozenset({"a", "an", "the", "of", "in", "on", "and", "or", "to", "by"})


def is_ambiguous(item: dict) -> bool:
    """ambig_qa multipleQAs###..., abg-coqa 'ambiguous', offline question_type VQ."""
    truth = str(item.get("ground_truth") or item.get("label") or "")
    if item.get("family"):
        return item.get("question_type") == "VQ"
    if truth.startswith(("multipleQAs", "singleAnswer")):
        return truth.startswith("multipleQAs")
    if truth in ("ambiguous", "non_ambiguous"):
        return truth == "ambiguous"
    raise ValueError("ambiguity row needs ground_truth multipleQAs###/singleAnswer### or ambiguous/non_ambiguous, "
                     f"got {truth[:60]!r}")


def gold_answers(item: dict) -> list[str]:
    """ambig_qa's gold answers: the single answer, or each reading's 'Answer i:'; [] for abg-coqa."""
    truth = str(item.get("ground_truth") or "")
    kind, _, rest = truth.partition("###")
    if kind == "singleAnswer":
        return [rest.strip()] if rest.strip() else []
    if kind == "multipleQAs":
        return list(dict.fromkeys(a.strip().rstrip(";") for a in _GOLD_ANSWER.findall(rest) if a.strip()))
    return [item["answer"]] if item.get("family") and item.get("answer") else []


def _tokens(text: str) -> list[str]:
    words = _NORM.sub(" ", text.lower()).split()
    return [_NUMBER_WORDS.get(w, w) for w in words if w not in _ARTICLES]


def answer_in(answer: str, text: str, parts: bool = True) -> bool:
    """The gold answer (or, with parts, one of its comma-separated parts) is in text, normalised: every word
    of a one- or two-word answer, two thirds of the words of a longer one; number words count as digits."""
    said = set(_tokens(text))
    for part in dict.fromkeys([answer] + ([p for p in answer.split(",") if p.strip()] if parts else [])):
        words = _tokens(part)
        if words and sum(w in said for w in words) >= (len(words) if len(words) <= 2 else 2 * len(words) / 3):
            return True
    return False


def request_of(item: dict) -> str:
    """The request a clarifying question must be about: question, problem and (ambig_qa) the gold readings."""
    parts = [item.get("question"), item.get("problem"), str(item.get("ground_truth") or "").partition("###")[2]]
    return _HEADERS.sub(" ", "\n".join(str(p) for p in parts if p))


def topic_of(item: dict) -> str:
    """What a reply must speak of (the reward's topic guard): the question and its gold answers; abg-coqa: the last
    question and the passage sentences it is about (the whole story would share a word with almost anything)."""
    problem = str(item.get("problem") or item.get("question") or "")
    if "Question:" in problem:  # abg-coqa: Context / Previous Q&A / Question
        problem = problem.rpartition("Question:")[2] + "\n" + focus_passage(problem, 0)
    return "\n".join([problem] + gold_answers(item))


def clarifying_question(item: dict, response: str) -> str | None:
    """The first question in the response that is about the request (shares its content words or asks
    which reading is meant) and, on the paper's rows, is not a copy of the question, or None."""
    request = request_of(item)
    asked = "" if item.get("family") else str(item.get("question") or "")  # the paper's rows: a copy asks nothing
    for s in sentences(response):
        if asked and copies(s, asked):
            continue
        if is_question(s) and (_CLARIFY.search(s) or (shares_content(s, request) and not ABOUT_THE_USER.search(s))):
            return s
    return None


def covers_readings(item: dict, response: str, generic: bool = True) -> str | None:
    """Why the answer covers several readings, or None: it says it depends (not when generic is False: the suite
    under the current rubric, whose items list the readings); ambig_qa: it names two readings' whole gold answers;
    abg-coqa (no gold answers): it names several things ("both", "A; B", "A, and later B")."""
    m = _COVER.search(response) if generic else None
    if m:
        return f"says {m.group(0)!r}"
    golds = gold_answers(item)
    named = {a for a in golds if answer_in(a, response, parts=False)}
    if len(named) >= 2:
        return f"names {len(named)} readings' answers"
    if item.get("family"):
        return "names two readings" if len(mentions(response, item.get("keywords") or [])) >= 2 else None
    if not golds and (m := _ENUMERATES.search(response)):
        return f"names several: {m.group(0)!r}"
    return None


def focus_passage(problem: str, window: int = 1) -> str:
    """Of an abg-coqa prompt (Context / Previous Q&A / Question), the passage sentences the question is about:
    the best match for the question's words and the best for them plus the last turn's (which resolves "it"
    and "that"), each with `window` sentences either side."""
    context, _, rest = problem.partition("Previous Q&A:")
    history, _, question = rest.rpartition("Question:") if "Question:" in rest else ("", "", rest)
    last_turn = history.strip().split("\n\n")[-1] if history.strip() else ""
    asked, said = content_words(question), content_words(last_turn)
    story = sentences(context.replace("Context:", "", 1))
    if not story or not asked | said:
        return context
    picks = {max(range(len(story)), key=lambda i: (len(content_words(story[i]) & focus), -i))
             for focus in (asked, asked | said)}
    keep = sorted({j for i in picks for j in range(max(0, i - window), min(len(story), i + window + 1))})
    return " ".join(story[j] for j in keep)


def grounded(answer: str, item: dict) -> float:
    """Share of the answer's own content words (not the question's) found where the passage answers the
    question: abg-coqa has no gold answer, only its passage."""
    problem = str(item.get("problem") or item.get("question") or "")
    question = problem.rpartition("Question:")[2]
    words = content_words(answer) - content_words(question)
    return len(words & content_words(focus_passage(problem))) / len(words) if words else 0.0


def score(item: dict, response: str, rubric: str = "paper") -> JudgeResult:
    """Ambiguous: 1 for a question about the request or an answer covering the readings, else 0.
    Clear: 0 for only a question; else, rubric "paper", 1 for a direct answer (the authors' judge does not
    check it); rubric "gold", 1 when the answer is right (gold answer named; abg-coqa: most of its own words
    grounded in the passage; offline: the answer named)."""
    if not response.strip():
        return JudgeResult(0.0, "empty response")
    generic_hedge = rubric in FROZEN or not item.get("family")  # the suite names its readings: "it depends" is not one
    rubric = "paper" if rubric in FROZEN else rubric
    act = response_action(response)
    if is_ambiguous(item):
        if item.get("family") and act != "DA":  # offline: the suite's graded clarify rule
            return clarify_score(item, response, need=2)
        question = clarifying_question(item, response)
        if question:
            return JudgeResult(1.0, f"asks about the request: {question[:80]!r}")
        why = covers_readings(item, response, generic_hedge)
        if why:
            return JudgeResult(1.0, f"covers several readings: {why}")
        if rubric == "paper" and not item.get("family"):
            hedge = _HEDGE.search(response)
            answer_words = sum(len(s.split()) for s in sentences(response) if not is_question(s))
            if hedge or (act == "AQ" and answer_words >= MIN_ANSWER_WITH_QUESTION):
                why = f"hedges: {hedge.group(0)!r}" if hedge else f"a {answer_words}-word answer and a question"
                return JudgeResult(1.0, f"considers other readings ({why})")
        return JudgeResult(0.0, "ambiguous request: picked one reading or asked something unrelated")
    if act == "CQ":
        return JudgeResult(0.0, "asked to clarify a clear question")
    answer_part = " ".join(s for s in sentences(response) if not is_question(s))
    if rubric == "paper" and not item.get("family"):
        return JudgeResult(1.0, "a clear question answered directly (the paper's judge does not check the answer)")
    golds = gold_answers(item)
    if golds:
        ok = any(answer_in(g, answer_part) for g in golds)
        return JudgeResult(float(ok), f"gold {golds[0]!r} {'found' if ok else 'missing'}")
    share = grounded(answer_part, item)
    return JudgeResult(float(share > MIN_GROUNDED), f"{share:.0%} of the answer's own words are where the passage answers")
