"""Greedy example completions of the second experiment, chosen by a rule: the first two held-out twin pairs of each
seed's test order, from the SFT adapter and each trained arm found in the run folder. Writes <root>/<family>/examples.md.

    python scripts/prereg2_examples.py --runs runs/prereg2 --out figures/prereg2
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import gtalign_lite as gl  # noqa: E402
from gtalign_lite import twins  # noqa: E402

PAIRS = 2


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", default="runs/prereg2")
    ap.add_argument("--out", default="figures/prereg2")
    ap.add_argument("--family", default="writing")
    a = ap.parse_args(argv)
    lines = [f"# Example completions: {a.family}", "", f"Greedy, the first {PAIRS} held-out twin pairs of each seed's "
             "test order (`scripts/prereg2_examples.py`); `asks` is read off the `<response>` block.", ""]
    for seed_dir in sorted((ROOT / a.runs / a.family).glob("seed-*")):
        seed = int(seed_dir.name.split("-")[1])
        items = [x for p in twins.twin_pairs(a.family, "test", seed)[:PAIRS] for x in p]
        for arm, adapter in [("sft", seed_dir / "sft" / "adapter")] + [
                (p.name.removeprefix("grpo-"), p / "adapter") for p in sorted(seed_dir.glob("grpo-*"))]:
            if not (adapter / "adapter_config.json").exists():
                continue
            model, tok = gl.load_model("embedded", {"seed": seed}, lora=False, adapter=str(adapter))
            rep, texts = twins.sample(model, tok, items, 1, 0.0, 192, seed)
            lines += [f"## seed {seed}, {arm}", ""]
            for it, t in zip(rep, texts):
                lines += [f"**{it['question_type']}** {it['question']} (asks: {twins.asks(t)})", "", "```", t, "```", ""]
    out = ROOT / a.out / a.family / "examples.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    print(out)


if __name__ == "__main__":
    main()
