#!/usr/bin/env bash
# The pre-registered experiment (docs/preregistration.md): per seed, arm A (all four families, Cobb-Douglas,
# runs/prereg) and arm B (the harmful game: safety only, 20 steps, three rewards, starting from arm A's SFT model of
# the same seed). Arm B needs only arm A's SFT stage, so it starts as soon as that is done and runs beside the rest of
# arm A. Finished stages are skipped and training resumes from its checkpoint, so running it again continues.
# JOBS arms run at a time (default 2: one per core; three would not fit in 24 GiB), each with one torch thread (two
# threads per job on a shared machine spin-wait and run several times slower); logs: runs/prereg-seedN[-harmful].log.
set -euo pipefail
PY=${PY:-.venv/bin/python}
A=runs/prereg
B='runs/prereg-harmful+families=['"'"'safety'"'"'],grpo_steps=20'  # the runner names a sweep folder by its overrides
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

arm_a() { $PY -m gtalign_lite.runner --profile cpu --run-dir $A --sweep seed=$1; }

kept() { [ -d "figures/${B#runs/}/seed-$1/done" ]; }  # arm B's committed record: all rewards or those evaluated

arm_b() {
  local seed=$1
  if ! kept "$seed"; then  # else the runner restores the record (copied markers would stop it) and trains the rest
    mkdir -p "$B/seed-$seed/done"
    for part in data sft done/01_data.json done/03_sft.json; do  # the same data and SFT: 01 and 03 read neither key
      [ -e "$B/seed-$seed/$part" ] || cp -a "$A/seed-$seed/$part" "$B/seed-$seed/$part"
    done
  fi
  $PY -m gtalign_lite.runner --profile cpu --run-dir runs/prereg-harmful -p families '[safety]' -p grpo_steps 20 \
      --sweep reward_variant=cobb_douglas,llm,user seed=$seed
}

say() { echo "[$(date +%T)] $*"; }
queue=()
for seed in ${SEEDS:-0 1 2}; do queue+=("a $seed" "b $seed"); done
declare -A arm_a_pid
pids=()
failed=0
while [ ${#queue[@]} -gt 0 ]; do
  if [ "$(jobs -rp | wc -l)" -ge "${JOBS:-2}" ]; then sleep 2; continue; fi
  picked=
  for i in "${!queue[@]}"; do  # the first arm that can start: arm A always, arm B once its seed's SFT is done
    read -r arm seed <<< "${queue[$i]}"  # (or at once where its record is committed: a fresh checkout restores it)
    sft="$A/seed-$seed/done/03_sft.json"
    if [ "$arm" = a ] || [ -e "$sft" ] || kept "$seed"; then picked=$i; break; fi
    if ! jobs -rp | grep -qx "${arm_a_pid[$seed]:-none}" && [ ! -e "$sft" ]; then
      say "seed $seed: arm A stopped before its SFT model was done, so arm B does not start"
      failed=1; unset "queue[$i]"
    fi
  done
  if [ -z "$picked" ]; then sleep 2; continue; fi
  read -r arm seed <<< "${queue[$picked]}"
  unset "queue[$picked]"
  if [ "$arm" = a ]; then
    log=runs/prereg-seed$seed.log; arm_a "$seed" >> "$log" 2>&1 &
    arm_a_pid[$seed]=$!
  else
    log=runs/prereg-seed$seed-harmful.log; arm_b "$seed" >> "$log" 2>&1 &
  fi
  pids+=($!)
  say "seed $seed, arm ${arm^^}: started (log: $log)"
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
say "done$([ $failed = 0 ] || echo ': an arm failed, see its log')"
exit $failed
