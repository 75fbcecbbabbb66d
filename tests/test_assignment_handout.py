"""The course assignment as handed out: the committed student notebook is what `make assignment` builds, every path,
section and number a question cites exists and matches its committed source, and q6 trains at the sizes whose time
was measured (at most 2 minutes)."""
import json
import re
import subprocess
import sys

import pandas as pd

from conftest import ASSIGNMENT, ROOT

STUDENT = ROOT / "notebooks" / "assignment" / "student" / "gtalign_assignment.ipynb"


def cells(path):
    return json.loads(path.read_text())["cells"]


def text(path, kind=None) -> str:
    return "\n".join("".join(c["source"]) for c in cells(path) if kind is None or c["cell_type"] == kind)


def test_the_committed_student_notebook_is_what_otter_assign_builds(tmp_path):
    subprocess.run([sys.executable, "-m", "otter", "assign", str(ASSIGNMENT), str(tmp_path / "dist")], check=True,
                   capture_output=True, cwd=ROOT)
    built = cells(tmp_path / "dist" / "student" / "gtalign_assignment.ipynb")
    strip = lambda cs: [{k: v for k, v in c.items() if k != "id"} for c in cs]  # noqa: E731 (otter draws new ids)
    assert strip(cells(STUDENT)) == strip(built), "run `make assignment`: it copies the student notebook here"
    assert "BEGIN SOLUTION" not in STUDENT.read_text() and "Solution (example" not in STUDENT.read_text()


def test_every_path_and_section_the_assignment_cites_exists():
    prose = text(ASSIGNMENT, "markdown")
    paths = set(re.findall(r"`((?:params|figures|docs|notebooks|scripts)/[\w./-]+)`", prose))
    assert "figures/cpu-sweep/sweep_aggregate.csv" in paths
    assert not [p for p in paths if not (ROOT / p).exists()]
    for page, section in re.findall(r"`(docs/[\w.-]+)`, section \"([^\"]+)\"", prose):
        headings = re.findall(r"^#+ (.+)$", (ROOT / page).read_text(), re.M)
        assert any(h.startswith(section) for h in headings), f"{page} has no section {section!r}"
    assert not re.search(r"README \"", prose), "the README's sections move; cite a docs page and its section"


def test_q8_plane_is_the_sweeps_pooled_means():
    source = next("".join(c["source"]) for c in cells(ASSIGNMENT) if "plane = pd.DataFrame" in "".join(c["source"]))
    plane = eval(source[source.index("pd.DataFrame(") + len("pd.DataFrame("):source.index(")\nfig")])  # its dict
    sweep = pd.read_csv(ROOT / "figures" / "cpu-sweep" / "sweep_aggregate.csv").set_index("method")
    for i, method in enumerate(plane["method"]):
        for col in ("U", "U_lo", "U_hi", "L", "L_lo", "L_hi"):
            assert plane[col][i] == round(sweep.loc[method, col], 3), (method, col)
    answer = next("".join(c["source"]) for c in cells(ASSIGNMENT) if "Solution (example" in "".join(c["source"]))
    quoted = set(re.findall(r"0\.\d{3}", answer))
    assert quoted == {"0.445", "0.486", "0.566", "0.595", "0.481", "0.599"}
    held = {round(v, 3) for v in sweep[["U", "L"]].to_numpy().ravel()}
    assert {float(q) for q in quoted} <= held


def test_q6_trains_at_the_measured_sizes_within_two_minutes():
    measured = pd.read_csv(ROOT / "bench" / "assignment_q6.csv").iloc[0]
    smoke = __import__("yaml").safe_load((ROOT / "params" / "smoke.yaml").read_text())
    for key in ("grpo_steps", "grpo_batch_size", "num_generations", "max_completion_length"):
        assert smoke[key] == measured[key], f"the smoke profile's {key} changed: time q6 again"
    train = next("".join(c["source"]) for c in cells(ASSIGNMENT) if "otter_ignore" in c["metadata"].get("tags", []))
    assert "train_with(my_welfare)" in train  # no larger sizes passed
    assert 'load_profile("smoke")' in text(ASSIGNMENT, "code")
    assert measured["seconds"] <= 120
    said = f"about {round(measured['seconds'], -1):.0f} s"
    assert said in " ".join(text(ASSIGNMENT, "markdown").split())
    assert f"{measured['seconds']:.0f} s" in (ROOT / "docs" / "teaching.md").read_text()
