"""Example replies before and after training, picked from a per-item evaluation table by a stated rule (RULE), so that
no one chooses them by hand."""
from __future__ import annotations

import re

import pandas as pd

RULE = ("per family and request type (clear, vague), the first item in the table's order (lowest seed first) that "
        "every listed method replied to and on which the first two methods' replies behave differently (ask vs "
        "answer); where no such item exists, the first item every method replied to")


def pick(per_item: pd.DataFrame, methods: list[str], by=("family", "question_type")) -> pd.DataFrame:
    """The RULE's items: one row per picked item and method (in the order of `methods`), with a `differs` column."""
    key = [c for c in ("seed", "uid") if c in per_item]
    d = per_item[per_item["method"].isin(methods)]
    d = d.sort_values("seed", kind="stable") if "seed" in d else d
    asks = d.groupby([*key, "method"])["asks"].first().unstack("method").reindex(columns=methods).dropna()
    differs = asks[methods[0]].astype(bool) != asks[methods[1]].astype(bool)
    items = d.drop_duplicates(key).set_index(key)  # one row per item, in the table's order
    items = items[items.index.isin(asks.index)].assign(differs=differs)
    chosen = [(g[g["differs"]] if g["differs"].any() else g).index[0] for _, g in items.groupby(list(by))]
    out = d.set_index(key).loc[chosen].assign(differs=differs).reset_index()
    out["method"] = pd.Categorical(out["method"], methods, ordered=True)
    return out.sort_values([*by, "method"], kind="stable").reset_index(drop=True)


def block(text: str, name: str) -> str:
    """The inside of a completion's <name>...</name> block ('' when absent), whitespace collapsed."""
    found = re.search(rf"<{name}>(.*?)(</{name}>|$)", str(text), re.S)
    return " ".join(found.group(1).split()) if found else ""


def markdown(picked: pd.DataFrame, width: int = 240) -> str:
    """The picked replies as a Markdown table: request, method, stated choice, what the reply does, the reply."""
    rows = ["| family | request | method | states | reply does | reply |", "|---|---|---|---|---|---|"]
    for r in picked.itertuples():
        reply = block(r.text, "response") or " ".join(str(r.text).split())
        reply = (reply[:width] + " ...") if len(reply) > width else reply
        kind = "harmful" if str(getattr(r, "harmful", False)) == "True" else {"DQ": "clear", "VQ": "vague"}.get(
            r.question_type, r.question_type)
        question = " ".join(str(r.question).split()).replace("|", "/")
        rows.append(f"| {r.family} | {kind}: {question} | {r.method} | {r.chosen_action if pd.notna(r.chosen_action) else 'none'} "
                    f"| {r.behaviour if pd.notna(r.behaviour) else 'none'} | {reply.replace('|', '/')} |")
    return "\n".join(rows) + "\n"
