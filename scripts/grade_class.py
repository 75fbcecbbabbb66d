"""Grade a folder of submitted notebooks: each runs alone, contained, and its answers are judged outside it.

    python scripts/grade_class.py SUBMISSIONS_DIR [--dist dist] [--out scores.csv] [--timeout 300]
                                  [--memory-gib 4] [--file-mib 512] [--processes 256]
    python scripts/grade_class.py --build dist      # once after `otter assign`: dist/autograder/hidden.json

For each submission (docs/teaching.md says what this protects and what it does not):
- it is hashed before the first one runs; one whose file changes while the class is graded is not graded;
- it runs in a new throw-away folder holding only a copy of it, the public checks, a copy of the package and the
  graded expressions (no answers, no solution, no classmate), in a new session, with limits on memory (address
  space), CPU time, file size and processes, with a minimal environment and the kernel python3 whatever the
  notebook names; cells tagged otter_ignore are skipped;
- a last cell evaluates the cases of notebooks/assignment/hidden.py and writes their values as plain JSON; they
  count only when the run finished (exit 0), and are judged here, in this process, against the answers the
  solution gave at build time (hidden.same: exact plain types) or by hidden.CHECKS;
- afterwards everything it started is killed: this process is the child subreaper (Linux), so processes that left
  the session (setsid daemons, a kernel that ignores its parent) remain its descendants;
- its CSV row is appended at once (a killed grader keeps what it graded), and the CSV is rewritten from memory at
  the end. Columns: one per question (points), total, possible, status (ok / timeout / error / changed), seconds.
Question 8 is read by hand and is not in the CSV.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = ROOT / "notebooks" / "assignment"
LOG_TAIL = 2000  # characters of the run's own output kept in a failed row's status


@dataclass
class Limits:
    """What one submission may use: seconds of wall clock and CPU, address space, largest file, more processes."""

    timeout: float = 300.0
    memory_gib: float = 4.0
    file_mib: int = 512
    processes: int = 256
    case_seconds: int = 30  # one case's limit inside the run: an endless loop in one function costs only its cases


@dataclass
class Row:
    """One submission's points per question, and how its run ended."""

    submission: str
    scores: dict = field(default_factory=dict)
    status: str = "ok"
    seconds: float = 0.0


def sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# ---------------------------------------------------------------- inside the sandbox: run one notebook

PROBE = '''
def __grader_probe(cases_path, answers_path, seconds):
    """Every graded case's value as plain JSON (the grader judges them outside this process)."""
    import json, signal

    def plain(x):
        t = type(x)
        if x is None or t in (str, bool, int, float):
            return x
        if t.__module__ == "numpy" and getattr(x, "ndim", None) == 0:
            return plain(x.item())
        if t in (list, tuple):
            return [plain(v) for v in x]
        if t is dict and all(type(k) is str for k in x):
            return {k: plain(v) for k, v in x.items()}
        raise TypeError(f"not a plain value: {t.__name__}")

    def alarm(*_):
        raise TimeoutError(f"case took over {seconds} s")

    signal.signal(signal.SIGALRM, alarm)
    names, answers = dict(globals()), {}
    cells = lambda d: {k: tuple(v) for k, v in d.items()}
    for i, (expr, data) in enumerate(json.loads(open(cases_path).read())):
        signal.alarm(seconds)
        try:
            answers[i] = {"ok": plain(eval(expr, {**names, "DATA": data, "cells": cells}))}
        except BaseException as e:
            answers[i] = {"error": f"{type(e).__name__}: {e}"[:300]}
        finally:
            signal.alarm(0)
    open(answers_path, "w").write(json.dumps(answers))
'''


def run_notebook(notebook: str, cases: str, answers: str, timeout: float, case_seconds: int) -> None:
    """Execute a notebook (otter_ignore cells skipped) with the python3 kernel, then the probe cell."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    nb.cells = [c for c in nb.cells if "otter_ignore" not in c.get("metadata", {}).get("tags", [])]
    call = f"__grader_probe({cases!r}, {answers!r}, {case_seconds})"
    nb.cells.append(nbformat.v4.new_code_cell(PROBE + "\n" + call))
    NotebookClient(nb, kernel_name="python3", timeout=int(timeout), allow_errors=True,
                   resources={"metadata": {"path": str(Path(notebook).parent)}}).execute()


# ---------------------------------------------------------------- the grader: sandboxes, limits, clean-up


def _set_subreaper() -> None:
    """Orphans of our descendants (setsid daemons included) are re-parented to this process, not to init."""
    if sys.platform.startswith("linux"):
        import ctypes

        if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
            print("warning: could not become the child subreaper; daemons may escape the clean-up", flush=True)


def _processes() -> dict[int, tuple[int, str]]:
    """{pid: (parent pid, state)} of every process, from /proc."""
    out = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            out[int(d)] = (int(fields[1]), fields[0])
    return out


def _descendants(procs: dict, root: int) -> set[int]:
    kids, todo = set(), [root]
    while todo:
        parent = todo.pop()
        for pid, (ppid, _) in procs.items():
            if ppid == parent and pid not in kids:
                kids.add(pid)
                todo.append(pid)
    return kids


def _carrying(token: str) -> set[int]:
    """Processes whose environment holds this submission's token (a second net beside the process tree)."""
    mark, found = f"GRADE_SANDBOX={token}".encode(), set()
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if mark in Path(f"/proc/{d}/environ").read_bytes().split(b"\0"):
                    found.add(int(d))
            except OSError:
                pass
    return found


def kill_everything(token: str, keep: set[int]) -> int:
    """SIGKILL every process the submission started until none is left; returns how many were killed."""
    killed = set()
    for _ in range(200):
        procs = _processes()
        alive = {p for p, (_, state) in procs.items() if state != "Z"}
        victims = ((_descendants(procs, os.getpid()) | _carrying(token)) & alive) - keep - {os.getpid()}
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except ProcessLookupError:
                pass
        for pid in _descendants(procs, os.getpid()) - keep:  # reap our own zombies (re-parented ones included)
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
        if not victims:
            return len(killed)
        time.sleep(0.05)
    raise RuntimeError(f"processes of submission {token} survive SIGKILL: stop grading and check the machine")


def _limits(lim: Limits):
    """Resource limits set in the child before it runs anything (inherited by the kernel and its children)."""
    import resource

    user_procs = len(list(Path("/proc").glob("[0-9]*/task/[0-9]*")))

    def apply():
        gib = int(lim.memory_gib * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (gib, gib))
        resource.setrlimit(resource.RLIMIT_CPU, (int(lim.timeout), int(lim.timeout) + 5))
        resource.setrlimit(resource.RLIMIT_FSIZE, (lim.file_mib * 2**20, lim.file_mib * 2**20))
        resource.setrlimit(resource.RLIMIT_NPROC, (user_procs + lim.processes, user_procs + lim.processes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


ETC = ("passwd", "group", "hosts", "nsswitch.conf", "localtime", "ld.so.cache")  # copied into the run's /etc


def isolation_works() -> bool:
    """Whether `unshare` can give a run its own user, mount and PID namespaces and a root file system of its own
    here (Linux with user namespaces): tried once on an empty run that must see nothing of this machine's folders."""
    if not shutil.which("unshare"):
        return False
    with tempfile.TemporaryDirectory(prefix="grade_probe_") as tmp:
        box, root = Path(tmp) / "box", Path(tmp) / "root"
        box.mkdir()
        root.mkdir()
        (Path(tmp) / "secret").write_text("x")
        probe = (f"import os, pathlib; pathlib.Path({str(box / 'ok')!r}).write_text('1'); "
                 f"assert not os.path.exists({str(Path(tmp) / 'secret')!r}) and not os.path.exists({str(ROOT)!r}); "
                 f"assert sorted(int(p) for p in os.listdir('/proc') if p.isdigit())[0] == 1\n"
                 f"try:\n    open('/usr/grade-probe', 'w')\nexcept OSError:\n    pass\nelse:\n    raise SystemExit(3)")
        r = subprocess.run(_isolated([sys.executable, "-c", probe], box, root), capture_output=True)
        return r.returncode == 0 and (box / "ok").exists()


def _isolated(cmd: list[str], box: Path, root: Path) -> list[str]:
    """`cmd` inside new user, mount and PID namespaces, with a root file system of its own built in the empty folder
    `root`: only /usr (with /bin, /lib... links), /dev, a few /etc files, the Python installation and the run's
    folder `box` exist there, all read-only but `box` (and a small /tmp). It sees no home folder, no checkout, no
    submission but its own, no scores file and only its own processes, which all end when the run ends."""
    import shlex

    def q(p) -> str:
        return shlex.quote(str(p))

    box, r = box.resolve(), root.resolve()
    shown = sorted({Path(p).resolve() for p in ("/usr", "/opt", sys.prefix, sys.base_prefix, sys.exec_prefix)
                    if Path(p).is_dir()}, key=lambda p: len(p.parts))
    shown = [p for p in shown if not any(o in p.parents for o in shown)]  # /usr covers a Python under it
    lines = ["set -e", f"mount -t tmpfs -o size=1m none {q(r)}", f"mkdir -p {q(r)}/etc {q(r)}/proc {q(r)}/tmp {q(r)}/dev",
             f"mount -t tmpfs -o size=64m none {q(r)}/tmp", f"mount --rbind /dev {q(r)}/dev",
             f"mount -t proc proc {q(r)}/proc"]
    for link in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        if Path("/" + link).is_symlink():
            lines.append(f"ln -s {q(os.readlink('/' + link))} {q(r)}/{link}")
        elif Path("/" + link).is_dir():
            shown.append(Path("/" + link))
    lines += [f"cp -L /etc/{name} {q(r)}/etc/ 2>/dev/null || true" for name in ETC]
    for p in [*shown, box]:
        lines += [f"mkdir -p {q(r)}{q(p)}", f"mount --rbind {q(p)} {q(r)}{q(p)}"]
        if p != box:
            lines.append(f"mount -o remount,bind,ro {q(r)}{q(p)}")
    lines += [f"mount -o remount,ro {q(r)}", f"cd {q(box)}", f'exec chroot {q(r)} sh -c \'cd "$0" && exec "$@"\' {q(box)} "$@"']
    return ["unshare", "--user", "--map-root-user", "--mount", "--pid", "--fork", "--mount-proc", "--kill-child",
            "sh", "-c", "\n".join(lines), "sh", *cmd]


def _sandbox(work: Path, notebook_bytes: bytes, name: str, dist: Path, cases: list) -> Path:
    """A fresh folder with only what one run needs: the submission, the public checks, the package, the cases."""
    box = Path(tempfile.mkdtemp(prefix="sub_", dir=work))
    (box / "tmp").mkdir()
    (box / name).write_bytes(notebook_bytes)
    if (dist / "student" / "tests").is_dir():
        shutil.copytree(dist / "student" / "tests", box / "tests")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "gtalign_lite", box / "pkg" / "gtalign_lite", ignore=ignore)
    shutil.copytree(ROOT / "params", box / "pkg" / "params", ignore=ignore)
    shutil.copy2(Path(__file__), box / "grade_run.py")
    (box / "cases.json").write_text(json.dumps([[c["expr"], c["data"]] for c in cases]))
    return box


def run_one(notebook_bytes: bytes, name: str, dist: Path, cases: list, lim: Limits, work: Path,
            isolate: bool = False):
    """Run one submission in its sandbox (in namespaces of its own when `isolate`: see _isolated); returns (answers
    or None, status, seconds, processes killed after)."""
    box = _sandbox(work, notebook_bytes, name, dist, cases)
    token = secrets.token_hex(8)
    answers = box / f"answers-{token}.json"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(box), "TMPDIR": str(box / "tmp"),
           "PYTHONPATH": str(box / "pkg"), "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg",
           "HF_HUB_OFFLINE": "1", "JUPYTER_PLATFORM_DIRS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
           "GRADE_SANDBOX": token}
    cmd = [sys.executable, str(box / "grade_run.py"), "--run", str(box / name), str(box / "cases.json"), str(answers),
           str(lim.timeout), str(lim.case_seconds)]
    if isolate:
        stage = Path(tempfile.mkdtemp(prefix="root_", dir=work))
        cmd = _isolated(cmd, box, stage)
    keep = _descendants(_processes(), os.getpid())
    status, start = "ok", time.monotonic()
    log = box / "run.log"
    with open(log, "wb") as f:
        proc = subprocess.Popen(cmd, cwd=box, env=env, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, preexec_fn=_limits(lim))
        try:
            proc.wait(timeout=lim.timeout)
        except subprocess.TimeoutExpired:
            status = f"timeout after {lim.timeout:g} s"
    seconds = round(time.monotonic() - start, 1)
    killed = kill_everything(token, keep)
    proc.wait()
    result = None
    if status == "ok" and proc.returncode == 0 and answers.is_file() and not answers.is_symlink():
        try:
            result = json.loads(answers.read_text())
        except (ValueError, UnicodeDecodeError) as e:
            status = f"error: unreadable answers ({e})"
    elif status == "ok":
        tail = log.read_bytes()[-LOG_TAIL:].decode(errors="replace").strip().splitlines()
        status = f"error: run exited {proc.returncode}: {tail[-1] if tail else 'no output'}"
    shutil.rmtree(box, ignore_errors=True)
    if isolate:
        shutil.rmtree(stage, ignore_errors=True)
    return result, status, seconds, killed


def judge(cases: list, answers: dict | None) -> dict[str, float]:
    """Points per question: each question's points shared equally by its cases; a case counts when its plain
    answer equals the solution's (hidden.same) or passes its check (hidden.CHECKS), judged in this process."""
    sys.path.insert(0, str(ASSIGNMENT))
    import hidden

    passed: dict[str, list[bool]] = {}
    for i, case in enumerate(cases):
        got = answers.get(str(i)) if type(answers) is dict else None  # the run wrote it: trust no shape
        ok = False
        if type(got) is dict and "ok" in got:
            try:
                ok = (hidden.same(case["expected"], got["ok"]) if case["check"] == "same"
                      else bool(hidden.CHECKS[case["check"]](got["ok"])))
            except Exception:  # noqa: BLE001  (a check that cannot read the answer: the case is not passed)
                ok = False
        passed.setdefault(case["question"], []).append(ok)
    points = {q: float(p) for q, p in hidden.POINTS.items()}
    return {q: round(points[q] * sum(v) / len(v), 4) for q, v in passed.items()}


def load_hidden(dist) -> dict:
    path = Path(dist) / "autograder" / "hidden.json"
    if not path.exists():
        raise SystemExit(f"no {path}: run `make assignment` first, or pass --dist")
    return json.loads(path.read_text())


def build(dist="dist", lim: Limits | None = None) -> Path:
    """Run the solution notebook (dist/autograder/, from otter assign) through the grader's own run and store its
    answers as the expected values of the "same" cases; every check must pass on it."""
    sys.path.insert(0, str(ASSIGNMENT))
    import hidden

    dist = Path(dist)
    solution = dist / "autograder" / "gtalign_assignment.ipynb"
    if not solution.exists():
        raise SystemExit(f"no {solution}: run `otter assign` first (make assignment does both)")
    cases = [{"question": c.question, "name": c.name, "expr": c.expr, "data": c.data, "check": c.check}
             for c in hidden.cases()]
    _set_subreaper()
    with tempfile.TemporaryDirectory(prefix="grade_build_") as work:
        answers, status, _, _ = run_one(solution.read_bytes(), solution.name, dist, cases, lim or Limits(), Path(work),
                                        isolation_works())
    if answers is None:
        raise SystemExit(f"the solution notebook did not run to the end: {status}")
    for i, case in enumerate(cases):
        got = answers.get(str(i), {})
        if "ok" not in got:
            raise SystemExit(f"{case['question']} '{case['name']}' fails on the solution: {got.get('error')}")
        if case["check"] == "same":
            case["expected"] = got["ok"]
        elif not hidden.CHECKS[case["check"]](got["ok"]):
            raise SystemExit(f"{case['question']} '{case['name']}': the solution fails check {case['check']}")
    out = dist / "autograder" / "hidden.json"
    out.write_text(json.dumps({"points": hidden.POINTS, "cases": cases}))
    print(f"wrote {out}: {len(cases)} cases, every one passed by the solution (sha256 {sha256(out)[:16]})")
    return out


def grade(folder, dist="dist", out="scores.csv", lim: Limits | None = None, ext: str = "ipynb",
          isolate: str = "auto") -> list[Row]:
    """Grade every *.ipynb in `folder` into the CSV `out`, one contained run each; returns the rows.

    isolate: "auto" uses namespaces (_isolated) where unshare works and says so when it does not; "on" requires
    them; "off" runs without (the sandbox folder, limits and clean-up still apply)."""
    lim, dist = lim or Limits(), Path(dist)
    ok = isolate != "off" and isolation_works()
    if isolate == "on" and not ok:
        raise SystemExit("--isolate on: `unshare --user --pid --mount` does not work here (docs/teaching.md)")
    if not ok:
        print("warning: runs are NOT isolated by namespaces (see docs/teaching.md, 'What local grading protects')",
              flush=True)
    hidden_cases = load_hidden(dist)
    cases, points = hidden_cases["cases"], hidden_cases["points"]
    subs = sorted(Path(folder).glob(f"*.{ext}"))
    if not subs:
        raise SystemExit(f"no *.{ext} submissions in {folder}")
    digests = {s: sha256(s) for s in subs}  # a submission changed while others ran is not graded
    print(f"grading {len(subs)} submissions; cases from {dist / 'autograder' / 'hidden.json'} "
          f"(sha256 {sha256(dist / 'autograder' / 'hidden.json')[:16]})", flush=True)
    _set_subreaper()
    header = ["submission", *points, "total", "possible", "status", "seconds"]

    def line(r: Row) -> list:
        s = [r.scores.get(q, 0.0) for q in points]
        return [r.submission, *s, round(sum(s), 4), sum(points.values()), r.status, r.seconds]

    rows = []
    with tempfile.TemporaryDirectory(prefix="grade_class_") as work, open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        f.flush()
        for i, sub in enumerate(subs, 1):
            data = sub.read_bytes()
            row = Row(sub.name)
            if hashlib.sha256(data).hexdigest() != digests[sub]:
                row.status = "changed: the file differs from when grading began; grade it again on its own"
            else:
                answers, row.status, row.seconds, killed = run_one(data, "submission.ipynb", dist, cases, lim, Path(work),
                                                                   ok)
                row.scores = judge(cases, answers)
                if killed:
                    print(f"    {killed} process(es) it left running were killed", flush=True)
            rows.append(row)
            w.writerow(line(row))
            f.flush()
            os.fsync(f.fileno())
            print(f"[{i}/{len(subs)}] {sub.name}: {line(row)[-4]:g}/{sum(points.values()):g} ({row.status}, "
                  f"{row.seconds} s)", flush=True)
    with open(out, "w", newline="") as f:  # from memory: what a submission may have written into the file is gone
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(line(r) for r in rows)
    print(f"wrote {out} ({len(rows)} submissions)")
    return rows


def main(argv=None):
    if argv is None and sys.argv[1:2] == ["--run"]:  # inside a sandbox
        notebook, cases, answers, timeout, case_seconds = sys.argv[2:7]
        run_notebook(notebook, cases, answers, float(timeout), int(case_seconds))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", help="folder of submitted notebooks")
    ap.add_argument("--build", metavar="DIST", help="store the solution's answers in DIST/autograder/hidden.json")
    ap.add_argument("--dist", default=str(ROOT / "dist"), help="what make assignment built (default dist/)")
    ap.add_argument("--out", default="scores.csv", help="CSV to write (default scores.csv)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds of wall clock and CPU per submission")
    ap.add_argument("--memory-gib", type=float, default=4.0, help="address space per process (default 4 GiB)")
    ap.add_argument("--file-mib", type=int, default=512, help="largest file a submission may write (default 512)")
    ap.add_argument("--processes", type=int, default=256, help="processes it may add (default 256; not for root)")
    ap.add_argument("--isolate", choices=("auto", "on", "off"), default="auto",
                    help="own user/mount/PID namespaces per run (auto: where unshare works)")
    a = ap.parse_args(argv)
    lim = Limits(a.timeout, a.memory_gib, a.file_mib, a.processes)
    if a.build:
        build(a.build, lim)
    elif a.folder:
        grade(a.folder, a.dist, a.out, lim, isolate=a.isolate)
    else:
        ap.error("give a submissions folder, or --build DIST")


if __name__ == "__main__":
    main()
