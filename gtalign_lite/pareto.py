"""The (U, L) plane's Pareto arithmetic, in one place: dominance, the front, hypervolume, regret, and the paper's
method-against-method comparison (the reference's experiments/pareto_ratio.py, restated). Both sides are maximised."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


def dominates(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """a is at least as good as b on both sides and strictly better on one (both sides maximised)."""
    return a[0] >= b[0] and a[1] >= b[1] and (a[0] > b[0] or a[1] > b[1])


def pareto_points(points) -> list[tuple[float, float]]:
    """The distinct points that no other point dominates, sorted by the first coordinate."""
    pts = sorted(set((float(u), float(v)) for u, v in points))
    return [p for p in pts if not any(dominates(q, p) for q in pts)]


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


def reference_pair_metrics(cd: pd.DataFrame, other: pd.DataFrame, eps: float = 0.1) -> dict:
    """The reference's one-against-one metrics (its tables/cd_vs_others_metrics.csv) for two runs' per-prompt
    (user_reward, llm_reward), as (first run, second run) pairs.

    Prompts are matched by question text (a repeated question keeps its last row, as the reference keys by input).
    Ranges, the reference point (min U, min L) and the joint front come from both runs' points. eps_coverage: share
    of a run's points whose frontier_regret to the joint front is at most eps; regret: its mean. Hypervolume of
    each run's own front: as the reference computed it (hypervolume_reference_style) and the true area."""
    a = cd.drop_duplicates("question", keep="last").set_index("question")
    b = other.drop_duplicates("question", keep="last").set_index("question")
    common = a.index.intersection(b.index)
    runs = [list(zip(r.loc[common, "user_reward"].astype(float), r.loc[common, "llm_reward"].astype(float)))
            for r in (a, b)]
    pool = runs[0] + runs[1]
    ref = (min(u for u, _ in pool), min(v for _, v in pool))
    ranges = (max(u for u, _ in pool) - ref[0], max(v for _, v in pool) - ref[1])
    joint = pareto_points(pool)
    regrets = [[frontier_regret(p, joint, ranges) for p in pts] for pts in runs]
    fronts = [pareto_points(pts) for pts in runs]
    return {"prompts": len(common),
            "eps_coverage": tuple(float(np.mean([r <= eps for r in rs])) for rs in regrets),
            "hv_reference": tuple(hypervolume_reference_style(f, ref) for f in fronts),
            "hv_true": tuple(hypervolume(f, ref) for f in fronts),
            "regret": tuple(float(np.mean(rs)) for rs in regrets)}
