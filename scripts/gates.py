"""The pre-registered gates (docs/preregistration.md).

    python scripts/gates.py                                  # perception: probe on the embedded base model's features,
                                                             # cpu sizes (60 train, 40 validation per family), seed 0
    python scripts/gates.py --capability runs/prereg/seed-0  # capability: the SFT replies notebook 03 stored
                                                             # (sft/before_after.csv), judged again by today's judges

The first writes figures/gates/probe.csv; the second rewrites <run>/sft/gate_capability.csv and prints what changed
(after a judge revision, amendment 2 of the pre-registration: no model is run again).
"""
import argparse
from pathlib import Path

import pandas as pd

import gtalign_lite as gl


def perception(args):
    """Probe accuracy per family on validation items, from the base model's last-token states."""
    import torch

    from gtalign_lite import probe

    torch.manual_seed(args.seed)
    model, tok = gl.load_model("embedded", {"device": "cpu"}, lora=False)
    model.eval()
    train = gl.offline_items("train", args.train, args.seed, prompt_style="compact")
    val = gl.offline_items("validation", args.validation, args.seed, prompt_style="compact")
    table = probe.probe_gate(probe.last_token_states(model, tok, train), train,
                             probe.last_token_states(model, tok, val), val)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    table.round(4).to_csv(args.out, index=False)
    print(table.round(3).to_string(index=False))


def capability(run_dir: Path):
    """The capability gate from the stored after-SFT replies, scored again with the current rule judges."""
    from gtalign_lite import evaluate as ev

    items = {it["uid"]: it for it in gl.config.load_items(run_dir / "data" / "validation.jsonl")}
    stored = pd.read_csv(run_dir / "sft" / "before_after.csv", keep_default_na=False)
    after = stored[stored.method == "after SFT"]
    scored = ev.score_texts([items[u] for u in after.uid], after.text.tolist(), gl.RuleJudge(), "after SFT")
    out = run_dir / "sft" / "gate_capability.csv"
    old = pd.read_csv(out) if out.exists() else None
    table = ev.capability_gate(scored)
    table.to_csv(out, index=False)
    print(table.round(3).to_string(index=False))
    if old is not None:
        same = old[["family", "passes"]].equals(table[["family", "passes"]])
        print(f"\nverdicts {'unchanged' if same else 'CHANGED'} against the stored table; right_when_answering was "
              f"{dict(zip(old.family, old.right_when_answering.round(3)))}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", type=int, default=60)
    ap.add_argument("--validation", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="figures/gates/probe.csv")
    ap.add_argument("--capability", type=Path, help="a run folder whose notebook 03 finished")
    args = ap.parse_args()
    capability(args.capability) if args.capability else perception(args)
