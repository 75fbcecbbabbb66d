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

from gtalign_lite.prereg2 import EXAMPLE_PAIRS, examples  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", default="runs/prereg2")
    ap.add_argument("--out", default="figures/prereg2")
    ap.add_argument("--family", default="writing")
    a = ap.parse_args(argv)
    family = ROOT / a.out / a.family
    for seed_dir in sorted((ROOT / a.runs / a.family).glob("seed-*")):
        examples(seed_dir, a.family, int(seed_dir.name.split("-")[1]), family / seed_dir.name)
    order = ["sft", "welfare", "control", "decision"]
    files = sorted(family.glob("seed-*/examples-*.md"), key=lambda f: (
        f.parent.name, order.index(f.stem.removeprefix("examples-")) if f.stem.removeprefix("examples-") in order else 9))
    head = [f"# Example completions: {a.family}", "", f"Greedy, the first {EXAMPLE_PAIRS} held-out twin pairs of each "
            "seed's test order (`scripts/prereg2_examples.py`); `asks` is read off the `<response>` block.", ""]
    (family / "examples.md").write_text("\n".join(head) + "\n" + "\n".join(f.read_text() for f in files))
    print(family / "examples.md")


if __name__ == "__main__":
    main()
