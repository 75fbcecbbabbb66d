"""Grade a folder of submitted notebooks with otter-grader, locally and without Docker: one CSV row each.

Each submission runs in its own `otter run` process (new session, wall-clock limit), so one that raises,
loops forever or prints megabytes is scored (0 for what it did not reach) and the class goes on.

    python scripts/grade_class.py SUBMISSIONS_DIR [--autograder ZIP] [--out scores.csv] [--timeout 300]

ZIP defaults to the newest dist/autograder/*-autograder_*.zip that `make assignment` writes. The CSV has
one column per autograded question (points), then total, possible, status (ok / timeout / error) and seconds.
Questions graded by hand (manual) are not in it.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOG_TAIL = 2000  # characters of otter's own output kept in a failed row's status


@dataclass
class Row:
    """One submission's scores per question, and how its run ended."""

    submission: str
    scores: dict = field(default_factory=dict)
    status: str = "ok"
    seconds: float = 0.0


def find_autograder(path=None) -> Path:
    """The autograder zip given, or the newest one under dist/autograder/ (what `make assignment` builds)."""
    if path:
        return Path(path)
    zips = sorted((ROOT / "dist" / "autograder").glob("*-autograder_*.zip"), key=lambda p: p.stat().st_mtime)
    if not zips:
        raise SystemExit("no autograder zip in dist/autograder/: run `make assignment` first, or pass --autograder")
    return zips[-1]


def questions(autograder: Path) -> dict[str, float]:
    """{question: points} of every autograded question, read from the zip's OK-format test files."""
    out = {}
    with zipfile.ZipFile(autograder) as z:
        for name in sorted(n for n in z.namelist() if n.startswith("tests/") and n.endswith(".py")):
            scope: dict = {}
            exec(z.read(name).decode(), scope)  # the teacher's own test files: {"name", "points", "suites"}
            out[scope["test"]["name"]] = float(scope["test"]["points"])
    return dict(sorted(out.items(), key=lambda kv: (len(kv[0]), kv[0])))  # q2 before q10


def grade_one(submission: Path, autograder: Path, timeout: float, work: Path) -> Row:
    """Run otter on one submission in its own process group; a timeout kills the group (kernel included)."""
    row, out = Row(submission.name), work / submission.stem
    out.mkdir(parents=True, exist_ok=True)
    log = out / "otter.log"
    cmd = [sys.executable, "-m", "otter", "run", "-a", str(autograder), "-o", str(out), "--no-logo", str(submission)]
    start = time.monotonic()
    with open(log, "wb") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            row.status = f"timeout after {timeout:g} s"
    row.seconds = round(time.monotonic() - start, 1)
    results = out / "results.json"
    if results.exists() and row.status == "ok":
        for test in json.loads(results.read_text())["tests"]:
            if test.get("max_score") is not None:
                row.scores[test["name"]] = float(test.get("score") or 0.0)
    elif row.status == "ok":
        tail = log.read_bytes()[-LOG_TAIL:].decode(errors="replace").strip().splitlines()
        row.status = f"error: otter exited {proc.returncode}: {tail[-1] if tail else 'no output'}"
    return row


def grade(folder, autograder=None, out="scores.csv", timeout: float = 300.0, ext: str = "ipynb") -> list[Row]:
    """Grade every *.ipynb in `folder` and write the CSV; returns the rows."""
    ag = find_autograder(autograder)
    qs = questions(ag)
    subs = sorted(Path(folder).glob(f"*.{ext}"))
    if not subs:
        raise SystemExit(f"no *.{ext} submissions in {folder}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="grade_class_") as work:
        for i, sub in enumerate(subs, 1):
            row = grade_one(sub, ag, timeout, Path(work))
            total = sum(row.scores.get(q, 0.0) for q in qs)
            print(f"[{i}/{len(subs)}] {sub.name}: {total:g}/{sum(qs.values()):g} ({row.status}, {row.seconds} s)", flush=True)
            rows.append(row)
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["submission", *qs, "total", "possible", "status", "seconds"])
        for r in rows:
            s = [r.scores.get(q, 0.0) for q in qs]
            w.writerow([r.submission, *s, sum(s), sum(qs.values()), r.status, r.seconds])
    print(f"wrote {out} ({len(rows)} submissions, autograder {ag.name})")
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", help="folder of submitted notebooks")
    ap.add_argument("--autograder", help="autograder zip (default: newest in dist/autograder/)")
    ap.add_argument("--out", default="scores.csv", help="CSV to write (default scores.csv)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per submission (default 300)")
    a = ap.parse_args(argv)
    grade(a.folder, a.autograder, a.out, a.timeout)


if __name__ == "__main__":
    main()
