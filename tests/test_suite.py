from collections import Counter

import pytest

from gtalign_lite import FAMILIES, offline_items, offline_suite
from gtalign_lite.suite import suite_table


def test_sizes_balance_and_columns():
    items = offline_items("train", n_per_family=40, seed=3)
    assert len(items) == 160
    counts = Counter((it["family"], it["question_type"]) for it in items)
    assert all(counts[(f, q)] == 20 for f in FAMILIES for q in ("DQ", "VQ"))
    for it in items:
        assert it["gold_action"] == ("CQ" if it["question_type"] == "VQ" else ("AQ" if it["label"] == "harmful" else "DA"))
        assert it["target"] and it["question"]


def test_seeded_and_reproducible():
    assert offline_items("test", 30, seed=1) == offline_items("test", 30, seed=1)
    assert offline_items("test", 30, seed=1) != offline_items("test", 30, seed=2)


def test_train_and_test_share_no_template_entity_or_question():
    train, test = offline_items("train", 500), offline_items("test", 500)
    for field in ("question", "template"):
        assert not {it[field] for it in train} & {it[field] for it in test}, field
    ents = lambda items: {it["entity"] for it in items if it["entity"]}  # noqa: E731
    assert not ents(train) & ents(test)


def test_math_answers_are_right_and_vague_items_lack_the_quantity():
    for it in offline_items("train", 200):
        if it["family"] == "math" and it["question_type"] == "DQ":
            assert f"\\boxed{{{it['answer']}}}" in it["target"]
        if it["family"] == "math" and it["question_type"] == "VQ":
            assert it["answer"] == "" and it["keywords"][0] in it["target"]


def test_ambiguous_items_name_their_alternatives_in_the_notes():
    for it in offline_items("test", 100, families=("ambiguous_qa",)):
        notes = it["question"].split("\n")[0]
        if it["question_type"] == "VQ":
            assert len(it["keywords"]) >= 2 and all(k in notes for k in it["keywords"])
        else:
            assert it["answer"] in notes


def test_suite_table_counts_and_zero_overlap():
    table, overlap = suite_table(n_per_family=250)
    print(table)
    assert overlap == 0
    assert table.loc[("math", "DQ"), "train"] == 125 and table.loc[("writing", "VQ"), "test"] == 125


def test_dataset_has_chat_prompt_and_bad_arguments_raise():
    ds = offline_suite("train", 4, prompt_style="paper")
    assert len(ds) == 16 and ds[0]["prompt"][0]["role"] == "system" and ds[0]["prompt"][-1]["role"] == "user"
    with pytest.raises(ValueError, match="split"):
        offline_items("dev")
    with pytest.raises(ValueError, match="valid"):
        offline_items("train", families=("poetry",))
