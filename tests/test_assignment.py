"""The course assignment: otter builds it, scripts/grade_class.py grades a class, custom welfares log by name."""
import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

import gtalign_lite as gl

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "notebooks" / "assignment" / "gtalign_assignment.ipynb"
sys.path.insert(0, str(ROOT / "scripts"))
import grade_class  # noqa: E402

POINTS = {"q1": 2, "q2": 3, "q3": 2, "q4": 3, "q5": 2, "q6": 3, "q7": 3}  # the table in the notebook's intro


def edit(nb_path: Path, out: Path, marker: str, old: str, new: str) -> Path:
    """Copy a notebook, replacing `old` by `new` in the one code cell that contains `marker`."""
    nb = json.loads(nb_path.read_text())
    hits = [c for c in nb["cells"] if c["cell_type"] == "code" and marker in "".join(c["source"])]
    assert len(hits) == 1, f"{len(hits)} cells contain {marker!r}"
    src = "".join(hits[0]["source"])
    assert src.count(old) == 1, f"{old!r} is not exactly once in the cell"
    hits[0]["source"] = src.replace(old, new)
    out.write_text(json.dumps(nb))
    return out


def read_scores(path) -> dict:
    with open(path) as f:
        return {r["submission"]: r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """`otter assign` on the source (it also runs every test against the solutions) into a fresh dist/."""
    dist = tmp_path_factory.mktemp("assignment") / "dist"
    r = subprocess.run([sys.executable, "-m", "otter", "assign", "-v", str(SOURCE), str(dist)], capture_output=True,
                       text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "All autograder tests passed" in r.stdout + r.stderr
    return dist


def test_student_notebook_has_no_solutions_and_tests_are_split(built):
    student = (built / "student" / "gtalign_assignment.ipynb").read_text()
    for leak in ("BEGIN SOLUTION", "u ** 0.6", "json.loads(completion", "DQ_AQ\": (3.0, 3.0)", "Solution (example"):
        assert leak not in student
    assert "NASH_EXAMPLE = ..." in student and "def parse_payoff(completion):" in student
    public = (built / "student" / "tests" / "q2.py").read_text()
    assert "'hidden': True" not in public and "gl.select_action" not in public
    hidden = (built / "autograder" / "tests" / "q2.py").read_text()
    assert "'hidden': True" in hidden
    ag = grade_class.find_autograder(next((built / "autograder").glob("*.zip")))
    assert grade_class.questions(ag) == POINTS  # q8 is graded by hand: not in the autograder


def test_grade_a_class_full_untouched_wrong_raising_noisy_looping(built, tmp_path):
    """Full marks for the solution, 0 untouched, exactly one question lost per fault; nothing stops the run
    (a raising cell, megabytes of output, an endless loop, a file that is not a notebook)."""
    solution = built / "autograder" / "gtalign_assignment.ipynb"
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "full.ipynb").write_text(solution.read_text())
    (subs / "untouched.ipynb").write_text((built / "student" / "gtalign_assignment.ipynb").read_text())
    # a plausible slip: LLM and user swapped when reading the payoff (question 1 only)
    edit(solution, subs / "wrong_q1.ipynb", "def parse_payoff",
         'return {key: (float(data[key]["LLM"]), float(data[key]["user"])) for key in KEYS}',
         'return {key: (float(data[key]["user"]), float(data[key]["LLM"])) for key in KEYS}')
    edit(solution, subs / "raises_q4.ipynb", "def length_term", "def length_term", 'raise RuntimeError("oops")\ndef length_term')
    edit(solution, subs / "prints_mb.ipynb", "def pareto", "def pareto", 'print("x" * 5_000_000)\ndef pareto')
    rows = grade_class.grade(subs, next((built / "autograder").glob("*.zip")), tmp_path / "scores.csv", timeout=300)
    assert len(rows) == 5
    got = read_scores(tmp_path / "scores.csv")
    total = sum(POINTS.values())
    for name, lost in {"full": (), "wrong_q1": ("q1",), "raises_q4": ("q4",), "prints_mb": ()}.items():
        row = got[f"{name}.ipynb"]
        assert row["status"] == "ok", row
        assert {q: float(row[q]) for q in POINTS} == {q: 0.0 if q in lost else float(p) for q, p in POINTS.items()}, name
        assert float(row["total"]) == total - sum(POINTS[q] for q in lost) and float(row["possible"]) == total
    untouched = got["untouched.ipynb"]
    assert untouched["status"] == "ok" and all(float(untouched[q]) == 0.0 for q in POINTS) and float(untouched["total"]) == 0

    loops = tmp_path / "loops"
    loops.mkdir()
    edit(built / "student" / "gtalign_assignment.ipynb", loops / "loops.ipynb", "def parse_payoff",
         "def parse_payoff", "while True:\n    pass\ndef parse_payoff")
    (loops / "not_a_notebook.ipynb").write_text("{ this is not JSON")
    grade_class.grade(loops, next((built / "autograder").glob("*.zip")), tmp_path / "loops.csv", timeout=20)
    got = read_scores(tmp_path / "loops.csv")
    row = got["loops.ipynb"]
    assert row["status"].startswith("timeout") and float(row["total"]) == 0 and float(row["seconds"]) < 60
    row = got["not_a_notebook.ipynb"]
    assert row["status"].startswith("error") and "JSON" in row["status"] and float(row["total"]) == 0


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
    nb = json.loads(SOURCE.read_text())
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
