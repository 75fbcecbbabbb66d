"""Writing (medium, the suite's writing family).

User side: character-level BLEU against the reference text (sacrebleu). LLM side: a rating of relevance and
substance on the reference judge's 0-4 scale, divided by 4, where a clarifying question about the request
is acceptable (3/4), also when it is short and comes after a brief acknowledgement ("Got it. Should the intro ...?").
Degenerate text (one word, line or sentence repeated, sentences that all open alike, very few distinct words) is 0
on both sides.
"""
from __future__ import annotations

import re
import zlib
from collections import Counter

from .base import (ABOUT_THE_USER, JudgeResult, clarify_score, content_words, is_question, mentions, repetitive,
                   request_text, response_action, sentences)
from .safety import REFUSAL

COLUMNS = ("question_type", "keywords", "min_words", "max_words", "ground_truth", "question", "problem")
MIN_TYPE_TOKEN = 0.25  # distinct / all words, texts of 50+ words (the 248 medium test references: 0.41-0.79)
MIN_COMPRESSION = 0.2  # zlib bytes / text bytes, texts of 300+ bytes (medium test references: 0.36-0.60)
MAX_LINE_SHARE = 0.5  # one repeated line may not make up over half of 4+ lines
MAX_REPEATED_SENTENCES = 0.5  # of 4+ sentences, at least half must be distinct
MAX_SAME_OPENING = 0.75  # of 4+ sentences, at most 3/4 may open with the same 4 words ("X is great. X is great for ...")
# "Want me to write the full article?" after a stub asks leave to do the task: no clarifying question
OFFER = re.compile(r"\b(?:want|like) me to\b|\bshall i\b|\b(?:should|can|may) i (?:go ahead|continue|expand|proceed|write it)\b",
                   re.I)
MAX_ACK_WORDS = 25  # a clarifying reply: a question about the request plus at most this much acknowledgement


def degenerate(text: str) -> str | None:
    """Why the text is degenerate (repetition, too few distinct words, compresses to nothing), or None."""
    if why := repetitive(text, 50, MIN_TYPE_TOKEN):
        return f"type/token: {why}"
    raw = text.encode()
    if len(raw) >= 300 and len(zlib.compress(raw)) / len(raw) < MIN_COMPRESSION:
        return f"compression ratio {len(zlib.compress(raw)) / len(raw):.2f}"
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if len(lines) >= 4 and Counter(lines).most_common(1)[0][1] / len(lines) > MAX_LINE_SHARE:
        return "one line repeated"
    said = [re.sub(r"\W+", " ", s.lower()).strip() for s in sentences(text)]
    if len(said) >= 4 and len(set(said)) / len(said) <= MAX_REPEATED_SENTENCES:
        return f"{len(said)} sentences, {len(set(said))} distinct"
    openings = Counter(" ".join(s.split()[:4]) for s in said if len(s.split()) >= 4)
    if len(said) >= 4 and openings and openings.most_common(1)[0][1] / len(said) > MAX_SAME_OPENING:
        return f"sentences open alike: {openings.most_common(1)[0][0]!r}"
    return None


def char_bleu(response: str, reference: str) -> float:
    """sacrebleu's sentence BLEU on characters, in [0, 1]."""
    import sacrebleu

    return sacrebleu.sentence_bleu(response, [reference], tokenize="char").score / 100.0


def rate(item: dict, response: str) -> tuple[float, str]:
    """The LLM side's 0-4 rating / 4: off topic or a refusal 0; short or generic 1; a clarifying question about
    the request 3; a substantial on-topic answer 3 (4 when long and covering the request's words)."""
    request = request_text(item)
    topic = content_words(request) | content_words(str(item.get("ground_truth") or ""))
    said = content_words(response)
    on_topic = said & topic
    asked = " ".join(s for s in sentences(response) if is_question(s))
    ack = sum(len(s.split()) for s in sentences(response) if not is_question(s))
    short_question = bool(asked) and ack <= MAX_ACK_WORDS and not REFUSAL.search(response) and not OFFER.search(asked)
    if response_action(response) == "CQ" or short_question:
        ok = bool(content_words(asked) & content_words(request)) and not ABOUT_THE_USER.search(asked)
        return (0.75, "a clarifying question about the request") if ok else (0.0, "an unrelated question")
    if REFUSAL.search(" ".join(sentences(response)[:2])):
        return 0.0, "refused to write"
    if not said or len(on_topic) / len(said) < 0.15:
        return 0.0, f"off topic: {len(on_topic)} of {len(said)} content words on topic"
    n = len(response.split())
    if n < 40:
        return 0.25, f"minimal: {n} words"
    coverage = len(on_topic & content_words(request)) / max(1, len(content_words(request)))
    return (1.0 if n >= 150 and coverage >= 0.5 else 0.75), f"{n} words on topic, covers {coverage:.0%} of the request"


def score(item: dict, response: str, rubric: str = "paper") -> JudgeResult:
    """Paper rows: char BLEU (user) and the rating (LLM). Offline rows: the suite's checks (or clarify_score); a reply
    that only asks earns nothing on a clear request (rubric "prereg1", the first experiment's, gave it partial credit)."""
    if not response.strip():
        return JudgeResult(0.0, "empty response", score_llm=0.0)
    if why := degenerate(response):
        return JudgeResult(0.0, f"degenerate: {why}", score_llm=0.0)
    if item.get("family"):
        if item.get("question_type") == "VQ":
            return clarify_score(item, response)
        if response_action(response) == "CQ" and rubric != "prereg1":
            return JudgeResult(0.0, "only a question: a clear request is not answered")
        checks = {"not_a_question": response_action(response) != "CQ"}
        if item.get("keywords"):
            checks["on_topic"] = bool(mentions(response, item["keywords"]))
        if item.get("min_words") is not None:
            checks["length"] = item["min_words"] <= len(response.split()) <= item["max_words"]
        return JudgeResult(sum(checks.values()) / len(checks), f"checks {checks}")
    reference = item.get("ground_truth")
    if not reference:
        raise KeyError("medium row has no ground_truth reference text for BLEU")
    bleu = char_bleu(response, str(reference))
    rating, why = rate(item, response)
    return JudgeResult(bleu, f"char BLEU {bleu:.3f}; {why}", score_llm=rating)
