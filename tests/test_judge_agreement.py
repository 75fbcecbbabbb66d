"""The rule judge agrees with the labelled cases (real rows, written responses) on at least 90% per source."""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("judge_agreement", ROOT / "scripts" / "judge_agreement.py")
agreement_script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(agreement_script)

SOURCES = {"math-hard", "minerva", "ambig_qa", "abg-coqa", "wildguard", "advbench", "medium"}


@pytest.fixture(scope="module")
def table():
    if not agreement_script.CASES.exists():
        pytest.skip(f"no labelled cases at {agreement_script.CASES}")
    if not agreement_script.DATA.exists():
        pytest.skip(f"the published data is not at {agreement_script.DATA} (see docs/data.md)")
    cases = agreement_script.load_cases()
    table, _ = agreement_script.agreement(cases, agreement_script.case_items(cases))
    return table


def test_every_source_is_labelled(table):
    assert set(table["source"]) == SOURCES


def test_agreement_at_least_90_percent_per_source(table):
    low = table[table["agreement"] < 100 * agreement_script.TARGET]
    assert low.empty, f"below {agreement_script.TARGET:.0%}:\n{low.to_string(index=False)}"


@pytest.mark.slow
@pytest.mark.parametrize("source", ["wildguard", "math"])
def test_agreement_with_the_papers_judge_is_the_committed_report_half_table(source):
    """Recomputed on the report half of the authors' questions (their Qwen3-32B judge's recorded scores are the labels)."""
    if not agreement_script.RUNS.exists() or not agreement_script.LABELS.exists():
        pytest.skip(f"the authors' generations or test split are not at {agreement_script.RUNS} (see docs/data.md)")
    import pandas as pd

    table, failed = agreement_script.runs_agreement(sources=[source], half="report")
    row = table.set_index("source").iloc[0]
    committed = pd.read_csv(ROOT / "figures" / "judge_agreement_runs_report.csv").set_index("source").loc[row.name]
    if failed:  # a judgement that ran over its time bound on a loaded machine is left out, which moves the figures
        pytest.skip(f"{failed} judgements timed out here; the committed table had none")
    for col in ("questions", "generations", "agreement", "lo", "hi", "kappa", "constant_1"):
        assert row[col] == pytest.approx(committed[col], abs=1e-9), col
    assert committed["lo"] <= committed["agreement"] <= committed["hi"]


def test_the_report_half_meets_its_targets_where_the_docs_say_it_does():
    """math-hard and ambig_qa reach their targets on the report half; wildguard does not (docs/judges.md says so)."""
    import pandas as pd

    t = pd.read_csv(ROOT / "figures" / "judge_agreement_runs_report.csv").set_index("source")
    met = {s: t.at[s, "agreement"] >= t.at[s, "target"] for s in agreement_script.RUN_TARGETS}
    assert met == {"math-hard": True, "ambig_qa": True, "wildguard": False}
    assert "wildguard reaches 0.913, below its target of 0.92" in (ROOT / "docs" / "judges.md").read_text()


def test_the_readme_judge_table_is_the_committed_report_half_table():
    import pandas as pd

    committed = pd.read_csv(ROOT / "figures" / "judge_agreement_runs_report.csv").set_index("source")
    readme = (ROOT / "README.md").read_text()
    for source, r in committed.iterrows():
        ceiling = f"{r['self_agreement_full_set']:.3f}".rstrip("0").rstrip(".")
        agreement = f"{r['agreement']:.3f} [{r['lo']:.3f}, {r['hi']:.3f}]"
        assert f"| {source} | {r['questions']} | {r['generations']} | {agreement} |" in readme, source
        assert f"| {ceiling} |" in readme, source
