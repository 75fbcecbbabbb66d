"""Pareto metrics (the reference's pareto_ratio.py definitions) against values worked out by hand."""
import math

import pandas as pd
import pytest

from gtalign_lite.evaluate import summary
from gtalign_lite.pareto import (cobb_douglas_mean, dominance_counts, dominates, eps_dominates, frontier_regret,
                                 hypervolume, hypervolume_reference_style, nash_social_welfare, pareto_against,
                                 pareto_comparison, pareto_points)


# ---- hypervolume: area of the union of rectangles [ref_u, u] x [ref_l, l] ----
@pytest.mark.parametrize("points, ref, area", [
    ([], (0, 0), 0.0),
    ([(2, 3)], (0, 0), 6.0),  # one rectangle 2 x 3
    ([(2, 3)], (1, 1), 2.0),  # (2-1) x (3-1)
    ([(2, 3)], (2, 0), 0.0),  # on the ref's u: zero width
    ([(2, 3)], (3, 0), 0.0),  # below the ref: nothing
    ([(2, 1), (1, 2)], (0, 0), 3.0),  # 2x1 + 1x2 - overlap 1x1
    ([(2, 1), (1, 2), (1, 1)], (0, 0), 3.0),  # (1, 1) is dominated: adds nothing
    ([(2, 1), (2, 1), (1, 2)], (0, 0), 3.0),  # a duplicate adds nothing
    ([(3, 1), (2, 2), (1, 3)], (0, 0), 6.0),  # staircase: 3x1 + 2x1 + 1x1
    ([(3, 1), (2, 2), (-1, 5)], (0, 0), 5.0),  # (-1, 5) lies left of the ref: 3x1 + 2x1
    ([(1, 0.5), (0.5, 1), (0.2, 0.2)], (0.2, 0.2), 0.3 * 0.8 + 0.5 * 0.3),  # strips [0.2,0.5]x0.8, [0.5,1]x0.3
])
def test_hypervolume_by_hand(points, ref, area):
    assert hypervolume(points, ref) == pytest.approx(area)


def test_reference_style_counts_only_the_first_rectangle():
    # The reference walks its front by falling u; after the first point every strip has width 0.
    assert hypervolume_reference_style([(2, 1), (1, 2)], (0, 0)) == 2.0  # the true value is 3
    assert hypervolume_reference_style([(3, 1), (2, 2), (1, 3)], (0, 0)) == 3.0  # true: 6
    assert hypervolume_reference_style([(2, 3)], (1, 1)) == hypervolume([(2, 3)], (1, 1)) == 2.0  # one point: same
    assert hypervolume_reference_style([(2, 1), (2, 3)], (0, 0)) == 6.0  # tie on u: the larger l
    assert hypervolume_reference_style([], (0, 0)) == 0.0


def test_dominance_and_front():
    assert dominates((1, 1), (1, 0)) and not dominates((1, 1), (1, 1)) and not dominates((1, 0), (0, 1))
    assert pareto_points([(1, 0), (0, 1), (0.5, 0.5), (0.4, 0.4), (1, 0)]) == [(0, 1), (0.5, 0.5), (1, 0)]
    # epsilon dominance, eps in raw units: within eps both ways (a tie), and the reference's strict case eps = 0
    assert eps_dominates((0.5, 0.5), (0.52, 0.52), 0.05) and eps_dominates((0.52, 0.52), (0.5, 0.5), 0.05)
    assert not eps_dominates((0.5, 0.5), (0.52, 0.52), 0.0) and eps_dominates((0.52, 0.52), (0.5, 0.5), 0.0)
    assert not eps_dominates((0.5, 0.5), (0.5, 0.5), 0.0)  # equal points: neither dominates when eps = 0


def test_regret_and_welfare_by_hand():
    front = [(0.5, 1.0), (1.0, 0.8)]
    # (0.5, 0.5) with ranges (1, 0.8): to (0.5, 1): max(0, 0.5/0.8) = 0.625; to (1, 0.8): max(0.5, 0.375) = 0.5
    assert frontier_regret((0.5, 0.5), front, (1.0, 0.8)) == pytest.approx(0.5)
    assert frontier_regret((1.0, 0.8), front, (1.0, 0.8)) == 0.0
    assert frontier_regret((2.0, 2.0), front, (0.0, 0.0)) == 0.0  # above the front: no regret; zero range -> 1
    assert nash_social_welfare([(0.25, 1.0), (1.0, 0.0)]) == pytest.approx((0.5 + 0.0) / 2, abs=1e-4)
    assert cobb_douglas_mean([(0.25, 1.0)], alpha=0.5) == pytest.approx(0.5)
    assert cobb_douglas_mean([(0.25, 1.0)], alpha=1.0) == pytest.approx(0.25)  # all weight on U
    assert cobb_douglas_mean([(-1.0, 1.0)]) == pytest.approx(0.0, abs=1e-4)  # negatives clip to 0, like the reference


def two_methods(id_col="id"):
    """Two methods on six items; B's judge failed on item 6.

    item  A (U, L)      B (U, L)       eps = 0.05 (raw units)                    eps = 0 (strict)
    1     (1.0, 0.6)    (0.5, 1.0)     neither within eps of the other: incomp.  incomparable
    2     (1.0, 0.8)    (0.5, 0.6)     A wins                                     A wins
    3     (0.0, 0.2)    (0.75, 0.4)    B wins                                     B wins
    4     (0.5, 0.62)   (0.48, 0.98)   B wins (its U is only 0.02 lower)          incomparable
    5     (0.5, 0.5)    (0.5, 0.5)     tie (each within eps of the other)         equal: tie
    6     (0.75, 0.75)  judge failed   excluded for both methods
    """
    a = [(1.0, 0.6), (1.0, 0.8), (0.0, 0.2), (0.5, 0.62), (0.5, 0.5), (0.75, 0.75)]
    b = [(0.5, 1.0), (0.5, 0.6), (0.75, 0.4), (0.48, 0.98), (0.5, 0.5), (math.nan, math.nan)]
    rows = [{"method": m, id_col: f"q{i + 1}", "user": u, "llm": v, "welfare": math.sqrt(u * v),
             "judge_failed": math.isnan(u)} for m, pts in (("A", a), ("B", b)) for i, (u, v) in enumerate(pts)]
    return pd.DataFrame(rows)


def test_pareto_comparison_hand_worked():
    p = pareto_comparison(two_methods())
    # Kept: items 1-5. Pooled U in [0, 1] (range 1), L in [0.2, 1] (range 0.8); reference point (0, 0.2).
    # Joint front of the 10 points: (0.5, 1.0) from B and (1.0, 0.8) from A; every other point is dominated.
    assert p.attrs["joint_front"] == [(0.5, 1.0), (1.0, 0.8)]
    assert list(p.n_items) == [5, 5] and list(p.excluded_items) == [1, 1] and list(p.judge_failures) == [0, 1]
    assert p.loc["A", ["dominates", "dominated_by", "tie_or_incomparable"]].tolist() == [1, 2, 2]
    assert p.loc["B", ["dominates", "dominated_by", "tie_or_incomparable"]].tolist() == [2, 1, 2]
    # Regret to the front, min over its two points of max((f_u - u)+ / 1, (f_l - l)+ / 0.8):
    # A: (1,.6) -> min(.5, .25) = .25; (1,.8) -> 0; (0,.2) -> min(1, 1) = 1; (.5,.62) -> min(.475, .5) = .475;
    #    (.5,.5) -> min(.625, .5) = .5.  Mean 2.225 / 5 = .445
    # B: (.5,1) -> 0; (.5,.6) -> .5; (.75,.4) -> min(.75, .5) = .5; (.48,.98) -> min(.025, .52) = .025; (.5,.5) -> .5
    #    Mean 1.525 / 5 = .305
    assert p.loc["A", "regret"] == pytest.approx(0.445) and p.loc["B", "regret"] == pytest.approx(0.305)
    # Within eps = 0.05 of the front (regret <= .05): A only (1, .8): 1/5; B (.5, 1) and (.48, .98): 2/5.
    assert p.loc["A", "eps_coverage"] == pytest.approx(0.2) and p.loc["B", "eps_coverage"] == pytest.approx(0.4)
    # Hypervolume above (0, 0.2). A: (1, .8) dominates its other points -> 1 x .6 = .6.
    # B: (.75, .4) and (.5, 1) -> .75 x .2 + .5 x .8 - overlap .5 x .2 = .15 + .4 - .1 = .45.
    # The reference's function keeps only the largest-U rectangle: A 1 x .6 = .6, B .75 x .2 = .15.
    assert p.loc["A", "hypervolume"] == pytest.approx(0.6) and p.loc["B", "hypervolume"] == pytest.approx(0.45)
    assert p.loc["A", "hypervolume_reference_style"] == pytest.approx(0.6)
    assert p.loc["B", "hypervolume_reference_style"] == pytest.approx(0.15)
    # NSW = Cobb-Douglas at alpha .5 = mean sqrt(U L):
    # A: sqrt(.6) + sqrt(.8) + 0 + sqrt(.31) + .5 = .774597 + .894427 + 0 + .556776 + .5 = 2.725800 -> .545160
    # B: sqrt(.5) + sqrt(.3) + sqrt(.3) + sqrt(.4704) + .5 = .707107 + .547723 * 2 + .685857 + .5 = 2.988409 -> .597682
    assert p.loc["A", "nsw"] == pytest.approx(0.545160, abs=1e-4)
    assert p.loc["B", "nsw"] == pytest.approx(0.597682, abs=1e-4)
    assert list(p.cobb_douglas) == pytest.approx(list(p.nsw))


def test_pareto_comparison_strict_and_pairs():
    # eps = 0, as the reference script's own run: item 4 becomes incomparable; coverage = share on the front.
    p = pareto_comparison(two_methods(), eps=0.0)
    assert p.loc["A", ["dominates", "dominated_by", "tie_or_incomparable"]].tolist() == [1, 1, 3]
    assert p.loc["A", "eps_coverage"] == pytest.approx(0.2) and p.loc["B", "eps_coverage"] == pytest.approx(0.2)
    pairs = dominance_counts(two_methods()).set_index(["method", "opponent"])
    assert pairs.loc[("A", "B"), ["n_items", "wins", "losses", "tie_or_incomparable"]].tolist() == [5, 1, 2, 2]
    assert pairs.loc[("B", "A"), ["wins", "losses"]].tolist() == [2, 1]


def test_item_column_choice_and_errors():
    by_uid = pareto_comparison(two_methods("uid"))  # no 'id' column: 'uid' is used
    assert by_uid.loc["B", "hypervolume"] == pytest.approx(0.45)
    mixed = two_methods()
    mixed["uid"] = mixed["id"].where(mixed["id"].isin(["q1", "q2"]))  # suite rows: 'uid' only; paper rows: 'id'
    mixed["id"] = mixed["id"].where(~mixed["id"].isin(["q1", "q2"]))
    assert pareto_comparison(mixed).loc["A", "regret"] == pytest.approx(0.445)  # each row's id, else its uid
    named = two_methods("question_no")
    assert pareto_comparison(named, item="question_no").loc["A", "regret"] == pytest.approx(0.445)
    with pytest.raises(ValueError, match="12 rows have no item id.*'id' or 'uid'"):
        pareto_comparison(named)
    with pytest.raises(ValueError, match="item column 'qid' is not in the frame"):
        pareto_comparison(named, item="qid")
    with pytest.raises(ValueError, match="not scored on the same items"):
        pareto_comparison(two_methods().drop(index=0))
    with pytest.raises(ValueError, match="repeat a"):
        pareto_comparison(pd.concat([two_methods(), two_methods().iloc[:1]]))


def test_every_item_failed_gives_nan_not_a_crash():
    df = two_methods().assign(judge_failed=True)
    p = pareto_comparison(df)
    assert list(p.n_items) == [0, 0] and list(p.excluded_items) == [6, 6] and list(p.judge_failures) == [6, 6]
    assert p[["regret", "hypervolume", "nsw"]].isna().all().all()


def test_summary_counts_judge_failures_in_n():
    df = two_methods().assign(answer_user=0.5, format_ok=True, chosen_action="DQ_DA", gold_action="DQ_DA",
                              pred_type="DQ", question_type="DQ", response_words=3, reasoning_chars=10)
    s = summary(df)
    assert s.loc["B", "n"] == 6 and s.loc["B", "judge_fail_rate"] == pytest.approx(1 / 6)
    assert s.loc["B", "U"] == pytest.approx((0.5 + 0.5 + 0.75 + 0.48 + 0.5) / 5)  # over the five judged rows


def test_one_method_alone():
    # A alone (items 1-6, none failed): front [(1, .8)], U range 1, L range .8 - .2 = .6, no pairs.
    # Regret: (1,.6) .2/.6 = 1/3; (1,.8) 0; (0,.2) max(1, 1) = 1; (.5,.62) max(.5, .3) = .5; (.5,.5) max(.5, .5) = .5;
    # (.75,.75) max(.25, .05/.6) = .25. Mean (1/3 + 0 + 1 + .5 + .5 + .25) / 6 = 2.583333 / 6 = .430556
    p = pareto_comparison(two_methods()[lambda d: d.method == "A"])
    assert p.loc["A", ["n_items", "dominates", "dominated_by", "tie_or_incomparable"]].tolist() == [6, 0, 0, 0]
    assert p.loc["A", "regret"] == pytest.approx(2.583333 / 6)


def test_pareto_against_each_opponent_alone():
    # F beats X on item 1 and ties on item 2; against Y it wins item 1, item 2 is incomparable. Each pair has its own
    # front, ranges and reference point (pooled over all three, F's regret against X would be .25, not .5).
    pts = {"F": [(1.0, 1.0), (0.5, 0.5)], "X": [(0.5, 0.5), (0.5, 0.5)], "Y": [(1.0, 0.0), (0.0, 1.0)]}
    df = pd.DataFrame([{"eval_set": "suite", "method": m, "uid": f"i{i}", "user": u, "llm": v, "judge_failed": False}
                       for m, p in pts.items() for i, (u, v) in enumerate(p)])
    t = pareto_against(df, "F").set_index(["opponent", "method"])
    assert sorted(t.index) == [("X", "F"), ("X", "X"), ("Y", "F"), ("Y", "Y")] and (t.eval_set == "suite").all()
    # F vs X: front {(1, 1)}, ranges .5 and .5, reference (.5, .5). F's regrets 0 and 1, X's 1 and 1.
    assert t.loc[("X", "F"), ["dominates", "dominated_by", "tie_or_incomparable"]].tolist() == [1, 0, 1]
    assert t.loc[("X", "F"), "regret"] == pytest.approx(0.5) and t.loc[("X", "X"), "regret"] == pytest.approx(1.0)
    assert t.loc[("X", "F"), "hypervolume"] == pytest.approx(0.25) and t.loc[("X", "X"), "hypervolume"] == 0
    assert t.loc[("X", "F"), "eps_coverage"] == pytest.approx(0.5) and t.loc[("X", "X"), "eps_coverage"] == 0
    # F vs Y: front {(1, 1)}, ranges 1 and 1, reference (0, 0). F's regrets 0 and .5; Y's 1 and 1.
    assert t.loc[("Y", "F"), ["dominates", "dominated_by", "tie_or_incomparable"]].tolist() == [1, 0, 1]
    assert t.loc[("Y", "F"), "regret"] == pytest.approx(0.25) and t.loc[("Y", "Y"), "regret"] == pytest.approx(1.0)
    assert t.loc[("Y", "F"), "hypervolume"] == pytest.approx(1.0) and t.loc[("Y", "Y"), "hypervolume"] == 0
