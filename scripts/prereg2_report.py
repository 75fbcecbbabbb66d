"""The second pre-registered experiment's report: tables, verdicts and figures from its committed records.

    python scripts/prereg2_report.py                    # figures/prereg2/writing -> report.md and the figures
    python scripts/prereg2_report.py --root runs/prereg2   # the same from a run folder (nothing committed)

Writes <root>/<family>/report.md, ask_by_step.png (the rollouts' P(ask) per type, 8-step moving mean) and
decision_by_step.png (held-out P(ask action) every 8 steps), and prints the report.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gtalign_lite.prereg2 import report  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default="figures/prereg2")
    ap.add_argument("--family", default="writing")
    a = ap.parse_args(argv)
    print(report(ROOT / a.root / a.family, a.family,
                 f"`python scripts/prereg2_report.py --root {a.root} --family {a.family}`"))


if __name__ == "__main__":
    main()
