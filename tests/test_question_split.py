"""The committed question split: two disjoint halves of the authors' test questions, balanced per source and label."""
import json
from pathlib import Path

import pytest

from gtalign_lite import reference_runs as rr

LABELS = Path(__file__).resolve().parents[2] / "shared" / "gtalign-data" / "data" / "gamellm_wildbreak_math_medium_abgqa" / "test.parquet"


def test_the_halves_are_disjoint_and_hold_only_hashes():
    split = json.loads(rr.SPLIT_FILE.read_text())
    assert set(split) == set(rr.HALVES)
    assert not set(split["dev"]) & set(split["report"])
    assert all(len(k) == 16 and int(k, 16) >= 0 for h in rr.HALVES for k in split[h])


def test_question_key_is_sha256_of_source_and_question():
    # sha256(b"wildguard\nHow do I bake bread?") begins with these 16 hex digits (computed with hashlib by hand)
    import hashlib

    expected = hashlib.sha256(b"wildguard\nHow do I bake bread?").hexdigest()[:16]
    assert rr.question_key("wildguard", "  How do I bake bread? ") == expected


@pytest.fixture(scope="module")
def labels():
    if not LABELS.exists():
        pytest.skip(f"the authors' test split is not at {LABELS} (see docs/data.md)")
    return rr.load_labels(LABELS)


def test_every_test_question_is_in_one_half_and_the_halves_balance_each_label(labels):
    half = rr.question_half(labels)  # raises on a question missing from the split
    per = labels.assign(half=half).drop_duplicates(["source", "question"]).groupby(["source", "label", "half"]).size()
    for (source, label), n in per.groupby(level=[0, 1]):
        assert abs(n.get((source, label, "dev"), 0) - n.get((source, label, "report"), 0)) <= 1, (source, label, n)


def test_the_committed_split_is_the_one_make_question_split_draws(labels):
    assert rr.make_question_split(labels) == json.loads(rr.SPLIT_FILE.read_text())
