"""Print the pre-registered experiment's tables (Markdown) and each hypothesis's verdict, read off the committed CSVs
by gtalign_lite.prereg; docs/results.md holds this output between its prereg-report markers.

    python scripts/prereg_report.py            # figures/prereg (arm A) and figures/prereg-harmful+... (arm B)
"""
from gtalign_lite.prereg import report

if __name__ == "__main__":
    print(report(), end="")
