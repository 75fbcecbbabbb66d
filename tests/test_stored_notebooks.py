"""The committed notebooks show a real run: those declared in notebooks/stored_runs.yaml hold no smoke outputs and no
stale report, and every number of their "What we learned" section is in a committed CSV; the others are listed as
expected failures that say what shows the smoke run. The helpers are checked on a hand-made notebook."""
import glob

import nbformat
import pytest

from gtalign_lite import stored
from conftest import NB, ROOT

DECLARED = stored.declared(NB)
STORED = [p.stem for p in sorted(NB.glob("0*.ipynb")) if p.stem != "00_colab"]  # 00 stores no outputs
RESULTS = (ROOT / "docs" / "results.md").read_text()
REPORT = RESULTS[RESULTS.index("-->\n", RESULTS.index("<!-- prereg-report")) + 4:RESULTS.index("<!-- /prereg-report -->")]


def problems(name: str) -> list[str]:
    """What shows that a committed notebook is not a real run's: the header, smoke signs, a stale report."""
    nb = stored.load(NB / f"{name}.ipynb")
    header = ["cell 0: the header says it stores the smoke profile"] if stored.stored_profile(nb) == "smoke" else []
    return header + stored.smoke_signs(nb) + stored.stale_reports(nb, REPORT)


def tables(name: str) -> list[str]:
    return sorted(f for pattern in DECLARED[name]["tables"] for f in glob.glob(str(ROOT / pattern)))


@pytest.mark.parametrize("name", [
    n if n in DECLARED else pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=(
        f"{n} is stored from the smoke profile ({'; '.join(problems(n)) or 'declared so'}): store a real run with "
        f"`python -m gtalign_lite.runner --store-from RUN_DIR --only {n}` and declare it in notebooks/stored_runs.yaml")))
    for n in STORED])
def test_a_committed_notebook_shows_a_real_run(name):
    assert not problems(name), f"{name}: " + "; ".join(problems(name))


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_what_we_learned_numbers_are_in_committed_csvs(name):
    assert tables(name), f"{name}: no committed CSV matches {DECLARED[name]['tables']}"
    nb = stored.load(NB / f"{name}.ipynb")
    assert stored.numbers(stored.learned_text(nb)), f"{name}: 'What we learned' states no number"
    missing = stored.untied_numbers(nb, tables(name))
    assert not missing, f"{name}: numbers in 'What we learned' found in no CSV of {DECLARED[name]['tables']}: {missing}"


def test_every_declared_notebook_exists_and_has_a_run():
    for name, entry in DECLARED.items():
        assert name in STORED and entry["run"], name


def _notebook(learned_output: str, other_output: str = "", report: str | None = None) -> dict:
    cells = [nbformat.v4.new_markdown_cell("# 0X\n\n**Stored outputs:** the outputs of the `cpu` profile."),
             nbformat.v4.new_code_cell("print(x)"), nbformat.v4.new_markdown_cell("## What we learned\nRead off above."),
             nbformat.v4.new_code_cell("print(summary)"), nbformat.v4.new_markdown_cell("## Checks"),
             nbformat.v4.new_code_cell("print(check)")]
    cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text=other_output)]
    cells[3].outputs = [nbformat.v4.new_output("stream", name="stdout", text=learned_output)]
    cells[5].outputs = [nbformat.v4.new_output("stream", name="stdout", text="W 0.777 in the checks\n")]
    if report is not None:
        cells.append(nbformat.v4.new_code_cell("Markdown(prereg.report())"))
        cells[-1].outputs = [nbformat.v4.new_output("execute_result", data={"text/markdown": report,
                                                                              "text/plain": "<Markdown object>"})]
    return nbformat.from_dict(nbformat.v4.new_notebook(cells=cells))


def test_numbers_in_what_we_learned_are_tied_to_a_csv_at_their_printed_precision(tmp_path):
    csv = tmp_path / "t.csv"
    csv.write_text("method,format,W\nsft,0.9871,0.4149\ngrpo,1.0,0.0828\n")
    nb = _notebook("format 0.99 after SFT, W 0.41; win-win 8%; gap +0.08 in 12 steps\n", "W 0.555 above\n")
    assert stored.numbers(stored.learned_text(nb)) == ["0.99", "0.41", "8%", "+0.08"]  # not 0.555, 0.777 or 12
    assert stored.untied_numbers(nb, [csv]) == []
    wrong = _notebook("format 0.98 after SFT, W 0.415, W 0.4149\n")  # 0.9871 is 0.99; 0.4149 is 0.415 at 3 places
    assert stored.untied_numbers(wrong, [csv]) == ["0.98"]
    signal = tmp_path / "signal.json"
    signal.write_text('{"well_formed_and_closed": 0.953, "per_step": [{"clipped": 0.0045}], "ok": true}')
    sampled = _notebook("95% well formed, 0.45% clipped, 0.46% not, 1.00 ok\n")
    assert stored.numbers(stored.learned_text(sampled)) == ["95%", "0.45%", "0.46%", "1.00"]
    assert stored.untied_numbers(sampled, [csv, signal]) == ["0.46%"]


def test_smoke_signs_name_the_cell_and_what_shows_it():
    smoke = _notebook("gap +nan [+nan, +nan]\n", "adapter saved to runs/smoke/sft/adapter\nU 0.000 L 0.000 W 0.000 F 0.0\n")
    assert stored.smoke_signs(smoke) == ["cell 1: written by a run in the smoke profile's folder runs/smoke",
                                         "cell 1: a table whose every number is 0",
                                         "cell 3: NaN where a measured value belongs"]
    assert stored.smoke_signs(_notebook("finance 0.50 and nano 0.000\n", "runs/cpu/sft 0.0 0.0 0.0 0.1\n")) == []
    assert stored.stored_profile(smoke) == "cpu"


def test_a_stored_report_that_differs_from_the_current_one_is_stale():
    current = "### Verdicts\n- H1, writing: inconclusive\n"
    assert stored.stale_reports(_notebook("", report=current), current) == []
    stale = _notebook("", report="### Verdicts\n- H1, writing: not yet measured\n")
    assert stored.stale_reports(stale, current) == ["cell 6: its stored pre-registered report differs from the current one"]
    assert stored.smoke_signs(stale) == ["cell 6: a report written before any result existed"]
