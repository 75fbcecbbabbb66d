"""PayoffMatrix parsing: JSON, Python-literal and curly-quote forms of conftest's SAMPLE read equal; missing, extra,
non-numeric or non-finite values raise PayoffError naming the key; Hypothesis round trips and random dicts."""
import json
import math

import pytest
from hypothesis import given, strategies as st

from gtalign_lite import KEYS, PayoffError, PayoffMatrix
from conftest import SAMPLE


def test_json_and_python_literal_and_curly_quotes_parse_equal(sample_matrix):
    py = str(SAMPLE)  # single quotes
    curly = json.dumps(SAMPLE).replace('"', "\u201c", 1).replace('"', "\u201d", 1)
    curly_single = py.replace("'", "\u2018", 2)
    for text in (json.dumps(SAMPLE), py, curly, curly_single, py[:-1] + ",}"):
        assert PayoffMatrix.from_text(text) == sample_matrix


@pytest.mark.parametrize("mutate, needle", [
    (lambda d: d.pop("DQ_DA"), "missing key DQ_DA"),
    (lambda d: d.update(XX_YY={"LLM": 1, "user": 1}), "extra key XX_YY"),
    (lambda d: d["VQ_CQ"].pop("user"), "VQ_CQ: missing sub-key user"),
    (lambda d: d["VQ_CQ"].update(bonus=1), "VQ_CQ: extra sub-key bonus"),
    (lambda d: d["DQ_AQ"].update(LLM="2.0"), "DQ_AQ.LLM"),
    (lambda d: d["DQ_AQ"].update(user=True), "DQ_AQ.user"),
    (lambda d: d.update(DQ_CQ=[1, 2, 3]), "DQ_CQ"),
    (lambda d: d.update(DQ_CQ=[1]), "DQ_CQ"),
])
def test_invalid_payoffs_name_the_key(mutate, needle):
    data = json.loads(json.dumps(SAMPLE))
    mutate(data)
    with pytest.raises(PayoffError, match=needle.replace(".", r"\.")):
        PayoffMatrix.from_text(json.dumps(data))


@pytest.mark.parametrize("bad, needle", [
    ("NaN", "DQ_DA.user: expected a finite number, got nan"), ("Infinity", "DQ_DA.user.*inf"),
    ("-Infinity", "DQ_DA.user.*-inf"), ("1e309", "DQ_DA.user.*inf"),
])
def test_non_finite_numbers_rejected(bad, needle):
    text = json.dumps(SAMPLE).replace('"DQ_DA": {"LLM": 4.2, "user": 4.3}', f'"DQ_DA": {{"LLM": 4.2, "user": {bad}}}')
    with pytest.raises(PayoffError, match=needle):
        PayoffMatrix.from_text(text)


def test_huge_and_negative_finite_numbers_accepted():
    text = json.dumps(SAMPLE).replace("4.3", "1e300").replace("2.2", "-3.5")
    m = PayoffMatrix.from_text(text)
    assert m["DQ_DA"].user == 1e300 and m["DQ_AQ"].llm == -3.5


def test_huge_python_int_is_rejected_not_crashing():
    text = str(SAMPLE).replace("4.3", "1" + "0" * 400)
    with pytest.raises(PayoffError, match="too large"):
        PayoffMatrix.from_text(text)


@pytest.mark.parametrize("text", ["", "   ", "[1, 2]", "{", "{'DQ_AQ': }", "x" * 30000, "[" * 5000, "None"])
def test_garbage_raises_payoff_error(text):
    with pytest.raises(PayoffError):
        PayoffMatrix.from_text(text)


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@given(st.lists(st.tuples(finite, finite), min_size=6, max_size=6))
def test_round_trip_identity(values):
    m = PayoffMatrix.from_dict({k: {"LLM": a, "user": b} for k, (a, b) in zip(KEYS, values)})
    assert PayoffMatrix.from_text(m.to_json()) == m


@given(st.dictionaries(st.text(max_size=8), st.one_of(st.none(), st.booleans(), finite, st.text(max_size=5)), max_size=8))
def test_random_dicts_raise_payoff_error(data):
    with pytest.raises(PayoffError):
        PayoffMatrix.from_text(json.dumps(data))


def test_row_selection_and_unknown_type(sample_matrix):
    assert sample_matrix.row("VQ") == ("VQ_AQ", "VQ_CQ", "VQ_DA")
    with pytest.raises(ValueError, match="question_type"):
        sample_matrix.row("XQ")
    assert math.isclose(sample_matrix["DQ_CQ"].user, 3.5)


def test_a_compact_cell_reads_as_llm_then_user():
    data = json.loads(json.dumps(SAMPLE))
    data["DQ_CQ"] = [-2, 3]
    m = PayoffMatrix.from_text(json.dumps(data))
    assert (m["DQ_CQ"].llm, m["DQ_CQ"].user) == (-2.0, 3.0)
