"""The course assignment's custom welfares log by name (tests/test_grading.py builds and grades the assignment)."""
import json
import math

import pytest

import gtalign_lite as gl
from conftest import ASSIGNMENT


def min_welfare(u, l):
    """Egalitarian welfare: the worse-off side's utility."""
    return min(u, l)


def test_custom_welfare_names_the_scalar_and_keeps_the_shared_column():
    judge = gl.RuleJudge()
    item = gl.offline_items("train", 1, prompt_style="compact")[0]
    text = gl.make_sft_trace(item, __import__("random").Random(0))
    rf = gl.RewardFunctions(judge, min_welfare)
    names = [f.__name__ for f in rf.funcs]
    assert names[0] == "min_welfare" and "welfare" in names and rf.weights == [1.0] + [0.0] * (len(names) - 1)
    assert list(rf.log_columns)[0] == "rewards/min_welfare/mean"
    cols = {k: [item.get(k)] for k in judge.columns}
    out = {f.__name__: f([item["prompt"]], [text], **cols)[0] for f in rf.funcs}
    assert out["min_welfare"] == out["welfare"] == min(out["user"], out["llm"]) > 0
    import pandas as pd
    from gtalign_lite import plots
    log = pd.DataFrame({"step": [1, 2], **{c: [0.1, 0.2] for c in rf.log_columns}})
    fig = plots.curves(log, rf.log_columns, "custom")
    assert fig.axes[0].get_title() == "min_welfare (the reward)"  # the plot names the reward too
    b = gl.score_completion(item, text, judge, min_welfare)
    assert b.variant == "min_welfare" and b.welfare == min(b.user, b.llm)
    with pytest.raises(ValueError, match="rename"):
        def user(u, l):
            return u * l
        gl.RewardFunctions(judge, user)
    with pytest.raises(ValueError, match="name"):
        gl.RewardFunctions(judge, lambda u, l: u)


@pytest.mark.slow
def test_notebook_training_harness_logs_the_custom_welfare_by_name(tmp_path, monkeypatch):
    """The assignment's own train_with cell, shrunk to one GRPO step: the log has rewards/min_welfare/mean."""
    nb = json.loads(ASSIGNMENT.read_text())
    src = next("".join(c["source"]) for c in nb["cells"] if "def train_with" in "".join(c["source"]))
    scope = {"gl": gl}
    exec(src, scope)
    monkeypatch.chdir(tmp_path)  # the harness writes runs/assignment/<name>/ under the working folder
    tiny = dict(grpo_steps=1, grpo_batch_size=2, num_generations=2, max_completion_length=12, n_train_per_family=1)
    log = scope["train_with"](min_welfare, **tiny)
    assert list(log["step"]) == [1]
    assert "rewards/min_welfare/mean" in log and "rewards/welfare/mean" in log
    assert log["rewards/min_welfare/mean"].iloc[0] == pytest.approx(log["rewards/welfare/mean"].iloc[0])
    assert math.isfinite(log["rewards/min_welfare/mean"].iloc[0])
    assert (tmp_path / "runs" / "assignment" / "min_welfare" / "checkpoint-1").is_dir()
