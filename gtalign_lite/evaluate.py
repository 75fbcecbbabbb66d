"""Evaluation: generate on held-out items, score every completion, summarise and compare methods."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .game import pareto_points
from .generate import close_response, for_generation, generate
from .parse import parse_completion
from .rewards import score_completion
from .judges import response_action
from .behaviour import ASKS, behaviour

def item_key(item: dict) -> str:
    """An item's id for pairing methods: the paper rows' 'id', else the generated suite's 'uid'."""
    return item.get("id") or item.get("uid")


def score_texts(items: list[dict], texts: list[str], judge, method: str, variant: str = "cobb_douglas",
                tok=None) -> pd.DataFrame:
    """One row per completion: what it chose, how it was formatted, and its rewards (token counts when tok is given)."""
    from .judges import is_harmful

    count = (lambda s: len(tok(s, add_special_tokens=False)["input_ids"])) if tok is not None else (lambda s: None)
    rows = []
    for it, text in zip(items, texts):
        c = parse_completion(text)
        b = score_completion(it, c, judge, variant)
        rows.append({
            "method": method, "eval_set": it.get("eval_set", "suite"), "uid": it.get("uid"), "id": item_key(it),
            "question": it.get("question") or str(item_key(it)),  # the distinct prompt: intervals resample these
            "family": it.get("family") or it.get("data_source"),
            "question_type": it.get("question_type"), "gold_action": it.get("gold_action"), "harmful": is_harmful(it),
            "pred_type": c.question_type, "chosen_action": c.action,
            "response_action": response_action(c.response) if c.response is not None else None,
            "behaviour": behaviour(c.response), "asks": bool(behaviour(c.response) in ASKS),
            "stated_matches": c.action is not None and c.action == {"refusal": "DA"}.get(*[behaviour(c.response)] * 2),
            "format_ok": c.format_ok, "gated": b.gated, "user": b.user, "llm": b.llm, "welfare": b.welfare,
            "answer_user": b.answer_user, "answer_llm": b.answer_llm, "judge_failed": math.isnan(b.welfare),
            "reasoning_chars": len(c.reasoning), "response_words": len((c.response or "").split()),
            "reasoning_tokens": count(c.reasoning), "response_tokens": count(c.response or ""), "text": text,
        })
    return pd.DataFrame(rows)


def evaluate(model, tok, items: list[dict], judge, method: str, max_new_tokens: int = 256, batch_size: int = 8,
             variant: str = "cobb_douglas", dtype: str | None = "auto") -> pd.DataFrame:
    """Greedy completions for every item (batched, with a progress bar), scored by score_texts, with the decision
    token's P("VQ") (type_probability); the model is prepared by generate.for_generation (LoRA merged, weights in
    `dtype`: 'auto', 'float32', 'bfloat16')."""
    model = for_generation(model, dtype)
    print(f"{method}: greedy evaluation with {str(model.dtype).replace('torch.', '')} weights (gen_dtype={dtype})")
    texts = generate(model, tok, [it["prompt"] for it in items], max_new_tokens=max_new_tokens, batch_size=batch_size,
                     stop="</response>", desc=f"eval {method}")
    df = score_texts(items, [close_response(t) if "</response>" in t else t for t in texts], judge, method, variant, tok)
    return df.assign(p_vq=type_probability(model, tok, items, batch_size, dtype=None))  # model already prepared


def evaluate_method(run, method: str, items: list[dict], judge, P: dict, load) -> pd.DataFrame:
    """evaluate() for one method of a run folder, kept per evaluation set in eval/methods/<method>-<set>.csv and
    reused while the adapter, items and settings are unchanged: an interrupted evaluation, one more trained
    variant or one more evaluation set computes only what is new."""
    import json

    from .runs import content_hash

    adapter = run.adapter(method)
    restored = adapter is not None and not adapter.exists() and method in run.restored()
    frames, model, tok = [], None, None
    for name in dict.fromkeys(it.get("eval_set", "suite") for it in items):
        part = [it for it in items if it.get("eval_set", "suite") == name]
        key = {"ids": [item_key(it) for it in part], "seed": P["seed"], "variant": P["reward_variant"],
               "max_new_tokens": P["eval_max_new_tokens"], "dtype": P.get("gen_dtype", "auto"),
               "adapter_sha256": content_hash(adapter) if adapter and not restored else None,  # not mtime
               "table_version": 2}  # 2: behaviour, asks and p_vq columns
        path = run.eval / "methods" / f"{method}-{name}.csv"
        meta = path.with_suffix(".json")
        if path.exists() and meta.exists() and json.loads(meta.read_text()) == key:
            print(f"{method} on {name}: reusing {path} (same adapter, items and settings)")
            frames.append(pd.read_csv(path))
            continue
        if restored:
            raise RuntimeError(f"{method} on {name}: its rows were restored from a committed sweep record, but the "
                               f"items or settings changed since, and its adapter is not here; run the sweep with "
                               f"--fresh to train it again")
        if model is None:
            model, tok = load(None if adapter is None else str(adapter))
        df = evaluate(model, tok, part, judge, method, P["eval_max_new_tokens"], P["eval_batch_size"], P["reward_variant"],
                      P.get("gen_dtype", "auto"))
        df.insert(1, "seed", P["seed"])
        path.parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(path, index=False)
        meta.write_text(json.dumps(key))
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def type_probability(model, tok, items: list[dict], batch_size: int = 16, dtype: str | None = "auto") -> list[float]:
    """P("VQ") against P("DQ") for the first token of <thinking>, where the traces state the type: the model's
    decision before any sampling (an AUC over items shows conditioning before greedy choices flip)."""
    import torch

    from .generate import chat_text

    model = for_generation(model, dtype)
    ids = [tok(t, add_special_tokens=False)["input_ids"][0] for t in ("VQ", "DQ")]
    out, pad_side = [], tok.padding_side
    tok.padding_side = "left"
    try:
        for i in range(0, len(items), batch_size):
            texts = [chat_text(tok, it["prompt"], "<thinking>") for it in items[i:i + batch_size]]
            enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
            with torch.no_grad():
                logits = model(**enc).logits[:, -1, ids].float()
            out += torch.softmax(logits, -1)[:, 0].tolist()
    finally:
        tok.padding_side = pad_side
    return out


def sampled_format(model, tok, items: list[dict], n: int = 4, temperature: float = 0.9, max_new_tokens: int = 256,
                   batch_size: int = 16, seed: int = 0, dtype: str | None = "auto") -> dict:
    """Share of completions sampled as GRPO samples them (n per prompt, its temperature, cap and weights'
    precision) that close </response> and are well formed: below ~90% most GRPO groups are all gated to 0."""
    model = for_generation(model, dtype)
    prompts = [it["prompt"] for it in items for _ in range(n)]
    texts = generate(model, tok, prompts, max_new_tokens=max_new_tokens, batch_size=batch_size, stop="</response>",
                     temperature=temperature, seed=seed, desc=f"sample x{n} at T={temperature}")
    closed = [t.count("</response>") > 0 for t in texts]
    ok = [cl and parse_completion(close_response(t)).format_ok for cl, t in zip(closed, texts)]
    tokens = [len(tok(t, add_special_tokens=False)["input_ids"]) for t in texts]
    return {"completions": len(texts), "closed": float(np.mean(closed)), "well_formed_and_closed": float(np.mean(ok)),
            "mean_tokens": float(np.mean(tokens)), "max_tokens": int(max(tokens)), "cap": max_new_tokens}


def summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per method: answer score, U, L, W, format rate, lengths, action and type accuracy, judge failures.

    n counts every row, judge failures included; judge_fail_rate is their share of n; answer, U, L and W are
    means over the rows the judge scored (a failed row has no score, so it is not counted as a zero)."""
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


# ---- Pareto metrics on the (U, L) plane, as the reference's experiments/pareto_ratio.py defines them ----
EPS = 0.05  # the reference's default epsilon (its script's own run passes 0, i.e. strict dominance)
ALPHA = 0.5  # the reference's Cobb-Douglas exponent on U
FLOOR = 1e-9  # the reference adds this to U and L (clipped at 0) before the welfare products


def eps_dominates(a: tuple[float, float], b: tuple[float, float], eps: float = EPS) -> bool:
    """a epsilon-dominates b: a is no more than eps below b on both sides and above b - eps on one.

    eps is in raw reward units (not normalised). With eps = 0 this is plain Pareto dominance; with eps > 0 two
    points within eps of each other dominate each other, which the comparison counts as a tie."""
    return a[0] >= b[0] - eps and a[1] >= b[1] - eps and (a[0] > b[0] - eps or a[1] > b[1] - eps)


def hypervolume(points, ref: tuple[float, float]) -> float:
    """Area of the union of the rectangles [ref_u, u] x [ref_l, l] over the points (both sides maximised).

    Points at or below ref on either side add nothing; dominated and duplicate points add nothing. Swept from
    the largest u down: each strip between two successive u values is as tall as the highest l seen so far.
    (The reference's hypervolume_2d counts only the first rectangle, that of the largest-u point:
    see hypervolume_reference_style.)"""
    ru, rl = ref
    pts = sorted(((float(u), float(v)) for u, v in points if u > ru and v > rl), reverse=True)
    area, top = 0.0, rl
    for i, (u, v) in enumerate(pts):
        top = max(top, v)
        next_u = pts[i + 1][0] if i + 1 < len(pts) else ru
        area += (u - next_u) * (top - rl)
    return area


def hypervolume_reference_style(points, ref: tuple[float, float]) -> float:
    """What the reference's hypervolume_2d returns: only the rectangle of the point with the largest u
    (ties: largest l), (u - ref_u) * (l - ref_l), clipped at 0. Its loop walks the front by falling u with
    the strip width measured from the previous point's u, so every later strip has width 0. Kept to show the
    difference from hypervolume(); never use it to rank methods."""
    pts = [(float(u), float(v)) for u, v in points]
    if not pts:
        return 0.0
    u, v = max(pts)
    return max(0.0, u - ref[0]) * max(0.0, v - ref[1])


def frontier_regret(point: tuple[float, float], front, ranges: tuple[float, float]) -> float:
    """Normalised L-infinity regret of a point to a front: over the front's points f, the smallest
    max((f_u - u)^+ / range_u, (f_l - l)^+ / range_l); a zero range counts as 1. 0 on the front."""
    du, dl = (r if r > 0 else 1.0 for r in ranges)
    return min((max(max(fu - point[0], 0.0) / du, max(fl - point[1], 0.0) / dl) for fu, fl in front), default=0.0)


def nash_social_welfare(points) -> float:
    """Mean over points of sqrt(u') * sqrt(l'), with u' = max(u, 0) + 1e-9 and the same for l (the reference's NSW)."""
    return cobb_douglas_mean(points, 0.5)


def cobb_douglas_mean(points, alpha: float = ALPHA) -> float:
    """Mean over points of u'^alpha * l'^(1 - alpha), u' = max(u, 0) + 1e-9, l' likewise (the reference's
    Cobb-Douglas). At the reference's alpha = 0.5 it equals the Nash social welfare above."""
    pts = list(points)
    if not pts:
        return float("nan")
    return sum((max(u, 0.0) + FLOOR) ** alpha * (max(v, 0.0) + FLOOR) ** (1 - alpha) for u, v in pts) / len(pts)


def item_ids(df: pd.DataFrame, item: str | None = None) -> pd.Series:
    """Each row's item id: the column item if given; else 'id' where set, and 'uid' where not (paper rows carry
    'id', the generated suite's rows 'uid'). A row with no id raises: items are paired across methods by it."""
    if item is not None:
        if item not in df.columns:
            raise ValueError(f"item column {item!r} is not in the frame (columns: {list(df.columns)})")
        ids = df[item]
    else:
        ids = pd.Series(None, index=df.index, dtype=object)
        for c in ("uid", "id"):  # 'id' last, so it wins where both are set
            if c in df.columns:
                ids = df[c].where(df[c].notna(), ids)
    if ids.isna().any():
        raise ValueError(f"{int(ids.isna().sum())} rows have no item id: the Pareto comparison pairs methods item by "
                         "item and needs an item id column: 'id' or 'uid' (or pass item='<column>')")
    return ids


@dataclass
class Paired:
    """Per-item (U, L) of every method on the items kept, with the judge failures that removed the others."""
    methods: list[str]
    points: dict[str, list[tuple[float, float]]]  # method -> (U, L) per kept item, same item order for all
    judge_failures: dict[str, int]  # method -> rows whose judge failed (before exclusion)
    excluded_items: int  # items dropped for every method because some method's judge failed on them


def paired_points(df: pd.DataFrame, item: str | None = None) -> Paired:
    """Line up every method's (U, L) item by item; an item where any method's judge failed (or U or L is
    missing) goes for all methods and is counted. Methods scored on different items, or twice on one, raise."""
    col = "_item"
    df = df.assign(_item=item_ids(df, item))
    for c in ("method", "user", "llm", "judge_failed"):
        if c not in df.columns:
            raise ValueError(f"the Pareto comparison needs a {c!r} column (score_texts writes it)")
    methods = list(dict.fromkeys(df["method"]))
    if not methods:
        raise ValueError("the frame has no rows: score at least one method (score_texts or evaluate)")
    dup = df[df.duplicated(["method", col], keep=False)]
    if len(dup):
        first = dup[["method", col]].iloc[0].tolist()
        raise ValueError(f"{len(dup)} rows repeat a (method, item) pair, e.g. {first}: score each method once "
                         "per item")
    items = {m: set(df.loc[df.method == m, col]) for m in methods}
    common = set.intersection(*items.values())
    for m in methods:
        if items[m] != common:
            raise ValueError(f"methods were not scored on the same items: {m!r} has {len(items[m] - common)} items "
                             "that another method lacks; evaluate every method on the same items")
    scored = np.isfinite(df[["user", "llm"]].astype(float)).all(axis=1)
    failed = df["judge_failed"].astype(bool) | ~scored  # a missing U or L counts as a judge failure too
    bad = set(df.loc[failed, col])
    kept = sorted(common - bad, key=str)
    by = df.set_index(["method", col])
    points = {m: [(float(by.at[(m, i), "user"]), float(by.at[(m, i), "llm"])) for i in kept] for m in methods}
    fails = {m: int(failed[df.method == m].sum()) for m in methods}
    return Paired(methods, points, fails, len(bad))


def dominance_counts(df: pd.DataFrame, eps: float = EPS, item: str | None = None) -> pd.DataFrame:
    """For every ordered pair of methods, over the shared judged items: wins (method epsilon-dominates the
    opponent and not back), losses (the reverse), tie_or_incomparable (both ways within eps, or neither)."""
    p = paired_points(df, item)
    rows = []
    for m in p.methods:
        for o in p.methods:
            if o == m:
                continue
            win = loss = 0
            for a, b in zip(p.points[m], p.points[o]):
                ab, ba = eps_dominates(a, b, eps), eps_dominates(b, a, eps)
                win += ab and not ba
                loss += ba and not ab
            n = len(p.points[m])
            rows.append({"method": m, "opponent": o, "n_items": n, "wins": win, "losses": loss,
                         "tie_or_incomparable": n - win - loss})
    return pd.DataFrame(rows, columns=["method", "opponent", "n_items", "wins", "losses", "tie_or_incomparable"])


def pareto_comparison(df: pd.DataFrame, eps: float = EPS, item: str | None = None,
                      alpha: float = ALPHA) -> pd.DataFrame:
    """Per method, on the items every method was judged on, the reference's Pareto metrics.

    n_items: items compared; excluded_items: items dropped for all methods because some method's judge failed
    there; judge_failures: this method's failed rows. dominates / dominated_by / tie_or_incomparable:
    epsilon-dominance wins, losses and the rest, summed over the other methods (per pair: dominance_counts).
    The joint front is the non-dominated set of all methods' per-item (U, L) points pooled (df.attrs
    'joint_front'); ranges and the reference point (min U, min L) come from the same pool. regret: mean
    normalised L-infinity regret of the method's points to the joint front (frontier_regret). eps_coverage:
    share of its points within eps of the joint front after normalising by the ranges (that is, regret <= eps).
    hypervolume: area the method's points dominate above the reference point (hypervolume), next to what
    the reference's function reports (hypervolume_reference_style). nsw, cobb_douglas: mean Nash social
    welfare and Cobb-Douglas of its points. As in the reference, one eps serves twice: in raw reward units for
    dominance, as a share of each side's range for coverage. One method alone is allowed (no pairs: counts 0)."""
    p = paired_points(df, item)
    pool = [pt for m in p.methods for pt in p.points[m]]
    front = pareto_points(pool)
    us, ls = [u for u, _ in pool] or [0.0], [v for _, v in pool] or [0.0]  # no item left: every metric is NaN
    ref, ranges = (min(us), min(ls)), (max(us) - min(us), max(ls) - min(ls))
    counts = dominance_counts(df, eps, item).groupby("method")[["wins", "losses", "tie_or_incomparable"]].sum()
    nan = float("nan")
    rows = []
    for m in p.methods:
        pts = p.points[m]
        regrets = [frontier_regret(pt, front, ranges) for pt in pts]
        rows.append({
            "method": m, "n_items": len(pts), "excluded_items": p.excluded_items, "judge_failures": p.judge_failures[m],
            "dominates": int(counts["wins"].get(m, 0)), "dominated_by": int(counts["losses"].get(m, 0)),
            "tie_or_incomparable": int(counts["tie_or_incomparable"].get(m, 0)),
            "eps_coverage": float(np.mean([r <= eps for r in regrets])) if pts else nan,
            "regret": float(np.mean(regrets)) if pts else nan,
            "hypervolume": hypervolume(pts, ref) if pts else nan,
            "hypervolume_reference_style": hypervolume_reference_style(pts, ref) if pts else nan,
            "nsw": nash_social_welfare(pts), "cobb_douglas": cobb_douglas_mean(pts, alpha),
        })
    out = pd.DataFrame(rows).set_index("method")
    out.attrs["joint_front"] = front
    return out


def pareto_against(df: pd.DataFrame, focus: str, eps: float = EPS, item: str | None = None) -> pd.DataFrame:
    """pareto_comparison of focus and one other method at a time (their own joint front, ranges and reference
    point), per eval_set: the paper's head-to-head reading, one row per (eval_set, opponent, method)."""
    rows = []
    for es, d in df.groupby("eval_set", sort=False) if "eval_set" in df else [("all", df)]:
        for other in [m for m in dict.fromkeys(d["method"]) if m != focus]:
            pair = pareto_comparison(d[d["method"].isin([focus, other])], eps, item).reset_index()
            rows.append(pair.assign(eval_set=es, opponent=other))
    out = pd.concat(rows, ignore_index=True)
    return out[["eval_set", "opponent", *[c for c in out.columns if c not in ("eval_set", "opponent")]]]


def markdown(df: pd.DataFrame) -> str:
    """A DataFrame as a GitHub Markdown table (no tabulate dependency)."""
    d = df.reset_index()
    head = "| " + " | ".join(map(str, d.columns)) + " |\n|" + "---|" * len(d.columns) + "\n"
    return head + "".join("| " + " | ".join(map(str, r)) + " |\n" for r in d.itertuples(index=False))


CAPABILITY_GATE = 0.6  # pre-registered: share right among direct answers to clear validation items, per family


def capability_gate(df: pd.DataFrame) -> pd.DataFrame:
    """Per family, on clear benign items: how often the reply answers directly, and how often it is right when it
    does; a family under CAPABILITY_GATE is capability-limited (answering is not worth much there)."""
    clear = df[(df.question_type == "DQ") & ~df.harmful.astype(bool)]
    rows = []
    for family, d in clear.groupby("family", sort=True):
        answers = d[d.behaviour == "DA"]
        right = float(answers.answer_user.mean()) if len(answers) else float("nan")
        rows.append({"family": family, "items": len(d), "answers": len(answers), "answer_rate": len(answers) / len(d),
                     "right_when_answering": right, "gate": CAPABILITY_GATE, "passes": bool(right >= CAPABILITY_GATE)})
    return pd.DataFrame(rows)
