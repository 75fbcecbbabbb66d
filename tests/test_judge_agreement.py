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
def test_agreement_with_the_papers_judge_meets_its_target_and_the_committed_table(source):
    """Recomputed on the authors' generations (their Qwen3-32B judge's recorded scores are the labels)."""
    if not agreement_script.RUNS.exists() or not agreement_script.LABELS.exists():
        pytest.skip(f"the authors' generations or test split are not at {agreement_script.RUNS} (see docs/data.md)")
    import pandas as pd

    table, _ = agreement_script.runs_agreement(sources=[source])
    row = table.set_index("source").iloc[0]
    assert row["agreement"] >= agreement_script.RUN_TARGETS[row.name], row.to_dict()
    committed = pd.read_csv(ROOT / "figures" / "judge_agreement_runs.csv").set_index("source").loc[row.name]
    assert (row["generations"], row["agreement"]) == (committed["generations"], committed["agreement"])


def test_the_readme_judge_table_is_the_committed_table():
    import pandas as pd

    committed = pd.read_csv(ROOT / "figures" / "judge_agreement_runs.csv").set_index("source")
    readme = (ROOT / "README.md").read_text()
    for source, r in committed.iterrows():
        ceiling = f"{r['self_agreement_full_set']:.3f}".rstrip("0").rstrip(".")
        agreement = f"{r['agreement']:.3f}"
        assert f"| {source} | {r['generations']} | {agreement}" in readme and f"| {ceiling} |" in readme, source
