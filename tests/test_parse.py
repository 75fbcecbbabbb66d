"""parse_completion on completions built with conftest's make_completion: the action and question type read from
hand-labelled sentences, a corpus of malformed outputs named as errors, and Hypothesis strings that never raise."""
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


def test_chosen_key_is_the_one_picked_not_the_last_named():
    c = parse_completion(make_completion(analyze="Front: DQ_DA, DQ_AQ. VQ_CQ is dominated. Pick DQ_AQ."))
    assert c.chosen_key == "DQ_AQ"
    c = parse_completion(make_completion(analyze="I choose DQ_DA over DQ_AQ."))  # issue 7's example
    assert c.chosen_key == "DQ_DA" and c.action == "DA"


def test_question_type_is_what_the_text_asserts():
    # issue 7's example: the pricing stage's <analyze> names no key; the negated VQ must not win
    c = parse_completion(make_completion(thinking="The question is clear (DQ), not vague (VQ).", analyze=""))
    assert c.question_type == "DQ" and c.action is None and c.chosen_key is None
    c = parse_completion(make_completion(analyze="no key here", thinking="Looks vague: VQ."))
    assert c.chosen_key is None and c.question_type == "VQ"
    assert c.format_ok  # format only needs the four blocks and a valid payoff


# Sentences labelled by hand (several in the shape of the authors' published generations): the action
# the text says it chose, or None where it names actions without choosing one.
CHOICES = [
    ("I choose DQ_DA over DQ_AQ.", "DA"),
    ("AQ is the best as it provides the story and a follow-up question.", "AQ"),
    ("- DA is the least effective.\n- CQ is slightly worse than AQ.\n- VQ-AQ is the best option.", "AQ"),
    ("DA is the most efficient but least thorough. DA is excluded as it risks confusion. "
     "Therefore, the recommended strategy is AQ.", "AQ"),
    ("- Non-dominated strategies: DQ_AQ, DQ_DA, VQ_AQ.\n- Chosen strategy: DQ_AQ.", "AQ"),
    ("The VQ_DA strategy offers the highest user satisfaction and LLM benefit.", "DA"),
    ("The user's question is clear, so a direct answer (DA) is the most appropriate strategy.", "DA"),
    ("The best option here is DQ_CQ because it asks first.", "CQ"),
    ("DA is optimal as it minimizes ambiguity and user effort.", "DA"),
    ("DA (direct answer) is not the best as it lacks follow-up. CQ is not the best either.", None),
    ("- DA (4.1, 3.3) is high for LLM but low for user.\n- CQ (3.2, 2.5) is high for LLM.", None),
    ("I would not choose DA; I choose AQ.", "AQ"),
    ("VQ_CQ is the best for LLM but less for user satisfaction.", None),  # one side's best is not a choice
]


@pytest.mark.parametrize("analyze,action", CHOICES)
def test_action_read_from_assertions(analyze, action):
    assert parse_completion(make_completion(thinking="", analyze=analyze)).action == action


TYPES = [
    ("User's question is vague/ambiguous (VQ).", "VQ"),
    ("- User's question is DQ (definite/clear).", "DQ"),
    ("The user's question is clear and specific, so a direct answer fits.", "DQ"),
    ("The question is not clear, so VQ.", "VQ"),
    ("It is not DQ but VQ.", "VQ"),
    ("The request is clear, so it is DQ, but doing it could hurt someone.", "DQ"),
    ("Answering directly risks confusion.", None),
]


@pytest.mark.parametrize("thinking,qtype", TYPES)
def test_question_type_read_from_thinking(thinking, qtype):
    assert parse_completion(make_completion(thinking=thinking, analyze="")).question_type == qtype


def test_action_named_alone_takes_the_asserted_type():
    c = parse_completion(make_completion(thinking="User's question is vague/ambiguous (VQ).", analyze="AQ is the best."))
    assert (c.question_type, c.action, c.chosen_key) == ("VQ", "AQ", "VQ_AQ")


def test_empty_blocks_choose_nothing():
    c = parse_completion("<thinking></thinking>\n<analyze></analyze>\n<payoff>" + json.dumps(SAMPLE)
                         + "</payoff>\n<analyze></analyze>\n<response>hi</response>")
    assert c.action is None and c.question_type is None and not c.format_ok and c.response == "hi"


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
