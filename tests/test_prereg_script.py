"""scripts/prereg.sh with a stand-in for the runner: arms in order per seed, seeds two at a time, failures reported."""
import os
import stat
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FAKE_RUNNER = """#!/usr/bin/env bash
# stands in for `python -m gtalign_lite.runner`: logs its call; seed 1's arm A fails; arm A leaves data and SFT
seed=$(echo "$@" | grep -o 'seed=[0-9]' | tail -1 | cut -d= -f2)
echo "$(date +%s.%N) $seed $OMP_NUM_THREADS $*" >> calls.txt
sleep 1
[ "$seed" = 1 ] && exit 3
case "$*" in *prereg-harmful*) exit 0;; esac
mkdir -p runs/prereg/seed-$seed/data runs/prereg/seed-$seed/sft runs/prereg/seed-$seed/done
echo "sft of seed $seed" > runs/prereg/seed-$seed/sft/adapter
touch runs/prereg/seed-$seed/done/01_data.json runs/prereg/seed-$seed/done/03_sft.json
"""


def test_each_seed_runs_arm_a_then_arm_b_from_its_own_sft_two_seeds_at_a_time(tmp_path):
    fake = tmp_path / "runner"
    fake.write_text(FAKE_RUNNER)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "runs").mkdir()
    env = {**os.environ, "PY": str(fake), "SEEDS": "0 1 2"}
    env.pop("OMP_NUM_THREADS", None)
    done = subprocess.run(["bash", str(ROOT / "scripts" / "prereg.sh")], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1 and "a seed failed" in done.stdout  # seed 1's arm A failed
    calls = [line.split(maxsplit=3) for line in (tmp_path / "calls.txt").read_text().splitlines()]
    by_seed = {s: [c[3] for c in calls if c[1] == s] for s in "012"}
    assert all(c[2] == "1" for c in calls)  # one torch thread per job
    for seed in "02":
        arm_a, arm_b = by_seed[seed]
        assert "--run-dir runs/prereg --sweep" in arm_a and f"seed={seed}" in arm_a
        assert "-p families [safety] -p grpo_steps 20" in arm_b and "reward_variant=cobb_douglas,llm,user" in arm_b
        b = tmp_path / "runs" / "prereg-harmful+families=['safety'],grpo_steps=20" / f"seed-{seed}"
        assert (b / "sft" / "adapter").read_text() == f"sft of seed {seed}\n"  # arm B starts from arm A's SFT
        assert (b / "done" / "03_sft.json").exists()
    assert len(by_seed["1"]) == 1  # no arm B after a failed arm A
    starts = {c[1]: float(c[0]) for c in reversed(calls)}  # each seed's first call
    assert abs(starts["0"] - starts["1"]) < 1.0 < starts["2"] - starts["0"]  # 0 and 1 together; 2 waits for a slot
