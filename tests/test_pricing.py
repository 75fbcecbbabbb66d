"""Pricing policies and reference shifts on one hand-written payoff matrix: shifted payoffs against values worked out
by hand, and which policies move the welfare and user picks and which keep them."""
import pytest

from gtalign_lite import KEYS, PayoffMatrix, PricingPolicy, ReferenceShift, apply_pricing, select_action

TOKENS = {"DA": 400, "CQ": 50, "AQ": 250}


def m():
    return PayoffMatrix.from_dict({
        "DQ_DA": {"LLM": 3.0, "user": 3.2}, "DQ_CQ": {"LLM": 2.5, "user": 2.0}, "DQ_AQ": {"LLM": 2.8, "user": 3.0},
        "VQ_DA": {"LLM": 0.5, "user": -1.0}, "VQ_CQ": {"LLM": 2.0, "user": 2.5}, "VQ_AQ": {"LLM": 1.5, "user": 1.8}})


def test_price_based_policy_shifts_by_tokens():
    p = PricingPolicy(price_per_1k=2.0, cost_per_1k=0.5)
    out = apply_pricing(m(), p, TOKENS)
    assert out["DQ_DA"].user == pytest.approx(3.2 - 2.0 * 0.4)
    assert out["DQ_DA"].llm == pytest.approx(3.0 + 1.5 * 0.4)
    assert out["VQ_CQ"].user == pytest.approx(2.5 - 2.0 * 0.05)
    assert m()["DQ_DA"].user == 3.2  # input untouched


def test_pure_transfer_keeps_welfare_sum_and_welfare_pick():
    before, after = m(), apply_pricing(m(), PricingPolicy(price_per_1k=5.0), TOKENS)
    for k in KEYS:
        assert before[k].llm + before[k].user == pytest.approx(after[k].llm + after[k].user)
    assert select_action(after, "DQ") == select_action(before, "DQ") == "DQ_DA"
    # but the user's own rule moves away from the expensive action
    assert select_action(after, "DQ", rule="user") != select_action(before, "DQ", rule="user")


def test_serving_cost_moves_welfare_pick_toward_short_actions():
    after = apply_pricing(m(), PricingPolicy(payer="provider", price_per_1k=9.0, cost_per_1k=3.0), TOKENS)
    assert after["DQ_DA"].user == 3.2  # flat plan: the user pays nothing per token
    assert select_action(after, "DQ") == "DQ_AQ"


def test_reference_shift_on_the_same_matrix():
    out = apply_pricing(m(), ReferenceShift(side="llm", shift=1.0))
    assert out["DQ_DA"] == (4.0, 3.2)
    assert out["DQ_AQ"] == (3.8, 4.0)
    assert out["DQ_CQ"] == (3.5, 2.5)
    assert select_action(out, "DQ") == "DQ_AQ"  # the AQ bonus flips the pick
    out = apply_pricing(m(), ReferenceShift(side="user", shift=-2.0))
    assert out["VQ_DA"] == (1.5, -3.0) and out["VQ_AQ"] == pytest.approx((2.0, -0.2))


def test_bad_policy_arguments():
    with pytest.raises(ValueError, match="payer"):
        PricingPolicy(payer="nobody")
    with pytest.raises(ValueError, match="side"):
        ReferenceShift(side="both")
    with pytest.raises(ValueError, match="lacks"):
        apply_pricing(m(), PricingPolicy(price_per_1k=1.0), {"DA": 10})
