"""Grading a class: what students get leaks nothing, and submissions that attack the grader (the red-team cases)
score at most what they solved, change nobody else's grade and leave nothing running."""
import csv
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

import gtalign_lite as gl
from conftest import ASSIGNMENT, ROOT

sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "notebooks" / "assignment"))
import grade_class  # noqa: E402
import hidden  # noqa: E402

POINTS = {"q1": 2, "q2": 3, "q3": 2, "q4": 3, "q5": 2, "q6": 3, "q7": 3}  # the table in the notebook's intro
FULL = sum(POINTS.values())


def cell(nb_path: Path, out: Path, code: str, kernel: str | None = None) -> Path:
    """A copy of a notebook with one more code cell at the end (and, optionally, another kernel name)."""
    nb = json.loads(nb_path.read_text())
    nb["cells"].append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": code})
    if kernel:
        nb["metadata"]["kernelspec"] = {"name": kernel, "display_name": kernel, "language": "python"}
    out.write_text(json.dumps(nb))
    return out


def edit(nb_path: Path, out: Path, marker: str, old: str, new: str) -> Path:
    """A copy of a notebook with `old` replaced by `new` in the one code cell that contains `marker`."""
    nb = json.loads(nb_path.read_text())
    hits = [c for c in nb["cells"] if c["cell_type"] == "code" and marker in "".join(c["source"])]
    assert len(hits) == 1
    src = "".join(hits[0]["source"])
    assert src.count(old) == 1
    hits[0]["source"] = src.replace(old, new)
    out.write_text(json.dumps(nb))
    return out


def read_scores(path) -> dict:
    with open(path) as f:
        return {r["submission"]: r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """`make assignment` into a fresh dist/: otter assign, then the solution's answers (grade_class --build)."""
    dist = tmp_path_factory.mktemp("assignment") / "dist"
    for cmd in ([sys.executable, "-m", "otter", "assign", str(ASSIGNMENT), str(dist)],
                [sys.executable, str(ROOT / "scripts" / "grade_class.py"), "--build", str(dist)]):
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=ROOT)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "every one passed by the solution" in r.stdout
    return dist


# ------------------------------------------------------------------ what students get (no notebook runs here)

def test_the_source_has_no_graded_cases_and_the_colab_cell_fetches_no_solution():
    text = ASSIGNMENT.read_text()
    assert "hidden: true" not in text and "otter assign" not in text
    colab = next("".join(c["source"]) for c in json.loads(text)["cells"] if "google.colab" in "".join(c["source"]))
    assert "--sparse" in colab and "'!/*/'" in colab and "/notebooks/assignment/student/" in colab


def test_colab_sparse_checkout_holds_package_and_public_checks_only(tmp_path):
    """The Colab cell's clone, run against this repository's committed HEAD: no solution, no graded cases."""
    if subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True).returncode:
        pytest.skip("not a git checkout")
    colab = next("".join(c["source"]) for c in json.loads(ASSIGNMENT.read_text())["cells"]
                 if "google.colab" in "".join(c["source"]))
    start = colab.index('subprocess.run("git clone')
    command = eval("(" + colab[start + len("subprocess.run("):colab.index(", shell=True", start)] + ")")  # its string
    command = command.replace("https://github.com/gtalign-lite/gtalign-lite", f"file://{ROOT}")
    r = subprocess.run(command, shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    got = tmp_path / "gtalign-lite"
    assert (got / "gtalign_lite" / "__init__.py").exists() and (got / "pyproject.toml").exists()
    assert sorted(p.name for p in (got / "notebooks" / "assignment" / "student" / "tests").glob("q*.py")) == \
        [f"q{i}.py" for i in range(1, 8)]
    assert not (got / "notebooks" / "assignment" / "gtalign_assignment.ipynb").exists()
    assert not (got / "notebooks" / "assignment" / "hidden.py").exists() and not (got / "tests").exists()


def test_same_is_strict_about_plain_types():
    class Anything(float):
        def __eq__(self, other):
            return True
        __hash__ = float.__hash__

    assert hidden.same([1.0, "DQ_DA", {"a": [2.0]}], [1.0 + 1e-9, "DQ_DA", {"a": [2.0]}])
    for got in (1, True, Anything(5.0), "1.0", [1.0], None, float("nan")):
        assert not hidden.same(1.0, got)
    assert not hidden.same([1.0, 2.0], (1.0, 2.0)) and not hidden.same({"a": 1}, {"a": 1, "b": 2})


def test_judge_shares_points_over_cases_and_counts_only_answers():
    cases = [{"question": "q1", "check": "same", "expected": [1.0]}, {"question": "q1", "check": "same", "expected": 2.0},
             {"question": "q6", "check": "welfare_edges"}]
    got = grade_class.judge(cases, {"0": {"ok": [1.0]}, "1": {"error": "TypeError"}, "2": {"ok": [0.0, 0, 0.5]}})
    assert got == {"q1": 1.0, "q6": 3.0}
    assert grade_class.judge(cases, None) == {"q1": 0.0, "q6": 0.0}
    assert grade_class.judge(cases, {"2": {"ok": "garbage"}})["q6"] == 0.0  # a check that cannot read it: 0
    for forged in ([1, 2], {"0": [1.0]}, {"0": {"ok": [1.0]}, "1": "ok"}):  # answers of any shape: no crash
        assert grade_class.judge(cases, forged)["q6"] == 0.0


def test_limits_stop_memory_files_and_cpu(tmp_path):
    lim = grade_class.Limits(timeout=2, memory_gib=0.5, file_mib=1)
    for code, want in [("bytearray(2 << 30)", "MemoryError"),
                       (f"open({str(tmp_path / 'big')!r}, 'wb').write(b'x' * (4 << 20))", "File too large"),
                       ("while True: pass", "")]:
        r = subprocess.run([sys.executable, "-c", code], preexec_fn=grade_class._limits(lim), capture_output=True,
                           text=True, timeout=60)
        assert r.returncode != 0 and want in r.stderr + str(r.returncode)
    assert resource.getrlimit(resource.RLIMIT_AS)[0] == resource.RLIM_INFINITY  # the grader itself is not limited


# ------------------------------------------------------------------ the stored answers, against the package

def test_stored_answers_agree_with_the_package(built):
    """The solution's answers (the grading reference) checked against gl's own functions, here at test time."""
    from gtalign_lite import rewards as R

    cases = {(c["question"], c["name"]): c for c in json.loads((built / "autograder" / "hidden.json").read_text())["cases"]}
    assert cases[("q1", "public")]["expected"] == [[3.0, 2.0], [1.0, 1.5]]

    def matrix(m):
        return gl.PayoffMatrix.from_dict({k: {"LLM": l, "user": u} for k, (l, u) in m.items()})

    c = cases[("q2", "300 random integer matrices")]
    want = [[gl.pareto_front(matrix(m), q), gl.select_action(matrix(m), q, "welfare")] for m in c["data"]
            for q in ("DQ", "VQ")]
    assert c["expected"] == want
    c = cases[("q3", "hand-worked rows and 300 random matrices")]
    assert c["expected"][:2] == ["DQ_AQ", "VQ_DA"]  # worked by hand in the case's comment
    assert c["expected"] == [gl.select_action(matrix(m), q, "nash") for m in c["data"] for q in ("DQ", "VQ")]
    c = cases[("q4", "hand-worked values")]
    assert c["expected"] == pytest.approx([0.452147, 0.920939, 0.323679, 0.919582, 0.0], abs=1e-5)  # by hand
    c = cases[("q4", "200 random inputs")]
    for (a, rw, rc, cw, ps, f), (u, l, w) in zip(c["data"], c["expected"]):
        assert u == pytest.approx(R.BASE + 0.5 * a + 0.2 * R.length_score("w " * rw, 20, 500) + 0.3 * R.brevity("x" * rc))
        assert l == pytest.approx(R.BASE + 0.2 * f + 0.2 * ps + 0.4 * a + 0.2 * R.length_score("w " * cw, 500, 1000))
        assert w == pytest.approx(R.WELFARE["cobb_douglas"](u, l))
    c = cases[("q7", "hand-worked and 100 random matrices")]
    assert c["expected"][0]["DQ_AQ"] == pytest.approx([0.24, 3.0]) and c["expected"][1]["VQ_CQ"] == pytest.approx([2.08, 2.34])
    for (m, p, cost, toks), got in zip(c["data"], c["expected"]):
        ref = gl.PricingPolicy(price_per_1k=p, cost_per_1k=cost).apply(matrix(m), toks)
        assert all(got[k] == pytest.approx([ref[k].llm, ref[k].user]) for k in hidden.KEYS)
    assert cases[("q7", "PREDICT")]["expected"] == {"price": {"welfare": "DQ_DA", "nash": "DQ_AQ"},
                                                    "cost": {"welfare": "DQ_AQ", "nash": "DQ_DA"}}


def test_what_students_get_has_no_solution_and_matches_the_committed_checks(built):
    student = (built / "student" / "gtalign_assignment.ipynb").read_text()
    for leak in ("BEGIN SOLUTION", "u ** 0.6", "json.loads(completion", "DQ_AQ\": (3.0, 3.0)", "Solution (example"):
        assert leak not in student
    for test in sorted((built / "student" / "tests").glob("q*.py")):
        assert "'hidden': True" not in test.read_text()
        assert test.read_text() == (ROOT / "notebooks" / "assignment" / "student" / "tests" / test.name).read_text(), \
            "run make assignment (it copies dist/student/tests to notebooks/assignment/student/tests)"
    assert not any("'hidden': True" in p.read_text() for p in (built / "autograder").rglob("*.py"))


# ------------------------------------------------------------------ a class with attacks (runs notebooks: slow)

FIND_SOLUTION = r'''
import json, os, sys
from pathlib import Path
import gtalign_lite as gl

def find_solution():
    """Every way the red team used to reach the teacher's files: the package, the interpreter, the process tree."""
    starts = [Path(gl.__file__), Path(sys.executable), Path.cwd(), Path.home()]
    pid = os.getpid()
    while pid > 1:
        try:
            starts += [Path(os.readlink(f"/proc/{pid}/cwd"))]
            starts += [Path(a) for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if a.startswith(b"/")
                       for a in [a.decode()]]
            pid = int(next(l for l in Path(f"/proc/{pid}/status").read_text().splitlines() if l.startswith("PPid"))
                      .split()[1])
        except (OSError, StopIteration, ValueError):
            break
    for start in starts:
        for folder in [start, *start.parents]:
            for rel in ("notebooks/assignment/gtalign_assignment.ipynb", "autograder/gtalign_assignment.ipynb",
                        "dist/autograder/gtalign_assignment.ipynb"):
                if (folder / rel).exists():
                    return folder / rel
'''

ATTACKS = {
    # answers untouched; otter's checker made to report full marks (instance and class)
    "eve_checker": """
import otter.execute
otter.execute.Checker.check = lambda *a, **k: None
try:
    grader.check = lambda *a, **k: None
except Exception:
    pass
""",
    # answers untouched; the test files beside it rewritten to pass. The attack is real, so it is confined by
    # construction, not by the grader under test: only regular files directly in ./tests, under a folder in /tmp
    "frank_tests": """
from pathlib import Path
import tempfile
here = Path.cwd()
assert here.parent.parent != Path("/") and str(here.parent).startswith(tempfile.gettempdir() + "/"), here
for p in (here / "tests").glob("*.py"):
    if p.is_file() and not p.is_symlink() and p.resolve().parent == (here / "tests").resolve():
        try:
            p.write_text("OK_FORMAT = True\\ntest = {'name': 'q1', 'points': 3, 'suites': []}\\n")
        except OSError:
            pass
""",
    # no solution: values equal to anything, containers with defaults, shadowed builtins
    "grace_magic": """
class Anything(float):
    def __eq__(self, o): return True
    def __ne__(self, o): return False
    def __lt__(self, o): return True
    def __gt__(self, o): return True
    def __le__(self, o): return True
    def __ge__(self, o): return True
    __hash__ = float.__hash__
class Str(str):
    def __eq__(self, o): return True
    __hash__ = str.__hash__
class Default(dict):
    def __missing__(self, k): return (Anything(1.0), Anything(1.0))
    def __eq__(self, o): return True
parse_payoff = lambda *a: Default()
pareto = lambda *a: [Str("DQ_AQ")]
welfare_pick = nash_pick = lambda *a: Str("DQ_DA")
length_term = user_utility = llm_utility = cobb_douglas = lambda *a: Anything(0.5)
reprice = lambda *a: Default()
NASH_EXAMPLE, PREDICT = Default(), Default()
BALANCED = GAMED = (Str("x"), Anything(0.5), Anything(0.5))
def my_welfare(u, l): return Anything(0.0)
abs = lambda x: 0.0
all = any = lambda x: True
isinstance = lambda *a: True
""",
    # answers untouched; finds the solution notebook by any route and runs its code cells
    "judy_solution": FIND_SOLUTION + """
found = find_solution()
if found:
    for c in json.loads(found.read_text())["cells"]:
        src = "".join(c["source"])
        if c["cell_type"] == "code" and "google.colab" not in src and "train_with(" not in src:
            try:
                exec(src, globals())
            except Exception:
                pass
""",
}


def daemon_cell(scores: Path, victim: Path, beat: Path, autograder: Path) -> str:
    """A setsid'd daemon (a double fork, its own session) and a plain child, both running for 120 s: they rewrite
    the scores file to give this submission full marks, break a classmate's notebook, poison the graded cases and
    heartbeat into `beat` (outside every grading folder) so the test can see whether they still run."""
    return f"""
import os, subprocess, sys, time
code = '''
import os, sys, time
from pathlib import Path
end = time.time() + 120
while time.time() < end:
    for path, text in [({str(scores)!r}, "submission,total\\\\nsubmission.ipynb,18\\\\n"),
                       ({str(victim)!r}, "{{ broken"), ({str(autograder)!r}, '{{"points": {{}}, "cases": []}}')]:
        try:
            Path(path).write_text(text)
        except OSError:
            pass
    with open({str(beat)!r} + "." + sys.argv[1], "a") as f:
        f.write(".")
    time.sleep(0.2)
'''
subprocess.Popen([sys.executable, "-c", code, "daemon"], start_new_session=True, stdout=subprocess.DEVNULL,
                 stderr=subprocess.DEVNULL)
subprocess.Popen([sys.executable, "-c", code, "child"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(1)
"""


def running(marker: str) -> list[int]:
    """Processes whose command line holds `marker` (the daemons' code names their heartbeat file)."""
    found = []
    for d in Path("/proc").iterdir():
        try:
            if d.name.isdigit() and d.name != str(os.getpid()) and marker.encode() in (d / "cmdline").read_bytes():
                found.append(int(d.name))
        except OSError:
            pass
    return found


def alive(beat: Path) -> bool:
    """Whether any heartbeat file still grows."""
    files = sorted(beat.parent.glob(beat.name + ".*"))
    before = [f.stat().st_size for f in files]
    time.sleep(1.5)
    return [f.stat().st_size for f in files] != before


@pytest.mark.slow
def test_a_class_with_attacks_scores_each_what_it_solved(built, tmp_path):
    if not grade_class.isolation_works():
        pytest.skip("no user namespaces here: the namespace mode cannot be tested (the next test covers the rest)")
    solution, student = built / "autograder" / "gtalign_assignment.ipynb", built / "student" / "gtalign_assignment.ipynb"
    subs, out, beat = tmp_path / "subs", tmp_path / "scores.csv", tmp_path / "canary" / "beat"
    subs.mkdir()
    beat.parent.mkdir()
    hidden_json = built / "autograder" / "hidden.json"
    before = hidden_json.read_bytes()
    (subs / "alice_full.ipynb").write_text(solution.read_text())
    (subs / "carol_untouched.ipynb").write_text(student.read_text())
    cell(solution, subs / "ivan_kernel_gtalign.ipynb", "x = 1", kernel="gtalign")
    edit(solution, subs / "bob_wrong_q1.ipynb", "def parse_payoff",
         'return {key: (float(data[key]["LLM"]), float(data[key]["user"])) for key in KEYS}',
         'return {key: (float(data[key]["user"]), float(data[key]["LLM"])) for key in KEYS}')
    edit(solution, subs / "dan_loops_in_reprice.ipynb", "def reprice", "    out = {}\n",
         "    out = {}\n    while price == 4:  # only a graded case asks for this price\n        pass\n")
    for name, code in ATTACKS.items():
        cell(student, subs / f"{name}.ipynb", code)
    cell(student, subs / "mallory_daemon.ipynb", daemon_cell(out, subs / "zoe_full.ipynb", beat, hidden_json))
    (subs / "zoe_full.ipynb").write_text(solution.read_text())
    scope = {}
    exec(FIND_SOLUTION + "\nfound = find_solution()", scope)
    assert scope["found"] is not None  # outside the grader, judy's search does find a solution

    rows = grade_class.grade(subs, built, out, grade_class.Limits(timeout=300, case_seconds=3), isolate="on")
    assert not running(str(beat)), "a process left by a submission still runs after grading"
    assert not list(beat.parent.iterdir())  # it could not write outside its run (the next test shows it does run)
    got = read_scores(out)
    assert len(rows) == len(got) == 11
    total = {name[:-len(".ipynb")]: float(r["total"]) for name, r in got.items()}
    assert {k: v for k, v in total.items() if v} == {"alice_full": FULL, "ivan_kernel_gtalign": FULL, "zoe_full": FULL,
                                                     "bob_wrong_q1": FULL - 2, "dan_loops_in_reprice": FULL - 1}
    assert all(got[f"{n}.ipynb"]["status"] == "ok" for n in total)
    assert float(got["bob_wrong_q1.ipynb"]["q1"]) == 0  # every q1 case reads a payoff: all lost
    assert float(got["dan_loops_in_reprice.ipynb"]["q7"]) == 2.0  # one case of three stopped after case_seconds
    assert hidden_json.read_bytes() == before  # the poison did not reach the teacher's files


@pytest.mark.slow
def test_without_namespaces_the_clean_up_and_hashes_still_hold(built, tmp_path):
    """--isolate off (machines without user namespaces): the daemon can reach files while it runs, but it is killed
    after its own run, its rewrite of the scores is undone, and the classmate it changed is reported, not graded."""
    solution, student = built / "autograder" / "gtalign_assignment.ipynb", built / "student" / "gtalign_assignment.ipynb"
    subs, out, beat = tmp_path / "subs", tmp_path / "scores.csv", tmp_path / "canary" / "beat"
    subs.mkdir()
    beat.parent.mkdir()
    poisoned = tmp_path / "other-hidden.json"  # not the fixture's: this daemon can reach it
    cell(student, subs / "mallory_daemon.ipynb", daemon_cell(out, subs / "zoe_full.ipynb", beat, poisoned))
    (subs / "zoe_full.ipynb").write_text(solution.read_text())
    (subs / "not_a_notebook.ipynb").write_text("{ this is not JSON")
    grade_class.grade(subs, built, out, grade_class.Limits(timeout=300, case_seconds=3), isolate="off")
    assert sorted(beat.parent.iterdir()), "the daemon never ran: the test would prove nothing"
    assert not alive(beat) and not running(str(beat))
    got = read_scores(out)
    assert float(got["mallory_daemon.ipynb"]["total"]) == 0 and got["mallory_daemon.ipynb"]["status"] == "ok"
    assert got["zoe_full.ipynb"]["status"].startswith("changed") and float(got["zoe_full.ipynb"]["total"]) == 0
    assert got["not_a_notebook.ipynb"]["status"].startswith("error") and float(got["not_a_notebook.ipynb"]["total"]) == 0


@pytest.mark.slow
def test_a_notebook_that_never_ends_is_stopped(built, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    cell(built / "student" / "gtalign_assignment.ipynb", subs / "loops.ipynb", "while True:\n    pass")
    start = time.monotonic()
    grade_class.grade(subs, built, tmp_path / "scores.csv", grade_class.Limits(timeout=20))
    row = read_scores(tmp_path / "scores.csv")["loops.ipynb"]
    assert row["status"].startswith("timeout") and float(row["total"]) == 0 and time.monotonic() - start < 90
