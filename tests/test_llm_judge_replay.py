"""A replay of the authors' generations through OpenAIJudge fills the judge prompt as their code does: the question
slot holds the problem (their single_turn_prompt), not the conversation's last turn."""
import pytest

from gtalign_lite import reference_runs as rr
from gtalign_lite.judges import paper_prompt
from conftest import LABELS, RUNS


@pytest.fixture(scope="module")
def maths_rows():
    if not (RUNS.exists() and LABELS.exists()):
        pytest.skip(f"the authors' generations are not at {RUNS} (see the README's data section)")
    return rr.load_reference_runs(RUNS, sources=["math"], rewards=["cobb"], steps=[0], labels=str(LABELS))


def test_a_multi_turn_maths_row_is_judged_on_its_problem(maths_rows):
    multi = maths_rows[maths_rows["problem"].str.strip() != maths_rows["question"].str.strip()]
    assert len(multi) > 0  # the test split has multi-turn maths rows ("Oh right, here's the exact question: ...")
    row = multi.iloc[0]
    prompt = paper_prompt(rr.judge_item(row), "The answer is 3.")
    assert f"Target Question: {row['problem']}" in prompt  # before the fix: "Target Question: <the last turn>"
    assert f"Target Question: {row['question']}" not in prompt
