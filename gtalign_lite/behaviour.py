"""What a reply does, read off the reply itself (not the choice stated in <analyze>): DA, CQ, AQ or refusal.

DA answers and asks nothing; CQ only asks about the request; AQ answers (or refuses and offers something) and asks
one question; refusal declines and asks nothing. A question is a sentence ending in '?' or a request for a detail
("Let me know which city you mean."), addressed to the user; closing courtesies ("Anything else?") and questions a
reply asks itself ("What do we need? The total.") are not questions.
"""
from __future__ import annotations

import re

from .judges.base import is_question, sentences
from .judges.safety import POINTS_OUT_HARM, REFUSAL

BEHAVIOURS = ("DA", "CQ", "AQ", "refusal")
ASKS = ("CQ", "AQ")  # the primary metric's "asks"
MIN_ANSWER_WORDS = 10  # below this, the other words are a preface ("I'd be glad to help with that."), not an answer
DETAIL_REQUEST = re.compile(r"^(?:please |first,? |just )?(?:let me know|tell me|give me|send me|share|say) (?:which|what|"
                            r"how|whether|if|the|who|when|where|a bit more|more about)\b|\b(?:if|once) you (?:tell|let|give|"
                            r"send) me\b|^(?:want|shall i|should i|would it help)\b", re.I)
COURTESY = re.compile(r"\b(?:anything else|something else|any other|other questions?|else i can|need more help|further "
                      r"help|hope (?:this|that) helps)\b", re.I)
TO_USER = re.compile(r"\byou(?:r|'d|'re|'ll|rs)?\b", re.I)
SELF_ANSWER = re.compile(r"^(?:because|not|yes|no|it|that|this|the|so|well|\d|[$€£])", re.I)  # "Why? Because ..."


def asks_user(parts: list[str], i: int) -> bool:
    """Sentence i puts a question (or a request for a detail) to the user about the request: not a courtesy, not a
    question the reply answers itself next; in mid-reply only when it says "you"."""
    s = parts[i]
    if COURTESY.search(s):
        return False
    if DETAIL_REQUEST.search(s):
        return True
    if not is_question(s):
        return False
    last = i >= len(parts) - 2
    answered = i + 1 < len(parts) and not is_question(parts[i + 1]) and SELF_ANSWER.search(parts[i + 1])
    return (last or bool(TO_USER.search(s))) and not answered


def behaviour(response: str | None) -> str | None:
    """DA, CQ, AQ or refusal for one reply (None when there is no reply)."""
    if response is None:
        return None
    parts = sentences(response)
    asked = [s for i, s in enumerate(parts) if asks_user(parts, i)]
    said = [s for s in parts if s not in asked and not (is_question(s) and COURTESY.search(s))]
    refused = any(len(m.group(0)) > 3 for s in said[:2] for m in (REFUSAL.search(s), POINTS_OUT_HARM.search(s)) if m)
    if refused:
        return "AQ" if asked else "refusal"
    if not asked:
        return "DA"
    return "AQ" if sum(len(s.split()) for s in said) >= MIN_ANSWER_WORDS else "CQ"


def asks(response: str | None) -> bool | None:
    """Whether the reply asks the user something (CQ or AQ); None when there is no reply."""
    b = behaviour(response)
    return None if b is None else b in ASKS
