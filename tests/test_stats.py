"""gtalign_lite.stats against values worked by hand (no real data needed)."""
import math

import numpy as np
import pandas as pd
import pytest

from gtalign_lite.pareto import pareto_against
from gtalign_lite.stats import bootstrap_ci, check_complete, comparisons, complete_seeds, paired_test, results_table

NAN = float("nan")
COLS = ["question_type", "gold_action", "chosen_action", "harmful", "format_ok", "judge_failed",
        "answer_user", "answer_llm", "user", "llm", "welfare", "response_tokens", "reasoning_tokens"]
# Seven items of one method. Row 4 failed the judge with NaN scores, row 7 failed it with 0.0 scores
# written (as a careless writer would), so an unfiltered mean would differ from the right one.
ROWS = [
    ("DQ", "DA", "DA", False, True, False, 1.0, 1.0, 0.8, 0.6, 0.4, 10, 1),
    ("DQ", "DA", "CQ", False, True, False, 0.0, 0.0, 0.2, 0.3, 0.2, 20, 2),
    ("VQ", "CQ", "CQ", False, False, False, 1.0, 0.5, 0.6, 0.4, 0.3, 30, 3),
    ("VQ", "CQ", None, False, False, True, NAN, NAN, NAN, NAN, NAN, 40, 4),
    ("DQ", "DA", "DA", True, True, False, 1.0, 1.0, 0.9, 0.9, 0.9, 50, 5),  # harmful: refusal + safe alternative
    ("DQ", "DA", "AQ", True, True, False, 1.0, 0.0, 0.5, 0.2, 0.1, 60, 6),  # harmful, not a win-win
    ("DQ", "DA", "CQ", True, False, True, 0.0, 0.0, 0.0, 0.0, 0.0, 70, 7),  # harmful, judge failed
]


def hand_frame(method="m", seed=0, eval_set="suite"):
    d = pd.DataFrame(ROWS, columns=COLS)
    return d.assign(method=method, seed=seed, eval_set=eval_set, id=[f"i{k}" for k in range(len(d))], family="f")


def items(method, values, seed=0, eval_set="suite", ids=None):
    """A minimal frame: one judged, well-formed item per W value."""
    ids = ids or [f"i{k}" for k in range(len(values))]
    n = len(values)
    return pd.DataFrame(dict(method=method, seed=seed, eval_set=eval_set, id=ids, family="f", question_type="DQ",
                             gold_action="DA", chosen_action="DA", harmful=False, format_ok=True, judge_failed=False,
                             answer_user=1.0, answer_llm=1.0, user=values, llm=values, welfare=values,
                             response_tokens=[10] * n, reasoning_tokens=[5] * n))


def test_metrics_on_hand_frame():
    row = results_table(hand_frame()).iloc[0]
    assert row.n == 7
    assert row.format_rate == pytest.approx(4 / 7)  # rows 1, 2, 5, 6
    assert row.action_acc == pytest.approx(3 / 7)  # rows 1, 3, 5; the unreadable choice (row 4) is wrong
    assert (row.da_on_dq, row.da_on_dq_n) == (pytest.approx(1 / 2), 2)  # rows 1-2 only: harmful DQ rows excluded
    assert (row.cq_on_vq, row.cq_on_vq_n) == (pytest.approx(1 / 2), 2)  # row 3 CQ, row 4 unreadable
    assert (row.win_win, row.win_win_n) == (pytest.approx(1 / 2), 2)  # rows 5, 6; judge-failed row 7 out
    assert (row.W, row.W_n) == (pytest.approx((0.4 + 0.2 + 0.3 + 0.9 + 0.1) / 5), 5)
    assert row.U == pytest.approx((0.8 + 0.2 + 0.6 + 0.9 + 0.5) / 5)
    assert row.L == pytest.approx((0.6 + 0.3 + 0.4 + 0.9 + 0.2) / 5)
    assert row.answer == pytest.approx(4 / 5)
    assert row.judge_fail_rate == pytest.approx(2 / 7)
    assert row.response_tokens == pytest.approx(40) and row.reasoning_tokens == pytest.approx(4)
    for m in ("format_rate", "W", "win_win", "response_tokens"):
        assert row[f"{m}_lo"] <= row[m] <= row[f"{m}_hi"]


def test_nan_score_on_a_judged_row_is_refused():
    d = hand_frame()
    d.loc[0, "welfare"] = NAN
    with pytest.raises(ValueError, match="judge_failed"):
        results_table(d)


def test_bootstrap_empty_and_constant():
    assert all(math.isnan(x) for x in bootstrap_ci([]))
    mean, lo, hi = bootstrap_ci([0.3] * 10)
    assert lo == hi == mean == pytest.approx(0.3)
    assert bootstrap_ci([7.0]) == (7.0, 7.0, 7.0)


@pytest.mark.parametrize("n, tol", [(100, 0.02), (1000, 0.006)])
def test_bootstrap_of_proportion_matches_normal_approximation(n, tol):
    p = 0.3
    values = np.array([1.0] * int(p * n) + [0.0] * (n - int(p * n)))
    mean, lo, hi = bootstrap_ci(values)
    half = 1.96 * math.sqrt(p * (1 - p) / n)  # 0.0898 for n=100, 0.0284 for n=1000
    assert mean == pytest.approx(p) and lo < p < hi
    assert lo == pytest.approx(p - half, abs=tol) and hi == pytest.approx(p + half, abs=tol)


def test_bootstrap_narrows_as_n_grows():
    widths = [np.subtract(*bootstrap_ci([1.0] * k + [0.0] * k)[2:0:-1]) for k in (10, 100, 1000)]
    assert widths[0] > widths[1] > widths[2] > 0


def test_stratified_resampling_keeps_each_seed_size():
    # seed 0 is all 0 (3 items), seed 1 all 1 (1 item): keeping sizes, every resample's mean is 1/4 exactly
    values, seeds = [0.0, 0.0, 0.0, 1.0], [0, 0, 0, 1]
    assert bootstrap_ci(values, strata=seeds) == (0.25, 0.25, 0.25)
    mean, lo, hi = bootstrap_ci(values)  # unstratified, the number of 1s varies
    assert lo < mean == 0.25 < hi


def test_results_table_pools_seeds_stratified_and_splits_by_seed():
    d = pd.concat([items("m", [0.0, 0.0, 0.0], seed=0), items("m", [1.0], seed=1)])
    pooled = results_table(d).iloc[0]
    assert (pooled.n, pooled.seeds) == (4, "0,1")
    assert (pooled.W, pooled.W_lo, pooled.W_hi) == (0.25, 0.25, 0.25)
    per_seed = results_table(d, by=("eval_set", "method", "seed"))
    assert list(per_seed.seed) == [0, 1] and list(per_seed.n) == [3, 1] and list(per_seed.W) == [0.0, 1.0]


def test_paired_test_a_beats_b_on_every_item():
    n = 12
    d = pd.concat([items("a", [0.9] * n), items("b", [0.4] * n)])
    r = paired_test(d, "a", "b", "W")
    assert (r.n_pairs, r.n_unpaired) == (n, 0)
    assert (r.mean_diff, r.lo, r.hi) == pytest.approx((0.5, 0.5, 0.5))
    # sign flips: only all-plus and all-minus reach |mean| >= 0.5, so the exact two-sided p is 2 / 2**n
    assert r.p_value == pytest.approx(2 / 2 ** n)


def test_paired_test_equal_methods_give_p_one():
    d = pd.concat([items("a", [0.2, 0.5, 0.7]), items("b", [0.2, 0.5, 0.7])])
    r = paired_test(d, "a", "b", "W")
    assert (r.n_pairs, r.mean_diff, r.lo, r.hi, r.p_value) == (3, 0.0, 0.0, 0.0, 1.0)


def test_paired_test_counts_unpaired_items_and_matches_on_seed():
    a = items("a", [1.0] * 5, ids=["x1", "x2", "x3", "x4", "x5"])
    b = items("b", [0.0] * 5, ids=["x1", "x2", "x3", "x4", "x6"])
    other_seed = items("b", [0.0], seed=1, ids=["x5"])  # same id, other seed: not a pair
    failed = a.id == "x1"
    a.loc[failed, "judge_failed"] = True  # a judge failure on one side drops that pair for W...
    r = paired_test(pd.concat([a, b, other_seed]), "a", "b", "W")
    assert (r.n_pairs, r.n_unpaired, r.mean_diff) == (3, 4, 1.0)  # pairs x2-x4; a:x5, b:x1, x6, seed-1 x5
    r = paired_test(pd.concat([a, b, other_seed]), "a", "b", "format_rate")  # ...but not for format
    assert (r.n_pairs, r.n_unpaired) == (4, 3)


def test_paired_test_names_the_missing_method():
    d = items("a", [1.0, 0.0])
    with pytest.raises(ValueError, match="'grpo-llm'"):
        paired_test(d, "a", "grpo-llm", "W")


def test_comparisons_per_set_and_pooled():
    frames = []
    for es in ("suite", "paper_test"):
        frames += [items("grpo-cobb_douglas", [0.9, 0.8], eval_set=es), items("sft", [0.7, 0.6], eval_set=es),
                   items("base", [0.5, 0.4], eval_set=es)]
    c = comparisons(pd.concat(frames), metrics=("W", "action_acc"))
    assert len(c) == 2 * 3 * 2  # others x (2 sets + pooled) x metrics
    w = c[c.metric == "W"].set_index(["b", "eval_set"])
    assert w.loc[("base", "pooled"), "mean_diff"] == pytest.approx(0.4)
    assert w.loc[("sft", "suite"), "mean_diff"] == pytest.approx(0.2)
    assert w.loc[("base", "pooled"), "n_pairs"] == 4
    assert (c[c.metric == "action_acc"].p_value == 1.0).all()  # every method picks the gold action


def test_check_complete():
    d = pd.concat([items(m, [0.2, 0.6, 0.9], seed=s) for m in ("base", "sft") for s in (0, 1)])
    check_complete(results_table(d), ["base", "sft"], [0, 1])  # win_win NaN here: no harmful rows
    dropped = d[~((d.method == "sft") & (d.seed == 1))]
    with pytest.raises(AssertionError, match=r"'sft' lacks seed\(s\) \[1\]"):
        check_complete(results_table(dropped), ["base", "sft"], [0, 1])
    per_seed = results_table(dropped, by=("eval_set", "method", "seed"))
    with pytest.raises(AssertionError, match=r"'sft' lacks seed\(s\) \[1\]"):
        check_complete(per_seed, ["base", "sft"], [0, 1])
    broken = results_table(d)
    broken.loc[0, "W_lo"] = 0.99
    with pytest.raises(AssertionError, match="W = "):
        check_complete(broken, ["base", "sft"], [0, 1])


def test_complete_seeds_leaves_out_a_seed_still_training_a_reward():
    # two seeds run side by side: seed 0 has finished its user-only run, seed 1 has not yet
    methods = {0: ["base", "sft", "grpo-cobb_douglas", "grpo-llm", "grpo-user"],
               1: ["base", "sft", "grpo-cobb_douglas", "grpo-llm"]}
    ids = {s: [f"seed{s}-q{k}" for k in range(3)] for s in methods}  # suite items are drawn per seed
    d = pd.concat([items(m, [0.2, 0.6, 0.9], seed=s, ids=ids[s]) for s, ms in methods.items() for m in ms])
    with pytest.raises(ValueError, match="not scored on the same items"):
        pareto_against(d, "grpo-cobb_douglas")  # what pooling both seeds did
    kept, waiting = complete_seeds(d)
    assert waiting == {1: ["grpo-user"]}
    assert set(kept.seed) == {0} and len(kept) == 5 * 3
    assert set(pareto_against(kept, "grpo-cobb_douglas").opponent) == {"base", "sft", "grpo-llm", "grpo-user"}
    both = pd.concat([d, items("grpo-user", [0.2, 0.6, 0.9], seed=1, ids=ids[1])])
    assert complete_seeds(both)[1] == {} and len(complete_seeds(both)[0]) == len(both)
    with pytest.raises(ValueError, match="no seed has every method"):
        complete_seeds(pd.concat([items("sft", [0.5], seed=0), items("grpo-llm", [0.5], seed=1)]))
