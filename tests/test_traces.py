import json
import random

import pytest

from gtalign_lite import offline_items, parse_completion, select_action
from gtalign_lite.rewards import score_completion
from gtalign_lite.judges import RuleJudge
from gtalign_lite.traces import PAYOFF_PRIOR, make_sft_trace, sample_payoff, sft_dataset
from test_judges import FakeEndpoint


def test_thousands_of_traces_parse_and_choose_what_the_solver_chooses():
    rng, judge = random.Random(0), RuleJudge()
    items = offline_items("train", 500) + offline_items("test", 250)
    for it in items:
        c = parse_completion(make_sft_trace(it, rng))
        assert c.format_ok, c.errors
        assert c.chosen_key == select_action(c.payoff) == select_action(c.payoff, it["question_type"])
        assert c.chosen_key == f"{it['question_type']}_{it['gold_action']}"
    # the gold responses are what the rule judge wants
    sample = random.Random(1).sample(items, 200)
    assert all(score_completion(it, make_sft_trace(it, rng), judge).answer_user == 1.0 for it in sample)


def test_prior_is_noisy_but_centred():
    item = offline_items("train", 2)[0]
    draws = [sample_payoff(item, random.Random(i)) for i in range(200)]
    mean = sum(m["DQ_DA"].user for m in draws) / len(draws)
    assert abs(mean - PAYOFF_PRIOR["clear"]["DQ_DA"][1]) < 0.15
    assert len({m["DQ_DA"].user for m in draws}) > 3


def test_too_much_noise_fails_loudly():
    item = offline_items("train", 2)[1]
    with pytest.raises(RuntimeError, match="lower the noise"):
        sample_payoff(item, random.Random(2), noise=100.0, tries=3)  # seed 2: no draw keeps VQ_CQ on top


def test_sft_dataset_rows():
    ds = sft_dataset([dict(it, prompt=[{"role": "user", "content": it["question"]}]) for it in offline_items("train", 3)])
    assert ds[0]["completion"][0]["role"] == "assistant" and ds[0]["completion"][0]["content"].startswith("<thinking>")


def test_teacher_mode_uses_the_model_for_thinking_and_response():
    reply = json.dumps({"thinking": "It is VQ: the count of packs is missing.", "response": "How many packs were there?"})
    ep = FakeEndpoint([reply])
    try:
        from gtalign_lite import OpenAIJudge

        teacher = OpenAIJudge(ep.url, "teacher")
        item = next(it for it in offline_items("train", 4) if it["question_type"] == "VQ")
        trace = make_sft_trace(item, random.Random(0), teacher=teacher)
        c = parse_completion(trace)
        assert c.format_ok and c.response == "How many packs were there?" and "VQ" in c.thinking
        assert "CQ" in ep.requests[0][1]["messages"][0]["content"]
    finally:
        ep.close()


def test_teacher_bad_reply_raises():
    ep = FakeEndpoint(["I will not answer in JSON"])
    try:
        from gtalign_lite import OpenAIJudge

        with pytest.raises(ValueError, match="teacher reply"):
            make_sft_trace(offline_items("train", 2)[0], random.Random(0), teacher=OpenAIJudge(ep.url, "t"))
    finally:
        ep.close()
