"""The offline suite v2: minimal DQ/VQ pairs, disjoint train/validation/test splits, enough distinct test prompts."""
import re
from collections import Counter
from itertools import combinations

import pytest
import yaml

from gtalign_lite import FAMILIES, offline_items, offline_suite
from gtalign_lite import suite
from gtalign_lite.suite import SPLITS, cell, suite_table


def test_sizes_balance_and_gold_actions():
    items = offline_items("train", n_per_family=40, seed=3)
    assert len(items) == 160
    counts = Counter((it["family"], it["question_type"]) for it in items)
    assert all(counts[(f, q)] == 20 for f in FAMILIES for q in ("DQ", "VQ"))
    assert Counter(cell(it) for it in items if it["family"] == "safety") == {"clear": 10, "harmful": 10, "vague": 20}
    for it in items:
        assert it["gold_action"] == ("CQ" if it["question_type"] == "VQ" else ("AQ" if it["label"] == "harmful" else "DA"))
        assert it["target"] and it["question"] and it["answer_text"] and it["ask_text"]


def test_seeded_and_reproducible():
    assert offline_items("test", 30, seed=1) == offline_items("test", 30, seed=1)
    assert offline_items("test", 30, seed=1) != offline_items("test", 30, seed=2)


@pytest.mark.parametrize("a,b", list(combinations(SPLITS, 2)))
def test_splits_share_no_question_template_or_entity(a, b):
    x, y = offline_items(a, 300), offline_items(b, 300)
    for field in ("question", "template"):
        assert not {it[field] for it in x} & {it[field] for it in y}, field
    ents = lambda items: {it["entity"] for it in items if it["entity"]}  # noqa: E731
    assert not ents(x) & ents(y)


def test_math_answers_are_the_sum_of_the_two_numbers_in_the_question():
    for it in offline_items("test", 200, families=("math",)):
        numbers = [int(n) for n in re.findall(r"\d+", it["question"])]
        if it["question_type"] == "DQ":
            assert len(numbers) == 2 and int(it["answer"]) == sum(numbers)
            assert f"\\boxed{{{sum(numbers)}}}" in it["target"]
        else:  # one number replaced by a vague amount
            assert len(numbers) == 1 and re.search(r"\b(?:some|several|a few)\b", it["question"])


@pytest.mark.parametrize("split", SPLITS)
def test_vague_items_are_minimal_twins_of_clear_ones(split):
    """Each pair differs by its one cue: a number -> a vague amount, another town of the same name, an object -> 'it'."""
    cues = {"math": r"\b(?:some|several|a few)\b", "ambiguous_qa": r"\banother town called\b", "safety": r"\bit\b",
            "writing": r"\babout it\b"}
    count = lambda family, q: len(re.findall(cues[family], q))  # noqa: E731
    pairs = {"math": list(suite._math(split)), "ambiguous_qa": list(suite._ambiguous_qa(split)),
             "safety": suite._safety(split)[0], "writing": list(suite._writing(split))}
    for family, twins in pairs.items():
        assert len(twins) >= 20
        for dq, vq in twins:
            assert dq["pair"] == vq["pair"] and (dq["question_type"], vq["question_type"]) == ("DQ", "VQ")
            assert count(family, vq["question"]) == count(family, dq["question"]) + 1, (dq["question"], vq["question"])
            assert len(set(dq["question"].split()) ^ set(vq["question"].split())) <= 12  # a small edit


def test_ambiguous_items_name_their_alternatives_in_the_notes():
    for it in offline_items("test", 100, families=("ambiguous_qa",)):
        notes = it["question"].split("\n")[0]
        if it["question_type"] == "VQ":
            assert len(it["keywords"]) == 2 and all(k in notes for k in it["keywords"])
            assert notes.count(it["entity"]) == 2
        else:
            assert it["answer"] in notes and notes.count(it["entity"]) == 1


def test_cpu_profile_has_20_distinct_test_prompts_in_every_cell():
    """The pre-registration's floor: >= 20 distinct prompts per family x cell (harmful included) at the cpu size."""
    cpu = yaml.safe_load(open("params/cpu.yaml"))
    for seed in (0, 1, 2):
        items = offline_items("test", cpu["n_test_per_family"], seed)
        distinct = Counter()
        for q in {(it["family"], cell(it), it["question"]) for it in items}:
            distinct[q[:2]] += 1
        cells = {(f, c) for f in FAMILIES for c in ("clear", "vague")} | {("safety", "harmful")}
        assert set(distinct) == cells and min(distinct.values()) >= 20, (seed, distinct)


def test_suite_table_counts_and_zero_overlap():
    table, overlap = suite_table(n_per_family=40)
    assert overlap == 0
    assert table.loc[("math", "clear"), ("items", "train")] == 20
    assert table.loc[("safety", "harmful"), ("items", "test")] == 10


def test_dataset_has_chat_prompt_and_bad_arguments_raise():
    ds = offline_suite("train", 4, prompt_style="paper")
    assert len(ds) == 16 and ds[0]["prompt"][0]["role"] == "system" and ds[0]["prompt"][-1]["role"] == "user"
    with pytest.raises(ValueError, match="split"):
        offline_items("dev")
    with pytest.raises(ValueError, match="valid"):
        offline_items("train", families=("poetry",))
