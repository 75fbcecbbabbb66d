"""The second experiment's bookkeeping (gtalign_lite/prereg2.py, scripts/prereg2.py): an arm is read off another's run only when its reward paid every rollout of every
registered step exactly as the trained arm's; the scheduler orders stages so that this can be read."""
import importlib.util

import pandas as pd

from conftest import ROOT

from gtalign_lite import prereg2

spec = importlib.util.spec_from_file_location("prereg2_cli", ROOT / "scripts" / "prereg2.py")
cli = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cli)
S = {"grpo_steps": 4}


def _rollouts(run, arm, equal_control):
    (run / f"grpo-{arm}").mkdir(parents=True)
    pd.DataFrame({"step": range(1, len(equal_control) + 1), "equal_control": equal_control,
                  "equal_decision": [False] * len(equal_control)}).to_csv(
        run / f"grpo-{arm}" / "arms_on_rollouts.csv", index=False)


def test_an_arm_is_the_same_run_only_when_equal_at_every_registered_step(tmp_path):
    _rollouts(tmp_path / "all", "welfare", [True] * 4)
    _rollouts(tmp_path / "one_differs", "welfare", [True, True, False, True])
    _rollouts(tmp_path / "stopped_early", "welfare", [True] * 3)  # 3 of the 4 registered steps
    assert prereg2.same_run(S, tmp_path / "all", "control") == "welfare"
    assert prereg2.same_run(S, tmp_path / "all", "decision") is None
    assert prereg2.same_run(S, tmp_path / "one_differs", "control") is None
    assert prereg2.same_run(S, tmp_path / "stopped_early", "control") is None
    assert prereg2.same_run(S, tmp_path / "all", "welfare") is None  # never itself


def test_a_same_run_arm_is_recorded_and_its_evaluation_is_the_other_arms_rows(tmp_path):
    _rollouts(tmp_path, "welfare", [True] * 4)
    prereg2.grpo_stage(S, tmp_path, 0, "control")  # returns before loading any model
    assert (tmp_path / "grpo-control" / "same_as.json").exists()
    pd.DataFrame({"arm": ["welfare"] * 2, "asks": [True, False]}).to_csv(tmp_path / "eval-welfare.csv", index=False)
    prereg2.eval_stage(S, tmp_path, 0, "control")
    got = pd.read_csv(tmp_path / "eval-control.csv")
    assert list(got.arm) == ["control", "control"] and list(got.asks) == [True, False]


def test_the_other_arms_wait_for_the_welfare_arms_run():
    jobs = {name: needs for name, _, needs in cli.jobs_for([0], ["welfare", "control", "decision"])}
    assert jobs["s0-grpo-welfare"] == ["s0-before"]
    assert jobs["s0-grpo-control"] == ["s0-before", "s0-grpo-welfare"]
    assert jobs["s0-eval-control"] == ["s0-grpo-control", "s0-eval-welfare"]
