r"""Math (math-hard, minerva, the suite's math family): read the stated final answer, compare with math-verify.

The final answer is the last \boxed{...}; else the last sentence that holds math and is not a closing remark
(a question, "for example ...", "you can check ...", "that's also ..."), read without its parenthetical asides
("(with probabilities 2/3 and 1/3)"): its last **bold** math, else its $$display$$, else what follows "answer is",
"=" or " is " when it says one. Of a chain "t = a - b = c \approx 2.2" the last link is the answer.
math-verify then decides equivalence (units, \text{}, degrees, sets, intervals); forms it does not rewrite
(sinh vs exponentials, ln(1/x) vs -ln x) get one small sympy simplification; unbracketed lists compare unordered.
Its own signal-based timeouts (MATH_VERIFY_SECONDS) run where they can (the main thread: the judge worker); inputs
are capped too, and the judge's hard time bound (judges.bounded) stops what a signal cannot (C code in sympy).
"""
from __future__ import annotations

import functools
import re
import threading

from .base import JudgeResult, clarify_score, is_question, response_action, sentences

COLUMNS = ("question_type", "keywords", "answer", "ground_truth")
MAX_ANSWER_CHARS = 300  # longer extracted answers are compared as strings only: sympy cannot hang on them
MATH_VERIFY_SECONDS = 3  # math-verify's own parse and verify timeouts (signal-based: main thread only)
MAX_REWRITE_OPS = 40  # _same_function simplifies only small expressions: simplify can be slow on big ones
# 10^{10000}, power towers, 5000!, 25-digit literals: sympy could take minutes, so these compare as strings only
_HUGE_POWER = re.compile(r"\^\s*\{?\s*-?\d{4,}|\^\s*\{[^{}]*\^|\^\s*\w\s*\^|\d{4,}\s*!|\d{25,}")
_HAS_MATH = re.compile(r"\d|\\[a-z]+|\$")
_STATED = [re.compile(p, re.I) for p in (  # in order of trust: a stated answer, then "=", then "is"
    r"\b(?:final answer|answers?|solutions?|roots?|values?|results?)\s*(?:is|are|:|=|equals?)\s*:?\s*(?:that\s+)?",
    r"=|\\approx|\u2248", r"\b(?:is|are|equals|gives|get|becomes)\b")]
_LAST_MATH = re.compile(r"\$[^$]+\$|\\\((.+?)\\\)|-?\d[\d,]*(?:\.\d+)?(?:[eE][+-]?\d+)?(?:\^\{?\\circ\}?|\\?%)?|-?\.\d+")
# words before or after the answer: "about 1.65 inches" -> "1.65", "9 values of x" -> "9"
_EDGE_WORDS = re.compile(r"^(?:[A-Za-z]{2,}\s+)+(?=\S)|\s+[A-Za-z][A-Za-z']+(?:/[A-Za-z]+)?(?:\s+[A-Za-z/']+)*[.,;:]?$")
_ASSIGNMENTS = re.compile(r"(?<![\\\w])[a-zA-Z]\w*\s*=\s*([^=,;]+?)\s*(?:,|\band\b|\bor\b|$)")
_ASSIGNMENT_RUN = re.compile(r"(?<![\\\w])[a-zA-Z]\w*\s*=\s*[^=,;]+?(?:\s*(?:,|\band\b|\bor\b)\s*[a-zA-Z]\w*\s*=\s*[^=,;]+?)+$")
_CONDITION = re.compile(r"\b(?:with|such that|where|for which|satisfying)\s+(?=.*[\d\\<>])", re.I)
# a unit after a LaTeX space: "3\times10^6\ M_\odot" -> "3\times10^6"
_UNIT_AFTER_SPACE = re.compile(r"(?:\\ |\\,|\\;|~)\s*(?=[A-Za-z]{2,}|[A-Z]_|\\(?:mathrm|text|rm|mbox|operatorname))")
_LATEX_WORDS = re.compile(r"\\(?:text|mathrm|rm|mbox|operatorname)\s*\{[^{}]*\}|\\[A-Za-z]+")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_DISPLAY = re.compile(r"^\s*(?:\$\$(.+?)\$\$|\\\[(.+?)\\\])\s*[.,]?\s*$", re.S)
_ONE_SPAN = re.compile(r"^[^$]*?\$([^$]+)\$[^$]*$")  # exactly one $...$ in the text: "So $D \approx 1.4$ cm²/s"
_REMARK = re.compile(r"^\W*(?:for (?:example|instance)|e\.g\.|(?:you|we|one) can (?:check|verify|confirm)|(?:to |let's )?"
                     r"(?:check|verify|confirm)\b|as a check|sanity check|in other words|equivalently|note that|i\.e\.)|"
                     r"\b(?:that's|that is|which is|this is) (?:also|equivalently|the same as)\b", re.I)
_CHAIN = re.compile(r"(?<![<>!\\])=(?!=)|\\approx|\u2248")  # links of "a = b \approx c" (not <=, \neq)
_SCI = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*[eE]\s*([+-]?\d+)\s*$")
_THOUSANDS = re.compile(r"^\s*-?\d{1,3}(?:,\d{3})+(?:\.\d+)?\s*$")


def dollar_delimiters(text: str) -> str:
    r"""LaTeX's \( x \) and \[ x \] written as $x$ and $$x$$, the delimiters the answer reader knows."""
    text = re.sub(r"\\\[(.+?)\\\]", lambda m: f"$${m.group(1)}$$", text, flags=re.S)
    return re.sub(r"\\\((.+?)\\\)", lambda m: f"${m.group(1)}$", text, flags=re.S)


def last_boxed(text: str) -> str | None:
    r"""Content of the last \boxed{...} or \fbox{...} (braces balanced), or None."""
    i = max(text.rfind("\\boxed{"), text.rfind("\\fbox{"))
    if i < 0:
        return None
    start = text.index("{", i) + 1
    depth = 0
    for j in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth < 0:
            return text[start:j]
    return None


def final_answer(text: str) -> str | None:
    r"""The stated final answer: the last \boxed{}; else, in the last sentence holding math that is no closing
    remark (asides in brackets dropped), its last bold math, its display, what follows "answer is", "=" or "is"
    (else the sentence when it is all math, else its last number or $...$); with no math anywhere, the last
    statement's stated part when it is a short formula or one word; else None."""
    text = re.sub(r"\$\$(.+?)\$\$", lambda m: f"$${' '.join(m.group(1).split())}$$", text or "", flags=re.S)  # one line
    boxed = last_boxed(text)
    if boxed is not None:
        return boxed.strip()
    with_math = [c for c in (_drop_asides(s) for s in sentences(text)) if _HAS_MATH.search(c)]
    settled = [c for c in with_math if not is_question(c) and not _REMARK.search(c)] or with_math
    if settled:
        sentence = settled[-1]
        bold = [b for b in _BOLD.findall(sentence) if _HAS_MATH.search(b) and not b.rstrip().endswith(":")]
        if bold:
            return final_answer(bold[-1])  # read like a sentence: "Final answer: $L \approx 4.5$ erg/s" -> "4.5"
        display = _DISPLAY.match(sentence)
        if display:
            return _last_link(display.group(1) or display.group(2))
        if not re.search(r"[A-Za-z]{3,}", _LATEX_WORDS.sub("", sentence)):  # itself an expression: "4.5e33", "\frac{1}{2}"
            one = _ONE_SPAN.match(sentence)
            whole = re.sub(r"\s+(?:and|or)\s+", ", ", sentence.strip().rstrip(".").replace("$", ""))
            return _last_link(one.group(1) if one else whole)
        for stated in _STATED:
            marks = [m for m in stated.finditer(sentence) if _HAS_MATH.search(sentence[m.end():])]
            if marks:
                return _stated_part(sentence if stated is _STATED[1] else sentence[marks[-1].end():], marks[-1])
        found = _LAST_MATH.findall(sentence) and [m.group(0) for m in _LAST_MATH.finditer(sentence)]
        return found[-1].strip() if found else sentence.strip().rstrip(".!?")
    statements = [s for s in sentences(text) if not is_question(s)]
    if statements:  # no digits or LaTeX anywhere: a symbolic answer such as "-(ab + ac + bc)" or "MR = SRMC"
        last = statements[-1].rstrip(".!")
        mark = _STATED[0].search(last) or _STATED[2].search(last)
        answer = last[mark.end():].strip() if mark else last
        return answer if len(answer) <= 60 and (re.search(r"[=+*/^()<>-]", answer) or len(answer.split()) == 1) else None
    return None


def _drop_asides(sentence: str) -> str:
    """The sentence without bracketed remarks in words: "E_2 (with probability 2/3)" -> "E_2"; "(k+2)" stays."""
    def aside(m):
        return "" if re.search(r"[A-Za-z]{3,}", _LATEX_WORDS.sub("", m.group(1))) else m.group(0)
    return re.sub(r"\s*(?<![\\\w])\(([^()]*)\)", aside, sentence)


def _last_link(expr: str) -> str:
    r"""The last link of a chain "x(t) = a - b = c \approx 2.2", per item of a list "x = 90, x = -330" -> "90, -330"
    (split outside brackets; "1,250" is one number); $ and a closing period stripped."""
    expr = expr.strip().strip("$").strip().rstrip(".").strip()
    items, depth, cut = [], 0, 0
    for i, ch in enumerate(expr + ","):
        depth += {"{": 1, "}": -1, "(": 1, ")": -1, "[": 1, "]": -1}.get(ch, 0)
        if depth == 0 and ch == "," and not re.match(r"\d{3}(?!\d)", expr[i + 1:]):
            items.append(expr[cut:i].strip().strip("$").strip())
            cut = i + 1
        elif depth == 0 and (m := _CHAIN.match(expr, i)):
            cut = m.end()
    return ", ".join(items)


def _stated_part(text: str, mark: re.Match) -> str:
    """What a sentence states as the answer: every value of a closing run "a = 1, b = 2" / "x = 90 or x = -330"
    (as "1, 2"); else what follows the last marker, less words around it ("all b with -4 < b < 4" -> "-4 < b < 4")."""
    text = text.strip().rstrip(".!?")
    run = _ASSIGNMENT_RUN.search(text)
    if run and not _HAS_MATH.search(text[:run.start()]):
        return ", ".join(v.strip() for v in _ASSIGNMENTS.findall(run.group(0)))
    answer = mark.string[mark.end():].strip().rstrip(".!?").strip()
    if (said := re.split(r"\s+is\s+", answer)[-1]) != answer and _HAS_MATH.search(said):
        answer = said  # "x = 4 is 3": the value stated last
    answer = re.sub(r"\s+(?:and|or)\s+", ", ", _EDGE_WORDS.sub("", _CONDITION.split(answer)[-1]))
    answer = re.sub(r"^[a-zA-Z]\w*\s*=\s*", "", answer)
    return _last_link(answer) if _CHAIN.search(answer) else answer


def _unwrap(ans: str) -> str:
    r"""Strip $...$, a whole-answer \text{...}, a trailing period; 1,250 -> 1250; 4.5e33 -> 4.5\times10^{33}."""
    ans = ans.strip().strip("$").strip().rstrip(".,;").rstrip("\u2033\u2032").strip()  # 1.2″ (arcsec) -> 1.2
    ans = _UNIT_AFTER_SPACE.split(ans)[0] if _HAS_MATH.search(_UNIT_AFTER_SPACE.split(ans)[0]) else ans
    m = re.fullmatch(r"\\(?:text|textbf|mathrm)\{([^{}]*)\}", ans)
    if m:
        ans = m.group(1).strip()
    if _THOUSANDS.match(ans):
        ans = ans.replace(",", "")
    m = _SCI.match(ans)
    if m:
        ans = f"{m.group(1)}\\times10^{{{m.group(2)}}}"
    return ans


def _plain(ans: str) -> str:
    """A string form for the cheap comparison: no spaces, braces, dollar signs or \\left/\\right, lower case."""
    ans = re.sub(r"\\(left|right|!|,|;|displaystyle|dfrac|tfrac)", lambda m: "frac" if "frac" in m.group(1) else "", ans)
    return re.sub(r"[\s{}$]", "", ans).lower()


def answers_equal(given: str | None, reference) -> bool:
    """Same final answer: equal as plain strings, or math-verify finds them equivalent (inputs capped)."""
    if given is None or reference is None:
        return False
    a, b = _unwrap(str(given)), _unwrap(str(reference))
    golds = [b] + ([_unwrap(b.rsplit("=", 1)[1])] if b.count("=") == 1 and "=" not in a else [])  # "dM/dt = ..."
    return any(_equal(a, g) for g in golds)


def _equal(a: str, b: str) -> bool:
    if a and _plain(a) == _plain(b):
        return True
    if _same_list(a, b):
        return True
    if not a or not b or max(len(a), len(b)) > MAX_ANSWER_CHARS or _HUGE_POWER.search(a + " " + b):
        return False
    from math_verify import parse, verify

    from math_verify.errors import TimeoutException

    _warm_up(parse, verify)
    limit = MATH_VERIFY_SECONDS if threading.current_thread() is threading.main_thread() else None
    try:
        gold = _quiet(parse, f"${b}$", parsing_timeout=limit, raise_on_error=True) or []
        pred = _quiet(parse, f"${a}$", parsing_timeout=limit, raise_on_error=True) or []
        return bool(gold and pred) and (
            bool(_quiet(verify, gold, pred, timeout_seconds=limit, allow_set_relation_comp=True, raise_on_error=True))
            or _same_function(gold[0], pred[0]))
    except TimeoutException as e:  # a BaseException: made a counted judge failure, never a silent 0
        from .bounded import JudgeTimeout

        raise JudgeTimeout(f"math-verify timed out after {limit} s comparing {a[:60]!r} with {b[:60]!r}") from e


@functools.cache
def _warm_up(parse, verify) -> None:
    """Once per process, under a 60 s bound: sympy loads its set and inequality code on first use (about 2 s),
    which would otherwise count against the first comparison's 3 s and time it out on a busy machine."""
    wait = 60 if threading.current_thread() is threading.main_thread() else None  # signals: main thread only
    gold, pred = (_quiet(parse, text, parsing_timeout=wait) for text in ("$(1,2)$", "$1 < x < 2$"))
    _quiet(verify, gold, pred, timeout_seconds=wait, allow_set_relation_comp=True)


def _quiet(fn, *args, **kwargs):
    """fn(...) with its errors (not its timeouts) read as 'no match', as math-verify does without raise_on_error."""
    try:
        return fn(*args, **kwargs)
    except Exception:  # noqa: BLE001  unparsable or incomparable: not equal
        return None


def _same_list(a: str, b: str) -> bool:
    """Two unbracketed comma lists with the same items in any order: "E_2, E_1" and "E_{1},E_{2}"."""
    if "," not in a or "," not in b or re.search(r"^[(\[]|[)\]]$", a.strip() + "\n" + b.strip(), re.M):
        return False
    return sorted(_plain(x) for x in a.split(",")) == sorted(_plain(x) for x in b.split(","))


def _same_function(gold, pred) -> bool:
    """Symbolic forms math-verify does not rewrite: sinh(x)/a vs (e^x - e^-x)/2a, ln(1/D) vs -ln D (small ones only)."""
    import sympy as sp

    if not all(isinstance(e, sp.Expr) and e.free_symbols for e in (gold, pred)):
        return False
    if sp.count_ops(gold) + sp.count_ops(pred) > MAX_REWRITE_OPS:
        return False
    return sp.simplify(sp.expand_log((gold - pred).rewrite(sp.exp), force=True)) == 0


def score(item: dict, response: str) -> JudgeResult:
    """1 if the response's stated final answer equals the reference, else 0 (offline VQ items: clarify_score)."""
    if item.get("family") and item.get("question_type") == "VQ":  # offline item with a quantity removed
        return clarify_score(item, response)
    if response_action(response) == "CQ":
        return JudgeResult(0.0, "asked instead of answering a complete problem")
    reference = item.get("answer") or item.get("ground_truth")
    if not reference:
        raise KeyError("math row has no 'answer' or 'ground_truth' to compare with")
    given = final_answer(dollar_delimiters(response))
    ok = answers_equal(given, reference)
    return JudgeResult(float(ok), f"final answer {given!r} vs {reference!r}")
