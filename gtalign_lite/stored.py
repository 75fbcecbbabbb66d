"""What a committed notebook's stored outputs show: signs that they come from the smoke profile, and whether each
number its "What we learned" section states can be found in a committed CSV."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

# a sign of a smoke run (or of a report written before any result) in a stored output -> what it means
SMOKE_SIGNS = {
    r"\bruns/smoke\b": "written by a run in the smoke profile's folder runs/smoke",
    r"(?<![\w.])[+-]?nan\b": "NaN where a measured value belongs",
    r"no seed evaluated yet|not yet measured": "a report written before any result existed",
}
NUMBER = re.compile(r"(?<![\w.])[+-]?(\d+(?:\.\d+)?%|\d+\.\d+)")  # percentages and decimals; whole numbers are counts


def load(path) -> dict:
    """A notebook as a dict (nbformat's JSON), read without executing anything."""
    return json.loads(Path(path).read_text())


def outputs(cell: dict) -> str:
    """The text a code cell stored: its streams and the Markdown or plain-text form of its results."""
    parts = []
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        text = out.get("text") or data.get("text/markdown") or data.get("text/plain", "")
        parts.append("".join(text) if isinstance(text, list) else text)
    return "\n".join(parts)


def all_zero(text: str, least: int = 4) -> bool:
    """True for an output with at least `least` decimal numbers, every one of them zero (an empty result table)."""
    values = [float(m.group(0).rstrip("%")) for m in NUMBER.finditer(text) if "." in m.group(0)]
    return len(values) >= least and not any(values)


def smoke_signs(nb: dict) -> list[str]:
    """'cell N: meaning' for every stored output that shows a smoke run, a NaN result, a stale report or all zeros."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        text = outputs(cell) if cell["cell_type"] == "code" else ""
        found += [f"cell {i}: {meaning}" for sign, meaning in SMOKE_SIGNS.items() if re.search(sign, text)]
        if all_zero(text):
            found.append(f"cell {i}: a table whose every number is 0")
    return found


def stored_profile(nb: dict) -> str | None:
    """The profile the first cell's '**Stored outputs:**' paragraph names (`smoke`, `cpu`, ...), or None."""
    opening = "".join(nb["cells"][0]["source"])
    found = re.search(r"\*\*Stored outputs:\*\*[^\n]*?`(\w+)`", opening)
    return found.group(1) if found else None


def stale_reports(nb: dict, current: str) -> list[str]:
    """'cell N' for every cell that prints prereg.report() and stored another text than the current report."""
    return [f"cell {i}: its stored pre-registered report differs from the current one"
            for i, cell in enumerate(nb["cells"])
            if cell["cell_type"] == "code" and "prereg.report()" in "".join(cell["source"])
            and outputs(cell).strip() != current.strip()]


def learned_text(nb: dict) -> str:
    """The 'What we learned' section: its markdown and the outputs of its code cells, up to '## Checks' or the end."""
    parts, inside = [], False
    for cell in nb["cells"]:
        source = "".join(cell["source"]).lstrip()
        if cell["cell_type"] == "markdown" and source.startswith("## "):
            inside = source.startswith("## What we learned")
        if inside:
            parts.append(source if cell["cell_type"] == "markdown" else outputs(cell))
    return "\n".join(parts)


def numbers(text: str) -> list[str]:
    """The decimal numbers and percentages a text states, as written ('0.92', '+0.10', '8%')."""
    return [m.group(0) for m in NUMBER.finditer(text)]


def csv_values(paths) -> list[float]:
    """Every numeric value in the given CSV files (gzipped too) and JSON files (at any depth)."""
    def walk(o):
        if isinstance(o, dict):
            return [v for x in o.values() for v in walk(x)]
        if isinstance(o, list):
            return [v for x in o for v in walk(x)]
        return [float(o)] if isinstance(o, (int, float)) and not isinstance(o, bool) else []

    values = []
    for path in map(Path, paths):
        if path.suffix == ".json":
            values += walk(json.loads(path.read_text()))
        else:
            values += pd.read_csv(path).select_dtypes("number").stack().astype(float).tolist()
    return values


def ties(stated: str, values: list[float]) -> bool:
    """True when a value rounds to the stated number at its printed precision ('8%' ties 0.0828, '0.92' ties 0.9201)."""
    if stated.endswith("%"):
        x, places = float(stated[:-1]) / 100, 2 + len(stated[:-1].partition(".")[2])
    else:
        x, places = float(stated), len(stated.split(".")[1])
    half = 0.5 * 10 ** -places + 1e-9
    return any(abs(v - x) <= half for v in values)


def untied_numbers(nb: dict, csvs) -> list[str]:
    """The numbers in a notebook's 'What we learned' section that no value in the given committed CSV or JSON files
    rounds to."""
    values = csv_values(csvs)
    return [n for n in numbers(learned_text(nb)) if not ties(n, values)]


NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def declared(notebooks: Path = NOTEBOOKS) -> dict:
    """notebooks/stored_runs.yaml's `real_run` entries: notebook -> its run, tables and smoke profile."""
    import yaml

    return yaml.safe_load((Path(notebooks) / "stored_runs.yaml").read_text())["real_run"] or {}


def nbval_copies(notebooks: Path, out: Path, declared: dict) -> list[Path]:
    """Copies of the committed notebooks for nbval, each set to the smoke counterpart of the run it stores
    (stored_runs.yaml: `smoke_profile`), so that nbval re-executes the cells its stored outputs came from at CI's
    size; a notebook stored from the smoke profile is copied unchanged."""
    import nbformat

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(Path(notebooks).glob("0*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        profile = (declared.get(path.stem) or {}).get("smoke_profile")
        if profile:
            cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
            first = cell.source.splitlines()[0]
            if not first.startswith("profile = "):
                raise ValueError(f"{path.name}: the parameters cell does not open with the profile")
            cell.source = "\n".join([re.sub(r'"\w+"', f'"{profile}"', first, count=1)] + cell.source.splitlines()[1:])
        nbformat.write(nb, out / path.name)
        written.append(out / path.name)
    return written


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Write the committed notebooks, set to their stored run's smoke profile, "
                                             "for nbval.")
    ap.add_argument("--nbval-copies", required=True, metavar="DIR")
    a = ap.parse_args()
    for p in nbval_copies(NOTEBOOKS, Path(a.nbval_copies), declared()):
        print(p)
