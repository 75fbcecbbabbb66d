#!/usr/bin/env bash
# The pre-registered experiment (docs/preregistration.md), seed by seed: arm A (all four families, Cobb-Douglas,
# runs/prereg) then arm B (the harmful game: safety only, 20 steps, three rewards, starting from arm A's SFT of the
# same seed). Finished stages are skipped and training resumes from its checkpoint, so running it again continues.
set -euo pipefail
PY=${PY:-.venv/bin/python}
A=runs/prereg
B='runs/prereg-harmful+families=['"'"'safety'"'"'],grpo_steps=20'  # the runner names a sweep folder by its overrides
for seed in ${SEEDS:-0 1 2}; do
  $PY -m gtalign_lite.runner --profile cpu --run-dir runs/prereg --sweep seed=$seed
  mkdir -p "$B/seed-$seed/done"
  for part in data sft done/01_data.json done/03_sft.json; do  # the same data and SFT stage: 01 and 03 read neither key
    [ -e "$B/seed-$seed/$part" ] || cp -a "$A/seed-$seed/$part" "$B/seed-$seed/$part"
  done
  $PY -m gtalign_lite.runner --profile cpu --run-dir runs/prereg-harmful -p families '[safety]' -p grpo_steps 20 \
      --sweep reward_variant=cobb_douglas,llm,user seed=$seed
done
