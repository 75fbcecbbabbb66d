import json

import pytest
from hypothesis import given, settings, strategies as st

from gtalign_lite import parse_completion
from conftest import SAMPLE, make_completion


def test_well_formed_completion():
    c = parse_completion(make_completion())
    assert c.format_ok and not c.errors
    assert c.chosen_key == "DQ_DA" and c.question_type == "DQ" and c.action == "DA"
    assert c.response == "Paris is the capital."
    assert c.reasoning.endswith("</analyze>\n")


def test_blocks_may_touch_or_be_separated_by_whitespace():
    assert parse_completion(make_completion(sep="")).format_ok
    assert parse_completion("  \n" + make_completion(sep="\n\t ") + "\n ").format_ok


def test_chosen_key_is_last_named():
    c = parse_completion(make_completion(analyze="Front: DQ_DA, DQ_AQ. VQ_CQ is dominated. Pick DQ_AQ."))
    assert c.chosen_key == "DQ_AQ"


def test_question_type_falls_back_to_thinking():
    c = parse_completion(make_completion(analyze="no key here", thinking="Looks vague: VQ."))
    assert c.chosen_key is None and c.question_type == "VQ"
    assert c.format_ok  # format only needs the four blocks and a valid payoff


GOOD = make_completion()
BAD_CORPUS = {
    "missing response": GOOD.split("<response>")[0],
    "missing thinking tags": GOOD.replace("<thinking>", "").replace("</thinking>", ""),
    "out of order": make_completion().replace("<thinking>The question is clear (DQ).</thinking>\n", "")
    + "<thinking>late</thinking>",
    "swapped payoff/analyze": "<thinking>t</thinking><analyze>DQ_DA</analyze><payoff>"
    + json.dumps(SAMPLE) + "</payoff><response>r</response>",
    "duplicated thinking": "<thinking>a</thinking>" + GOOD,
    "duplicated response": GOOD + "<response>again</response>",
    "tags inside response": make_completion(response="see <payoff>{}</payoff> above"),
    "text before": "Sure! " + GOOD,
    "text after": GOOD + " Hope this helps.",
    "empty payoff": make_completion(payoff=""),
    "trailing comma json": make_completion(payoff=json.dumps(SAMPLE)[:-1] + ",}"),
    "boolean value": make_completion(payoff=json.dumps(SAMPLE).replace("4.3", "true")),
    "nan value": make_completion(payoff=json.dumps(SAMPLE).replace("4.3", "NaN")),
    "overflow value": make_completion(payoff=json.dumps(SAMPLE).replace("4.3", "1e309")),
    "garbage 1MB": "<thinking>" * 1000 + "x" * 1_000_000,
    "binary as text": bytes(range(256)).decode("latin-1") * 100,
    "close before open": "</thinking><thinking>a<payoff>" + json.dumps(SAMPLE) + "</payoff>",
}


@pytest.mark.parametrize("name", [k for k in BAD_CORPUS if k != "trailing comma json"])
def test_bad_corpus_is_not_format_ok(name):
    c = parse_completion(BAD_CORPUS[name])
    assert not c.format_ok
    assert c.errors, name


def test_trailing_comma_and_single_quotes_are_accepted_like_the_reference():
    assert parse_completion(BAD_CORPUS["trailing comma json"]).format_ok
    assert parse_completion(make_completion(payoff=str(SAMPLE))).format_ok
    curly = str(SAMPLE).replace("'", "\u2019")
    assert parse_completion(make_completion(payoff=curly)).format_ok


def test_specific_errors_are_reported():
    assert "missing <response> block" in parse_completion(BAD_CORPUS["missing response"]).errors
    errs = " ".join(parse_completion(BAD_CORPUS["boolean value"]).errors)
    assert "DQ_DA.user" in errs
    errs = " ".join(parse_completion(BAD_CORPUS["duplicated response"]).errors)
    assert "<response> appears 2 times" in errs


def test_non_strings_do_not_raise():
    for value in (None, 42, b"\xff", ["<thinking>"]):
        assert not parse_completion(value).format_ok


@settings(max_examples=300)
@given(st.text())
def test_any_string_never_raises(text):
    c = parse_completion(text)
    assert c.format_ok in (True, False)


TAG_SOUP = st.lists(st.sampled_from(["<thinking>", "</thinking>", "<payoff>", "</payoff>", "<analyze>",
                                      "</analyze>", "<response>", "</response>", "DQ_DA", "VQ_CQ", " ", "{",
                                      json.dumps(SAMPLE), "x"]), max_size=30).map("".join)


@settings(max_examples=300)
@given(TAG_SOUP)
def test_tag_soup_never_raises_and_format_ok_implies_fields(text):
    c = parse_completion(text)
    if c.format_ok:
        assert c.payoff is not None and c.response is not None and c.thinking is not None
