#!/usr/bin/env bash
# The pre-registered experiment (docs/preregistration.md), seed by seed: arm A (all four families, Cobb-Douglas,
# runs/prereg) then arm B (the harmful game: safety only, 20 steps, three rewards, starting from arm A's SFT of the
# same seed). Finished stages are skipped and training resumes from its checkpoint, so running it again continues.
# Seeds run JOBS at a time (default 2: one per core), each with one torch thread (two threads per job on a shared
# machine spin-wait and run several times slower); each seed logs to runs/prereg-seedN.log.
set -euo pipefail
PY=${PY:-.venv/bin/python}
A=runs/prereg
B='runs/prereg-harmful+families=['"'"'safety'"'"'],grpo_steps=20'  # the runner names a sweep folder by its overrides
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

one_seed() {
  local seed=$1
  $PY -m gtalign_lite.runner --profile cpu --run-dir $A --sweep seed=$seed
  mkdir -p "$B/seed-$seed/done"
  for part in data sft done/01_data.json done/03_sft.json; do  # the same data and SFT stage: 01 and 03 read neither key
    [ -e "$B/seed-$seed/$part" ] || cp -a "$A/seed-$seed/$part" "$B/seed-$seed/$part"
  done
  $PY -m gtalign_lite.runner --profile cpu --run-dir runs/prereg-harmful -p families '[safety]' -p grpo_steps 20 \
      --sweep reward_variant=cobb_douglas,llm,user seed=$seed
}

pids=()
for seed in ${SEEDS:-0 1 2}; do
  while [ "$(jobs -rp | wc -l)" -ge "${JOBS:-2}" ]; do sleep 2; done
  echo "[$(date +%T)] seed $seed: started (log: runs/prereg-seed$seed.log)"
  one_seed "$seed" >> "runs/prereg-seed$seed.log" 2>&1 &
  pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
echo "[$(date +%T)] done$([ $failed = 0 ] || echo ': a seed failed, see its log')"
exit $failed
