"""Greedy example completions of the second experiment, chosen by a rule: the first two held-out twin pairs of each
seed's test order, from the SFT adapter and each trained arm found in the run folder. Writes one file per seed and arm
(<out>/<family>/seed-N/examples-<arm>.md, kept when the run folder no longer holds that adapter) and joins every such
file into <out>/<family>/examples.md.

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
    family = ROOT / a.out / a.family
    for seed_dir in sorted((ROOT / a.runs / a.family).glob("seed-*")):
        seed = int(seed_dir.name.split("-")[1])
        items = [x for p in twins.twin_pairs(a.family, "test", seed)[:PAIRS] for x in p]
        for arm, adapter in [("sft", seed_dir / "sft" / "adapter")] + [
                (p.name.removeprefix("grpo-"), p / "adapter") for p in sorted(seed_dir.glob("grpo-*"))]:
            if not (adapter / "adapter_config.json").exists():
                continue
            model, tok = gl.load_model("embedded", {"seed": seed}, lora=False, adapter=str(adapter))
            rep, texts = twins.sample(model, tok, items, 1, 0.0, 192, seed)
            lines = [f"## seed {seed}, {arm}", ""]
            for it, t in zip(rep, texts):
                lines += [f"**{it['question_type']}** {it['question']} (asks: {twins.asks(t)})", "", "```", t, "```", ""]
            (family / seed_dir.name).mkdir(parents=True, exist_ok=True)
            (family / seed_dir.name / f"examples-{arm}.md").write_text("\n".join(lines).rstrip("\n") + "\n")
    order = ["sft", "welfare", "control", "decision"]
    files = sorted(family.glob("seed-*/examples-*.md"), key=lambda f: (
        f.parent.name, order.index(f.stem.removeprefix("examples-")) if f.stem.removeprefix("examples-") in order else 9))
    head = [f"# Example completions: {a.family}", "", f"Greedy, the first {PAIRS} held-out twin pairs of each seed's "
            "test order (`scripts/prereg2_examples.py`); `asks` is read off the `<response>` block.", ""]
    (family / "examples.md").write_text("\n".join(head) + "\n" + "\n".join(f.read_text() for f in files))
    print(family / "examples.md")


if __name__ == "__main__":
    main()
