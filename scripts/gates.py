"""The perception gate on the embedded base model (docs/preregistration.md), written to figures/gates/probe.csv.

    python scripts/gates.py            # the cpu profile's sizes: 60 train and 40 validation items per family, seed 0
"""
import argparse
from pathlib import Path

import torch

import gtalign_lite as gl
from gtalign_lite import probe

ap = argparse.ArgumentParser()
ap.add_argument("--train", type=int, default=60)
ap.add_argument("--validation", type=int, default=40)
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--out", default="figures/gates/probe.csv")
args = ap.parse_args()
torch.manual_seed(args.seed)
model, tok = gl.load_model("embedded", {"device": "cpu"}, lora=False)
model.eval()
train = gl.offline_items("train", args.train, args.seed, prompt_style="compact")
val = gl.offline_items("validation", args.validation, args.seed, prompt_style="compact")
table = probe.probe_gate(probe.last_token_states(model, tok, train), train, probe.last_token_states(model, tok, val), val)
Path(args.out).parent.mkdir(parents=True, exist_ok=True)
table.round(4).to_csv(args.out, index=False)
print(table.round(3).to_string(index=False))
