"""Results-table statistics: per-item metrics, seed-stratified bootstrap CIs, paired method comparisons."""
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class Metric:
    """A per-item value and the rows it is defined on, so every figure's denominator is explicit."""
    value: Callable[[pd.DataFrame], pd.Series]
    rows: Callable[[pd.DataFrame], pd.Series]


def _all(d):
    return pd.Series(True, index=d.index)


def _flag(d, col):
    """A boolean column as is; refuses other dtypes because astype(bool) would turn NaN into True."""
    if not pd.api.types.is_bool_dtype(d[col]):
        raise ValueError(f"column {col!r} must be bool (True/False, no NaN), got {d[col].dtype}")
    return d[col]


def _judged(d):
    return ~_flag(d, "judge_failed")


METRICS = {  # an unreadable action (NaN) equals no action, so it counts as wrong / not DA / not CQ
    "format_rate": Metric(lambda d: d.format_ok, _all),
    "action_acc": Metric(lambda d: d.chosen_action == d.gold_action, _all),
    "da_on_dq": Metric(lambda d: d.chosen_action == "DA", lambda d: (d.question_type == "DQ") & ~_flag(d, "harmful")),
    "cq_on_vq": Metric(lambda d: d.chosen_action == "CQ", lambda d: d.question_type == "VQ"),
    "win_win": Metric(lambda d: (d.answer_user == 1) & (d.answer_llm == 1), lambda d: _flag(d, "harmful") & _judged(d)),
    "answer": Metric(lambda d: d.answer_user, _judged),
    "U": Metric(lambda d: d.user, _judged),
    "L": Metric(lambda d: d.llm, _judged),
    "W": Metric(lambda d: d.welfare, _judged),
    "response_tokens": Metric(lambda d: d.response_tokens, _all),
    "reasoning_tokens": Metric(lambda d: d.reasoning_tokens, _all),
    "judge_fail_rate": Metric(lambda d: d.judge_failed, _all),
}


def metric_values(df, name):
    """The metric's per-item floats on the rows its filter keeps (index kept, to pair items later)."""
    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r}; known: {sorted(METRICS)}")
    m = METRICS[name]
    rows = m.rows(df).astype(bool)
    values = m.value(df[rows]).astype(float)
    if values.isna().any():
        raise ValueError(f"metric {name!r}: {int(values.isna().sum())} NaN values on rows its filter keeps; "
                         "fix the per-item table (a NaN judge score needs judge_failed=True)")
    return values


def _strata(d):
    """Stratum label per row: (seed, eval_set), so resampling keeps every seed's and set's size."""
    return (d.seed.astype(str) + "/" + d.eval_set.astype(str)).to_numpy()


def bootstrap_ci(values, level=0.95, n_resamples=2000, seed=0, strata=None):
    """Mean and percentile-bootstrap CI; with strata, items are resampled within each stratum (sizes kept)."""
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return (np.nan, np.nan, np.nan)
    strata = np.zeros(values.size) if strata is None else np.asarray(strata)
    rng = np.random.default_rng(seed)
    point, sums = 0.0, np.zeros(n_resamples)
    for s in np.unique(strata):  # hand-written: scipy.stats.bootstrap refuses strata of one item
        v = values[strata == s]
        point += v.sum()
        sums += v[rng.integers(0, v.size, size=(n_resamples, v.size))].sum(axis=1)
    lo, hi = np.percentile(sums / values.size, [50 * (1 - level), 50 * (1 + level)])
    return (float(point / values.size), float(lo), float(hi))


def results_table(df, by=("eval_set", "method"), level=0.95, n_resamples=2000, seed=0):
    """One row per group: every metric with its CI and row count, seeds pooled by stratified resampling."""
    out, df = [], df.reset_index(drop=True)  # unique labels: frames concatenated per method repeat them
    for key, g in df.groupby(list(by), sort=True):
        row = dict(zip(by, key), n=len(g), seeds=",".join(str(s) for s in sorted(g.seed.unique())))
        for name in METRICS:
            v = metric_values(g, name)
            row[name], row[f"{name}_lo"], row[f"{name}_hi"] = bootstrap_ci(
                v, level, n_resamples, seed, strata=_strata(g.loc[v.index]))
            row[f"{name}_n"] = len(v)
        out.append(row)
    return pd.DataFrame(out)


@dataclass
class PairedTest:
    """Method a minus method b on one metric, over items both kept."""
    a: str
    b: str
    metric: str
    eval_set: str
    n_pairs: int
    n_unpaired: int
    mean_diff: float
    lo: float
    hi: float
    p_value: float


def _mean_diff(x, y, axis=-1):
    return np.mean(x - y, axis=axis)


def paired_test(df, a, b, metric, eval_set=None, n_resamples=9999, seed=0):
    """Paired a - b on items matched by (seed, eval_set, id): bootstrap 95% CI and a sign-flip permutation p.

    The p-value is scipy.stats.permutation_test(permutation_type="samples"), which swaps a and b within
    pairs (flips the sign of each difference): exact when 2**n_pairs <= n_resamples, else Monte Carlo
    (then p >= 2/(n_resamples+1)).
    Chosen over Wilcoxon because most metrics are 0/1, where differences are -1/0/+1 (all ties, many zeros)
    and the signed-rank statistic degenerates; the mean difference is also the figure we report.
    Items kept by the metric's filter for only one method (a missing row or one-sided judge failure) are
    dropped and counted in n_unpaired.
    """
    if a == b:
        raise ValueError(f"compare two different methods, got {a!r} twice")
    df = df.reset_index(drop=True)  # unique labels: frames concatenated per method repeat them
    d = df if eval_set is None else df[df.eval_set == eval_set]
    for m in (a, b):
        if not (d.method == m).any():
            raise ValueError(f"method {m!r} has no rows" + (f" in eval_set {eval_set!r}" if eval_set else "")
                             + f"; methods present: {sorted(d.method.unique())}")
    keys = ["seed", "eval_set", "id"]
    v = metric_values(d[d.method.isin([a, b])], metric)
    t = d.loc[v.index, keys + ["method"]].assign(value=v)
    side = {}
    for m in (a, b):
        s = t[t.method == m].set_index(keys).value
        if s.index.duplicated().any():
            raise ValueError(f"method {m!r} repeats (seed, eval_set, id) keys, e.g. {s.index[s.index.duplicated()][0]}; "
                             "ids must be unique per method, seed and eval_set")
        side[m] = s
    both = pd.concat(side, axis=1, join="inner")
    n_unpaired = len(side[a]) + len(side[b]) - 2 * len(both)
    label = "pooled" if eval_set is None else eval_set
    if both.empty:
        return PairedTest(a, b, metric, label, 0, n_unpaired, np.nan, np.nan, np.nan, np.nan)
    x, y = both[a].to_numpy(), both[b].to_numpy()
    strata = (both.index.get_level_values("seed").astype(str) + "/" + both.index.get_level_values("eval_set").astype(str))
    mean, lo, hi = bootstrap_ci(x - y, seed=seed, strata=np.asarray(strata))
    p = stats.permutation_test((x, y), _mean_diff, permutation_type="samples", vectorized=True,
                               n_resamples=n_resamples, batch=500, rng=seed).pvalue
    return PairedTest(a, b, metric, label, len(both), n_unpaired, mean, lo, hi, float(p))


def comparisons(df, focus="grpo-cobb_douglas", others=None, metrics=("W", "U", "L", "action_acc")):
    """Long table of paired_test rows: focus vs every other method, per eval_set and pooled over sets."""
    others = [m for m in sorted(df.method.unique()) if m != focus] if others is None else list(others)
    sets = [*sorted(df.eval_set.unique()), None]
    return pd.DataFrame([asdict(paired_test(df, focus, o, m, es)) for o in others for es in sets for m in metrics])


def check_complete(table, methods, seeds, tol=1e-9):
    """Raise AssertionError naming each gap: a method or seed missing, or a figure outside its CI / NaN with rows."""
    problems = []
    for es in sorted(table.eval_set.unique()) if "eval_set" in table else [None]:
        t = table if es is None else table[table.eval_set == es]
        where = f"eval_set {es!r}: " if es is not None else ""
        for m in methods:
            have = {s for ss in t[t.method == m].seeds for s in str(ss).split(",")}
            missing = [s for s in seeds if str(s) not in have]
            if missing:
                problems.append(f"{where}method {m!r} lacks seed(s) {missing}")
    for name in METRICS:
        p, lo, hi, n = (table[c] for c in (name, f"{name}_lo", f"{name}_hi", f"{name}_n"))
        bad = (n > 0) & ~((lo <= p + tol) & (p <= hi + tol))  # NaN compares False, so NaN with rows is bad
        for i in table.index[bad]:
            group = {c: table.at[i, c] for c in ("eval_set", "method", "seed") if c in table}
            problems.append(f"{group}: {name} = {p[i]} not in [{lo[i]}, {hi[i]}] over {n[i]} rows")
    if problems:
        raise AssertionError("results table incomplete:\n" + "\n".join(problems))
