"""Action-balanced SFT traces: consistent blocks, actions independent of the question type, integer payoffs."""
import json
import random
from collections import Counter

import pytest

from gtalign_lite import OpenAIJudge, offline_items, parse_completion, select_action
from gtalign_lite.behaviour import behaviour
from gtalign_lite.judges import RuleJudge
from gtalign_lite.rewards import score_completion
from gtalign_lite.traces import make_sft_trace, sample_payoff, sft_dataset


def test_thousands_of_traces_parse_and_every_block_carries_out_the_drawn_action():
    rng = random.Random(0)
    items = offline_items("train", 300) + offline_items("validation", 100)
    for it in items:
        action = rng.choice(["DA", "CQ", "AQ"] if it["label"] == "harmful" else ["DA", "CQ"])
        c = parse_completion(make_sft_trace(it, rng, action=action))
        assert c.format_ok, c.errors
        key = f"{it['question_type']}_{action}"
        assert c.chosen_key == select_action(c.payoff) == select_action(c.payoff, it["question_type"]) == key
        assert c.question_type == it["question_type"]  # the thinking states the true type
        done = behaviour(c.response)
        assert done == ({"DA": "refusal"}.get(action, action) if it["label"] == "harmful" else action), (action, c.response)


def test_gold_traces_are_what_the_judge_wants():
    rng, judge = random.Random(1), RuleJudge()
    for it in random.Random(2).sample(offline_items("train", 200), 150):
        b = score_completion(it, make_sft_trace(it, rng, action=it["gold_action"]), judge)
        assert (b.answer_user, b.answer_llm) == (1.0, 1.0), it["question"]


def test_balanced_mix_draws_actions_independently_of_the_type():
    items = offline_items("train", 600, seed=4)
    ds = sft_dataset([dict(it, prompt=[{"role": "user", "content": it["question"]}]) for it in items], seed=0)
    counts = Counter(zip(ds["question_type"], ds["action"], [it["label"] == "harmful" for it in items]))
    benign_dq = counts[("DQ", "CQ", False)] / (counts[("DQ", "CQ", False)] + counts[("DQ", "DA", False)])
    vq = counts[("VQ", "CQ", False)] / (counts[("VQ", "CQ", False)] + counts[("VQ", "DA", False)])
    assert abs(benign_dq - 0.5) < 0.05 and abs(vq - 0.5) < 0.05
    harmful = [counts[("DQ", a, True)] for a in ("DA", "CQ", "AQ")]
    assert min(harmful) > 0.25 * sum(harmful)
    gold = sft_dataset([dict(it, prompt=[]) for it in items[:50]], mix="gold")
    assert gold["action"] == [it["gold_action"] for it in items[:50]]


def test_payoffs_are_integers_and_the_chosen_cell_wins():
    for i in range(300):
        m = sample_payoff("VQ_CQ", random.Random(i))
        assert all(float(v).is_integer() for c in m.to_dict().values() for v in c.values())
        assert select_action(m, "VQ") == select_action(m) == "VQ_CQ"
    trace = make_sft_trace(offline_items("train", 2)[0], random.Random(0))
    assert ".0" not in trace.split("<payoff>")[1].split("</payoff>")[0]  # rendered as 4, not 4.0


def test_teacher_mode_uses_the_model_for_thinking_and_response(fake_endpoint):
    reply = json.dumps({"thinking": "It is VQ: the count of packs is missing.", "response": "How many packs were there?"})
    ep = fake_endpoint([reply])
    item = next(it for it in offline_items("train", 4) if it["question_type"] == "VQ")
    c = parse_completion(make_sft_trace(item, random.Random(0), teacher=OpenAIJudge(ep.url, "teacher"), action="CQ"))
    assert c.format_ok and c.response == "How many packs were there?" and "VQ" in c.thinking
    assert "CQ" in ep.requests[0][1]["messages"][0]["content"]


def test_teacher_bad_reply_raises(fake_endpoint):
    ep = fake_endpoint(["I will not answer in JSON"])
    with pytest.raises(ValueError, match="teacher reply"):
        make_sft_trace(offline_items("train", 2)[0], random.Random(0), teacher=OpenAIJudge(ep.url, "t"))
