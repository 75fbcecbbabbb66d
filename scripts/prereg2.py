"""The second pre-registered experiment (docs/preregistration-2.md) from the command line: the stages of
gtalign_lite/prereg2.py for several seeds and arms, two at a time, each in its own process with its own log; a stopped
run resumes. --keep copies the tables (no model) to figures/prereg2/.

    python scripts/prereg2.py --family writing --seeds 0 1 2 --jobs 2     # everything, two stages at a time
    python scripts/prereg2.py --family writing --seed 0 --stage before     # SFT, gates, margins
    python scripts/prereg2.py --family writing --seed 0 --stage grpo --arm welfare
    python scripts/prereg2.py --family writing --seed 0 --stage eval --arm welfare --keep
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gtalign_lite import twins  # noqa: E402
from gtalign_lite.prereg2 import keep, run_stage, settings  # noqa: E402


def jobs_for(seeds, arms) -> list[tuple[str, list[str], list[str]]]:
    """(name, stage arguments, names it waits for) for every stage of these seeds and arms, in the order to run."""
    out = []
    for seed in seeds:
        before = f"s{seed}-before"
        out.append((before, ["--seed", str(seed), "--stage", "before"], []))
        first = "welfare" if "welfare" in arms else arms[0]
        out += [(f"s{seed}-grpo-{arm}", ["--seed", str(seed), "--stage", "grpo", "--arm", arm],
                 [before] if arm == first else [before, f"s{seed}-grpo-{first}"]) for arm in arms]
        out.append((f"s{seed}-eval-sft", ["--seed", str(seed), "--stage", "eval", "--arm", "sft"], [before]))
        out += [(f"s{seed}-eval-{arm}", ["--seed", str(seed), "--stage", "eval", "--arm", arm],
                 [f"s{seed}-grpo-{arm}"] if arm == first else [f"s{seed}-grpo-{arm}", f"s{seed}-eval-{first}"])
                for arm in arms]
    return out


def run_all(a) -> int:
    """Every stage of the seeds and arms, `--jobs` at a time (one torch thread each, or `--jobs` threads for a stage
    that runs alone), each as soon as what it needs has finished; one log per stage in the run folder. Returns the
    number of failed stages."""
    import subprocess

    todo, running, done, failed = jobs_for(a.seeds, a.arms), {}, set(), set()
    logs = ROOT / a.runs / a.family
    logs.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    while todo or running:
        for name, proc in list(running.items()):
            if proc.poll() is not None:
                (done if proc.returncode == 0 else failed).add(name)
                print(f"[{time.strftime('%H:%M:%S')}] {name}: {'done' if proc.returncode == 0 else 'FAILED'}", flush=True)
                del running[name]
        for job in [j for j in todo if set(j[2]) & failed]:  # what waits on a failed stage cannot run
            print(f"[{time.strftime('%H:%M:%S')}] {job[0]}: skipped ({', '.join(set(job[2]) & failed)} failed)")
            failed.add(job[0])
            todo.remove(job)
        ready = [j for j in todo if set(j[2]) <= done]
        while ready and len(running) < a.jobs:
            name, args, _ = ready.pop(0)
            todo.remove((name, args, _))
            cmd = [sys.executable, __file__, "--family", a.family, "--profile", a.profile, "--runs", a.runs, *args]
            # a stage alone on the machine (a seed's SFT before anything else can start) gets every core's thread
            alone = not running and not [j for j in todo if set(j[2]) <= done]
            env["OMP_NUM_THREADS"] = str(a.jobs if alone else 1)
            if a.keep:
                cmd.append("--keep")
            log = open(logs / f"{name}.log", "a")
            running[name] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
            print(f"[{time.strftime('%H:%M:%S')}] {name}: started (log {logs / (name + '.log')})", flush=True)
        time.sleep(2)
    return len(failed)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--family", default="writing", choices=twins.FAMILIES)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--stage", choices=["before", "grpo", "eval", "keep", "all"], default="all",
                    help="all (default): every stage of --seeds and --arms, --jobs at a time")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--arms", nargs="+", default=list(twins.ARMS), choices=list(twins.ARMS))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--arm", choices=list(twins.ARMS) + ["sft"])
    ap.add_argument("--profile", default="full", choices=["full", "smoke"])
    ap.add_argument("--runs", default="runs/prereg2")
    ap.add_argument("--keep", action="store_true", help="copy the tables to figures/prereg2/<family>/seed-N")
    a = ap.parse_args(argv)
    if a.keep and (a.profile != "full" or a.runs != "runs/prereg2"):
        sys.exit("--keep copies a run of the registered design (profile full, --runs runs/prereg2) to figures/prereg2/")
    if a.stage == "all":
        failed = run_all(a)
        if failed:
            sys.exit(f"{failed} stage(s) failed: see their logs in {ROOT / a.runs / a.family}")
        return
    S = {**settings(a.profile), "family": a.family}
    run = ROOT / a.runs / a.family / f"seed-{a.seed}"
    if a.stage != "keep":
        run_stage(S, run, a.seed, a.stage, a.arm)
    if a.keep or a.stage == "keep":
        keep(run, ROOT / "figures" / "prereg2" / a.family / f"seed-{a.seed}")

if __name__ == "__main__":
    main()
