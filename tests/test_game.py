"""Pareto fronts and action selection (welfare, nash, user, llm and the reference's product rule) on small payoff
matrices whose fronts and picks are worked out by hand, ties and negative payoffs included."""
import pytest

from gtalign_lite import KEYS, PayoffMatrix, pareto_front, select_action


def matrix(**cells):
    base = {k: (0.0, 0.0) for k in KEYS}
    base.update(cells)
    return PayoffMatrix.from_dict({k: {"LLM": l, "user": u} for k, (l, u) in base.items()})


def test_pareto_front_and_welfare_pick(sample_matrix):
    assert pareto_front(sample_matrix) == ["DQ_DA"]
    assert pareto_front(sample_matrix, "VQ") == ["VQ_AQ"]
    assert select_action(sample_matrix) == "DQ_DA"
    assert select_action(sample_matrix, "VQ") == "VQ_AQ"


def test_front_keeps_trade_offs():
    m = matrix(DQ_DA=(4, 1), DQ_CQ=(1, 4), DQ_AQ=(2, 2))
    assert pareto_front(m, "DQ") == ["DQ_AQ", "DQ_CQ", "DQ_DA"]


def test_ties_break_on_user_then_llm_then_key_order():
    m = matrix(DQ_DA=(3, 2), DQ_CQ=(2, 3), DQ_AQ=(1, 1))
    assert select_action(m, "DQ") == "DQ_CQ"  # equal sum 5, more for the user
    m = matrix(DQ_DA=(2, 2), DQ_CQ=(2, 2), DQ_AQ=(1, 1))
    assert select_action(m, "DQ") == "DQ_CQ"  # identical cells: key order DQ_AQ, DQ_CQ, DQ_DA


def test_identical_cells_both_stay_on_front():
    m = matrix(DQ_DA=(2, 2), DQ_CQ=(2, 2))
    assert set(pareto_front(m, "DQ")) == {"DQ_CQ", "DQ_DA"}


def test_negative_payoffs_reference_product_goes_wrong_ours_does_not():
    m = matrix(DQ_DA=(-3, -3), DQ_CQ=(1, 2), DQ_AQ=(0.5, 0.5), VQ_AQ=(-1, -1), VQ_CQ=(-1, -1), VQ_DA=(-1, -1))
    assert select_action(m, rule="reference_product") == "DQ_DA"  # (-3)(-3) = 9: the worst cell wins
    assert select_action(m) == "DQ_CQ"
    assert select_action(m, rule="nash") == "DQ_CQ"


def test_row_restriction_changes_the_pick():
    m = matrix(DQ_DA=(5, 5), VQ_CQ=(1, 1), VQ_DA=(0, 2))
    assert select_action(m) == "DQ_DA"
    assert select_action(m, "VQ") == "VQ_DA"  # sum 2 each, VQ_DA gives the user more


def test_nash_differs_from_welfare_on_lopsided_cells():
    m = matrix(DQ_DA=(6, 0.5), DQ_CQ=(3, 3), DQ_AQ=(0, 0))
    assert select_action(m, "DQ") == "DQ_DA"  # sum 6.5 > 6
    assert select_action(m, "DQ", rule="nash") == "DQ_CQ"  # (3-0)(3-0)=9 > (6)(0.5)=3
    assert select_action(m, "DQ", rule="user") == "DQ_CQ"
    assert select_action(m, "DQ", rule="llm") == "DQ_DA"


def test_unknown_rule_lists_valid_ones(sample_matrix):
    with pytest.raises(ValueError, match="welfare"):
        select_action(sample_matrix, rule="max")
