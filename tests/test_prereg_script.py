"""scripts/prereg.sh with a stand-in for the runner: arm B of a seed starts once arm A's SFT is done and runs beside the
rest of arm A, two arms at a time, no arm B after an arm A that stopped before its SFT, failures reported; on a fresh
checkout a seed whose records are committed (arm B's in part) runs both arms' runners at once, which restore them."""
import os
import stat
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FAKE_RUNNER = """#!/usr/bin/env bash
# stands in for `python -m gtalign_lite.runner`: logs its start and end; seed 1's arm A fails at once; seed 3 is
# committed, so both arms restore it in 1 s; arm A writes its data and SFT after 1 s, then trains for 2 s more; arm B
# takes 1 s
seed=$(echo "$@" | grep -o 'seed=[0-9]' | tail -1 | cut -d= -f2)
echo "start $(date +%s.%N) $seed $OMP_NUM_THREADS $*" >> calls.txt
sleep 1
[ "$seed" = 1 ] && exit 3
[ "$seed" = 3 ] && exit 0
case "$*" in *prereg-harmful*) echo "end $(date +%s.%N) $seed b" >> calls.txt; exit 0;; esac
mkdir -p runs/prereg/seed-$seed/data runs/prereg/seed-$seed/sft runs/prereg/seed-$seed/done
echo "sft of seed $seed" > runs/prereg/seed-$seed/sft/adapter
touch runs/prereg/seed-$seed/done/01_data.json runs/prereg/seed-$seed/done/03_sft.json
echo "sft $(date +%s.%N) $seed a" >> calls.txt
sleep 2
echo "end $(date +%s.%N) $seed a" >> calls.txt
"""


def test_arm_b_starts_after_its_seeds_sft_beside_arm_a_two_arms_at_a_time(tmp_path):
    fake = tmp_path / "runner"
    fake.write_text(FAKE_RUNNER)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "runs").mkdir()
    # seed 3 ran in an earlier sitting: arm A finished, arm B evaluated some of its rewards (a record with no rows yet)
    (tmp_path / "figures" / "prereg" / "seed-3" / "done").mkdir(parents=True)
    (tmp_path / "figures" / "prereg" / "seed-3" / "per_item.csv.gz").write_bytes(b"")
    (tmp_path / "figures" / "prereg-harmful+families=['safety'],grpo_steps=20" / "seed-3" / "done").mkdir(parents=True)
    env = {**os.environ, "PY": str(fake), "SEEDS": "0 1 2 3"}
    env.pop("OMP_NUM_THREADS", None)
    done = subprocess.run(["bash", str(ROOT / "scripts" / "prereg.sh")], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1 and "an arm failed" in done.stdout  # seed 1's arm A failed
    assert "seed 1: arm A stopped before its SFT model was done, so arm B does not start" in done.stdout
    assert "seed 3: arm A stopped" not in done.stdout
    assert not (tmp_path / "runs" / "prereg-harmful+families=['safety'],grpo_steps=20" / "seed-3").exists()
    events = [line.split(maxsplit=4) for line in (tmp_path / "calls.txt").read_text().splitlines()]
    starts = [(float(e[1]), e[2], e[4]) for e in events if e[0] == "start"]
    assert all(e[3] == "1" for e in events if e[0] == "start")  # one torch thread per arm
    arm = lambda args: "b" if "prereg-harmful" in args else "a"
    when = {(kind, seed, arm(rest) if kind == "start" else rest): float(t) for kind, t, seed, *_, rest in events}
    assert sorted((s, arm(args)) for _, s, args in starts) == [("0", "a"), ("0", "b"), ("1", "a"), ("2", "a"), ("2", "b"),
                                                                ("3", "a"), ("3", "b")]
    for seed in "02":
        a_args = next(args for _, s, args in starts if s == seed and arm(args) == "a")
        b_args = next(args for _, s, args in starts if s == seed and arm(args) == "b")
        assert "--run-dir runs/prereg --sweep" in a_args and f"seed={seed}" in a_args
        assert "-p families [safety] -p grpo_steps 20" in b_args and "reward_variant=cobb_douglas,llm,user" in b_args
        b = tmp_path / "runs" / "prereg-harmful+families=['safety'],grpo_steps=20" / f"seed-{seed}"
        assert (b / "sft" / "adapter").read_text() == f"sft of seed {seed}\n"  # arm B starts from arm A's SFT
        assert (b / "done" / "03_sft.json").exists()
        assert when[("sft", seed, "a")] <= when[("start", seed, "b")] < when[("end", seed, "a")]  # beside arm A's rest
    # never more than two arms at once: at each start, count the arms started before it and not yet ended
    ends = sorted(float(e[1]) for e in events if e[0] == "end") + [float(e[1]) + 1 for e in events
                                                                    if e[0] == "start" and e[2] in "13"]
    for t, _, _ in starts:
        assert sum(s <= t for s, _, _ in starts) - sum(e <= t for e in ends) <= 2
