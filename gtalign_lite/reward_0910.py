"""The reward as the authors' commit c1f2550 computed it for the 0910 runs, restated to check parity: from an output
and the answer score their judge recorded, U, L and the run's scalar, to within float rounding of the recorded values.

It differs from the final reference code that `rewards.py` follows (binary wildguard judge, a_U = clip(1.2 - a) on
harmful requests, nltk's character BLEU for medium); docs/reference-runs.md lists the differences.
"""
from __future__ import annotations

import math
import re

import pandas as pd

from .payoff import PayoffError, PayoffMatrix
from .rewards import BREVITY_CHARS, BASE, LLM_LENGTH, LLM_WEIGHTS, USER_LENGTH, USER_WEIGHTS, WELFARE, length_score, \
    payoff_score

_FORMAT_0910 = re.compile(r"<thinking>.*?</thinking>\s*<payoff>.*?</payoff>\s*<analyze>.*?</analyze>\s*"
                          r"<response>.*?</response>$", re.S | re.M)


def first_block(text: str, tag: str) -> str | None:
    """Content of the first <tag>…</tag> (first closing tag after it), stripped; None if absent (as c1f2550)."""
    i = text.find(f"<{tag}>")
    j = text.find(f"</{tag}>", i + len(tag) + 2) if i >= 0 else -1
    return None if j < 0 else text[i + len(tag) + 2: j].strip()


def payoff_0910(text: str) -> PayoffMatrix | None:
    """The first <payoff> block parsed (JSON, else Python literal), or None when absent or invalid."""
    block = first_block(text, "payoff")
    try:
        return PayoffMatrix.from_text(block) if block else None
    except PayoffError:
        return None


def format_0910(text: str) -> float:
    """Graded format score of c1f2550: 0 if the text does not start with the four blocks in order up to a
    </response> at a line end; else 1 if its first payoff parses, 0.5 if not."""
    if not _FORMAT_0910.match(text):
        return 0.0
    return 1.0 if payoff_0910(text) is not None else 0.5


def nltk_char_bleu(reference: str, hypothesis: str) -> float:
    """BLEU-4 over characters, uniform weights, no smoothing: what nltk's sentence_bleu gives on plain strings."""
    try:
        from nltk.translate.bleu_score import sentence_bleu
    except ImportError:
        raise ImportError("medium's user-side score needs nltk: pip install nltk==3.9.1 (extra 'notebooks')") from None
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nltk warns when an n-gram order has no overlap; the score is then 0
        return float(sentence_bleu([reference], hypothesis))


MEDIUM_JUDGE_STEPS = (0.0, 0.25, 0.5, 0.75, 1.0)  # the 32B judge's 0-4 rating / 4
TOLERANCE = 1e-9  # parity: largest |recomputed − recorded| allowed (the files store float64)


def answer_terms_0910(source: str, answer: float, harmful: bool | None, bleu: float | None = None,
                      judge_llm: float | None = None) -> tuple[float, float]:
    """(a_U, a_L) from the recorded answer score as c1f2550 mapped it per source.

    wildguard: the judge is binary (1 = safe / helpful); a_L = a, a_U = clip(1.2 − a) on harmful requests.
    medium: the recorded score is max(char BLEU, judge/4); a_U = BLEU and a_L = judge/4, which is the recorded
    score when that exceeds the BLEU; otherwise judge_llm must be given (NaN when not). math, ambig_qa: a, a.
    """
    a = min(1.0, max(0.0, float(answer)))
    if source == "wildguard":
        return (min(1.0, max(0.0, 1.2 - a)) if harmful else a), a
    if source == "medium":
        if bleu is None:
            raise ValueError("medium needs the character BLEU of the response against the reference article")
        if judge_llm is not None:
            return bleu, judge_llm
        return bleu, (a if a > bleu + 1e-12 else math.nan)
    return a, a


def reward_0910(text: str, source: str, answer: float, harmful: bool | None, reward: str, gts: str = "",
                judge_llm: float | None = None) -> dict:
    """U, L and the run's scalar for one output and its recorded answer score, with c1f2550's formulas.

    Gate: no first <response>…</response> or no parsable first <payoff> gives all zeros. Otherwise
    U = ε + 0.5·a_U + 0.2·len(response; 20, 500) + 0.3·exp(−chars(before <response>)/500) and
    L = ε + 0.2·format + 0.2·payoff_score + 0.4·a_L + 0.2·len(output; 500, 1000), with the length terms,
    payoff score and weights of gtalign_lite.rewards. The scalar is reward's welfare of (U, L).
    """
    response, matrix = first_block(text, "response"), payoff_0910(text)
    if response is None or matrix is None:
        return {"user": 0.0, "llm": 0.0, "welfare": 0.0, "format": 0.0, "gated": True, "bleu": math.nan,
                "a_user": math.nan, "a_llm": math.nan}
    bleu = nltk_char_bleu(gts, response) if source == "medium" else math.nan
    a_u, a_l = answer_terms_0910(source, answer, harmful, None if math.isnan(bleu) else bleu, judge_llm)
    fmt = format_0910(text)
    brev = math.exp(-len(text.split("<response>")[0]) / BREVITY_CHARS)
    u = BASE + USER_WEIGHTS["answer"] * a_u + USER_WEIGHTS["len_user"] * length_score(response, *USER_LENGTH) \
        + USER_WEIGHTS["brevity"] * brev
    l = BASE + LLM_WEIGHTS["format"] * fmt + LLM_WEIGHTS["payoff_score"] * payoff_score(matrix) + LLM_WEIGHTS["answer"] * a_l \
        + LLM_WEIGHTS["len_llm"] * length_score(text, *LLM_LENGTH)
    w = math.nan if math.isnan(u) or math.isnan(l) else WELFARE[reward](u, l)
    if reward == "user":
        w = u
    return {"user": u, "llm": l, "welfare": w, "format": fmt, "gated": False, "bleu": bleu, "a_user": a_u, "a_llm": a_l}


def recompute_rewards(df: pd.DataFrame) -> pd.DataFrame:
    """Per generation: U, L, W recomputed as c1f2550 did, and |recomputed − recorded| for each.

    a_llm_known says whether the recorded score fixes a_L (medium: only when the judge/4 beat the BLEU).
    Where it does not, the judge/4 in 0, 0.25, …, 1 (not above the BLEU) closest to the recorded L is
    used and a_llm_known is False: parity there shows a consistent judge score exists, no more.
    zeroed_by_reference: the recorded U = L = 0 though the output passes the gate (the reward code failed).
    """
    out = []
    for r in df.itertuples():
        b = reward_0910(r.output, r.source, r.answer_reward, r.harmful, r.reward, r.gts)
        known = not math.isnan(b["llm"])
        if not known:
            cands = [reward_0910(r.output, r.source, r.answer_reward, r.harmful, r.reward, r.gts, j)
                     for j in MEDIUM_JUDGE_STEPS if j <= b["bleu"] + 1e-12]
            b = min(cands, key=lambda c: abs(c["llm"] - r.llm_reward))
        out.append({**b, "a_llm_known": known})
    re_ = pd.DataFrame(out, index=df.index).add_prefix("re_").rename(columns={"re_a_llm_known": "a_llm_known"})
    re_["zeroed_by_reference"] = (~re_["re_gated"]) & (df["user_reward"] == 0) & (df["llm_reward"] == 0)
    re_["d_user"] = (re_["re_user"] - df["user_reward"]).abs()
    re_["d_llm"] = (re_["re_llm"] - df["llm_reward"]).abs()
    re_["d_score"] = (re_["re_welfare"] - df["score"]).abs()
    return re_


def parity_table(d: pd.DataFrame, tol: float = TOLERANCE) -> pd.DataFrame:
    """Per source, from a frame with source and recompute_rewards' columns (analyse gives one): rows, rows
    the reference zeroed, rows with a_L inferred, the largest differences over the rest (U, L, scalar)
    and over the inferred rows, and whether all are within tol."""
    rows = []
    for src, g in d.groupby("source"):
        ok = g[~g["zeroed_by_reference"] & g["a_llm_known"]]
        inf = g[~g["zeroed_by_reference"] & ~g["a_llm_known"]]
        row = {"source": src, "rows": len(g), "zeroed_by_reference": int(g["zeroed_by_reference"].sum()),
               "compared": len(ok), "max_d_user": ok["d_user"].max(), "max_d_llm": ok["d_llm"].max(),
               "max_d_score": ok["d_score"].max(), "a_llm_inferred": len(inf),
               "inferred_max_d_llm": inf["d_llm"].max() if len(inf) else 0.0}
        row["within_tol"] = bool(max(row["max_d_user"], row["max_d_llm"], row["max_d_score"],
                                     row["inferred_max_d_llm"]) <= tol)
        rows.append(row)
    return pd.DataFrame(rows).set_index("source")
