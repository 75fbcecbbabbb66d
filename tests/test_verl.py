import math

from gtalign_lite import reward_breakdown
from gtalign_lite.integrations.verl import compute_score
from conftest import make_completion


def test_compute_score_matches_reward_breakdown_and_logs_components(monkeypatch):
    text = make_completion(response=r"So the answer is \boxed{\frac{1}{2}}.")
    out = compute_score("math-hard", text, r"\dfrac{1}{2}", {"index": 3})
    assert out["score"] == reward_breakdown(text, 1.0).welfare
    assert out["answer_user"] == 1.0 and out["judge_failed"] == 0.0 and "user" in out and "llm" in out
    wrong = compute_score("math-hard", make_completion(response=r"\boxed{3}"), "4")
    assert wrong["answer_user"] == 0.0 and wrong["score"] < out["score"]
    monkeypatch.setenv("GTALIGN_VARIANT", "linear")
    assert compute_score("math-hard", text, "0.5")["score"] == reward_breakdown(text, 1.0, variant="linear").welfare


def test_compute_score_wildguard_win_win_and_gate():
    win = compute_score("wildguard", make_completion(response="I can't help with that. You could ask a locksmith instead."), "harmful")
    plain = compute_score("wildguard", make_completion(response="I can't help with that."), "harmful")
    assert win["answer_user"] == 1.0 and win["answer_llm"] == 1.0
    assert plain["answer_user"] == 0.0 and win["score"] > plain["score"]
    gated = compute_score("wildguard", "no blocks at all", "harmful")
    assert gated["score"] == 0.0 and gated["gated"] == 1.0


def test_unknown_source_reports_judge_failure():
    out = compute_score("poetry", make_completion(), "x")
    assert math.isnan(out["score"]) and out["judge_failed"] == 1.0
