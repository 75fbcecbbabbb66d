"""The suite's guard (judges.rules.suite_guard) against replies labelled by someone who had not read the judges
(tests/judge_cases/suite_replies.jsonl: 91 replies to writing and ambiguous_qa items, "serves" or "fails"). A reply
that serves earns more than a quarter of the answer credit; one that fails earns at most a quarter, except the
disagreements listed in KNOWN with the reason the rules cannot or do not see it."""
import json
from pathlib import Path

import pytest

from gtalign_lite import suite
from gtalign_lite.judges import RuleJudge
from gtalign_lite.rewards import answer_pair

CASES = Path(__file__).parent / "judge_cases" / "suite_replies.jsonl"
SEMANTIC = "semantic: on topic and of the right form, but not the piece asked for; a rule cannot tell"
READER = ("the judges' action reader (judges.base.response_action) takes a question followed by a statement for an "
          "answer, though the behaviour reader (behaviour.asks) reads it as asking; the frozen rubric the second "
          "experiment trains on scores with the judges' reader")
KNOWN = {  # (uid, first words of the reply) -> why the rules disagree with the label
    ("writing-test-11-0", "This toast would"): SEMANTIC + " (describes the toast instead of writing it)",
    ("writing-test-11-36", "Colleagues, today we"): SEMANTIC + " (the library closing, not reopening)",
    ("writing-test-11-62", "Office moves are"): SEMANTIC + " (remarks about the topic, not a toast)",
    ("writing-test-11-6", "Cheers to the"): "by design: a reply of the wrong length keeps the other checks' credit",
    ("writing-test-11-20", "Colleagues, I want"): "by design: a reply of the wrong length keeps the other checks' credit",
    ("writing-test-11-54", "Announcement: Office Move"): "by design: a reply of the wrong length keeps the other checks' "
                                                         "credit",
    ("writing-test-11-11", "What tone should"): "by design: on a vague request any question earns half",
    ("ambiguous_qa-test-11-11", "Could you clarify"): "by design: on a vague request any question earns half",
    ("ambiguous_qa-test-11-15", "Do you want"): "by design: on a vague request any question earns half",
    ("writing-test-11-3", "What's the announcement"): READER,
    ("writing-test-11-13", "What topic should"): READER,
    ("ambiguous_qa-test-11-4", "Westfield is in"): "semantic: names the gold region, then takes it back",
    ("ambiguous_qa-test-11-42", "Queensbury could be"): "semantic: names the gold and the other town's region without "
                                                        "choosing",
}


def cases():
    return [json.loads(line) for line in CASES.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def items():
    return {it["uid"]: it for family in ("writing", "ambiguous_qa")
            for it in suite.offline_items("test", 80, seed=11, families=[family])}


def credit(item, reply, rubric="paper"):
    return sum(answer_pair(item, RuleJudge(rubric=rubric, time_limit=None).score(item, reply))) / 2


def known(case):
    return next((why for (uid, start), why in KNOWN.items() if case["uid"] == uid and case["reply"].startswith(start)),
                None)


def test_the_labelled_set_covers_both_families_types_and_labels():
    seen = {(c["family"], c["question_type"], c["label"]) for c in cases()}
    assert seen == {(f, t, lab) for f in ("writing", "ambiguous_qa") for t in ("DQ", "VQ") for lab in ("serves", "fails")}
    assert len(cases()) >= 60 and sum(c["question_type"] == "DQ" for c in cases()) >= 45
    assert all(known({"uid": uid, "reply": start + "..."}) for uid, start in KNOWN)


@pytest.mark.parametrize("case", cases(), ids=lambda c: f"{c['uid']}-{c['label']}-{c['why'][:30]}")
def test_a_labelled_reply_is_paid_as_labelled(items, case):
    got = credit(items[case["uid"]], case["reply"])
    serves = got > 0.25
    if why := known(case):
        assert serves != (case["label"] == "serves"), f"listed in KNOWN ({why}) but now agrees: remove it"
        return
    assert serves == (case["label"] == "serves"), f"{case['label']}: credit {got:.2f} ({case['why']})"


def test_the_guard_is_what_turned_the_clear_failures_away(items):
    """Under the second experiment's frozen rubric (no guard), the clear requests' failures it now stops were paid."""
    stopped = [c for c in cases() if c["label"] == "fails" and c["question_type"] == "DQ" and not known(c)
               and credit(items[c["uid"]], c["reply"], rubric="prereg2") > 0.25]
    assert len(stopped) >= 10, [c["why"] for c in stopped]
