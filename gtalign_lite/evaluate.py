"""Evaluation: generate on held-out items, score every completion, summarise and compare methods."""
from __future__ import annotations

import math

import pandas as pd

from .generate import close_response, generate
from .parse import parse_completion
from .rewards import score_completion
from .rule_judges import response_action


def score_texts(items: list[dict], texts: list[str], judge, method: str, variant: str = "cobb_douglas") -> pd.DataFrame:
    """One row per completion: what it chose, how it was formatted, and its rewards."""
    rows = []
    for it, text in zip(items, texts):
        c = parse_completion(text)
        b = score_completion(it, c, judge, variant)
        rows.append({
            "method": method, "uid": it.get("uid"), "family": it.get("family") or it.get("data_source"),
            "question_type": it.get("question_type"), "gold_action": it.get("gold_action"),
            "pred_type": c.question_type, "chosen_action": c.action,
            "response_action": response_action(c.response) if c.response is not None else None,
            "format_ok": c.format_ok, "gated": b.gated, "user": b.user, "llm": b.llm, "welfare": b.welfare,
            "answer_user": b.answer_user, "answer_llm": b.answer_llm, "judge_failed": math.isnan(b.welfare),
            "reasoning_chars": len(c.reasoning), "response_words": len((c.response or "").split()), "text": text,
        })
    return pd.DataFrame(rows)


def evaluate(model, tok, items: list[dict], judge, method: str, max_new_tokens: int = 256, batch_size: int = 8,
             variant: str = "cobb_douglas") -> pd.DataFrame:
    """Greedy completions for every item (batched, with a progress bar), scored by score_texts."""
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()  # LoRA merged: same outputs, faster decoding
    texts = generate(model, tok, [it["prompt"] for it in items], max_new_tokens=max_new_tokens, batch_size=batch_size,
                     stop="</response>", desc=f"eval {method}")
    return score_texts(items, [close_response(t) if "</response>" in t else t for t in texts], judge, method, variant)


def summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per method: answer score, U, L, W, format rate, lengths, action and type accuracy, judge failures."""
    g = df.groupby("method", sort=False)
    out = pd.DataFrame({
        "n": g.size(),
        "answer": g["answer_user"].mean(), "U": g["user"].mean(), "L": g["llm"].mean(), "W": g["welfare"].mean(),
        "format_rate": g["format_ok"].mean(),
        "action_acc": g.apply(lambda d: (d["chosen_action"] == d["gold_action"]).mean(), include_groups=False),
        "type_acc": g.apply(lambda d: (d["pred_type"] == d["question_type"]).mean(), include_groups=False),
        "response_words": g["response_words"].mean(), "reasoning_chars": g["reasoning_chars"].mean(),
        "judge_fail_rate": g["judge_failed"].mean(),
    })
    return out


def dominates(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """a is at least as good on both sides and better on one."""
    return a[0] >= b[0] and a[1] >= b[1] and (a[0] > b[0] or a[1] > b[1])


def pareto_comparison(df: pd.DataFrame) -> pd.DataFrame:
    """Per method: items where it dominates / is dominated by another method (per-item (U, L)), the
    hypervolume of its mean (U, L) from (0, 0), and its regret: mean of best-W-on-that-item minus its W."""
    wide = df.pivot_table(index="uid", columns="method", values=["user", "llm", "welfare"], aggfunc="first")
    methods = list(dict.fromkeys(df["method"]))
    best = wide["welfare"].max(axis=1)
    rows = []
    for m in methods:
        wins = losses = 0
        for o in methods:
            if o == m:
                continue
            for uid in wide.index:
                a = (wide["user"].at[uid, m], wide["llm"].at[uid, m])
                b = (wide["user"].at[uid, o], wide["llm"].at[uid, o])
                wins += dominates(a, b)
                losses += dominates(b, a)
        u, l = df.loc[df.method == m, "user"].mean(), df.loc[df.method == m, "llm"].mean()
        rows.append({"method": m, "dominates": wins, "dominated_by": losses, "hypervolume": u * l,
                     "regret": float((best - wide["welfare"][m]).mean())})
    return pd.DataFrame(rows).set_index("method")


def markdown(df: pd.DataFrame) -> str:
    """A DataFrame as a GitHub Markdown table (no tabulate dependency)."""
    d = df.reset_index()
    head = "| " + " | ".join(map(str, d.columns)) + " |\n|" + "---|" * len(d.columns) + "\n"
    return head + "".join("| " + " | ".join(map(str, r)) + " |\n" for r in d.itertuples(index=False))
