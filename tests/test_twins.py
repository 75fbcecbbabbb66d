"""The second experiment's pieces (gtalign_lite/twins.py), against values worked by hand."""
import random

import pandas as pd
import pytest

from gtalign_lite import twins
from gtalign_lite.behaviour import behaviour
from gtalign_lite.parse import parse_completion
from gtalign_lite.rewards import decision_reward


def item(family, qtype, question, pair="p"):
    return {"family": family, "question_type": qtype, "question": question, "pair": pair, "template": "note"}


@pytest.mark.parametrize("family, question, want", [
    ("writing", "Write a 3-sentence note about the winter sale for neighbours.", "about the winter sale"),
    ("writing", "Write a 2-sentence toast about it for guests.", "about it"),
    ("ambiguous_qa", "Notes: a town called Pinecrest is in Oregon; a town called Bexley is in Yorkshire.\nWhere is Pinecrest?",
     "a town called Bexley"),
    ("ambiguous_qa", "Notes: a town called Pinecrest is in Oregon; another town called Pinecrest is in Yorkshire.\n"
     "Where is Pinecrest?", "another town called Pinecrest"),
])
def test_the_cue_is_copied_from_the_request(family, question, want):
    assert twins.cue(item(family, "DQ", question)) == want


def test_the_prompt_is_the_request_alone():
    msgs = twins.prompt(item("writing", "VQ", "Write a 2-sentence toast about it for guests."))
    assert msgs[-1] == {"role": "user", "content": "Write a 2-sentence toast about it for guests."}


@pytest.mark.parametrize("family", twins.FAMILIES)
def test_every_trace_is_well_formed_and_does_what_it_says(family):
    rng = random.Random(0)
    for vague, clear in twins.twin_pairs(family, "validation", 0)[:6]:
        for it in (vague, clear):
            for action in ("DA", "CQ"):
                c = parse_completion(twins.trace(it, action, rng))
                assert c.format_ok and c.question_type == it["question_type"]
                assert c.chosen_key == f"{it['question_type']}_{action}"
                assert (behaviour(c.response) in ("CQ", "AQ")) == (action == "CQ")
                assert c.thinking.startswith(f'Cue: "{twins.cue(it)}". Type: {it["question_type"]}. Action: {action}.')


def test_sft_actions_are_drawn_independently_of_the_type():
    pairs = twins.twin_pairs("writing", "train", 0)
    rows = pd.DataFrame(twins.sft_rows([x for p in pairs for x in p], seed=0))
    share = rows.groupby("question_type").action.apply(lambda a: (a == "CQ").mean())
    assert set(rows.action) == {"DA", "CQ"} and (share - 0.5).abs().max() < 0.1


def test_twin_pairs_differ_in_the_cue_and_splits_are_disjoint():
    for family in twins.FAMILIES:
        splits = {s: twins.twin_pairs(family, s, 0) for s in ("train", "validation", "test")}
        for vague, clear in splits["test"]:
            assert vague["pair"] == clear["pair"] and (vague["question_type"], clear["question_type"]) == ("VQ", "DQ")
        questions = {s: {it["question"] for p in ps for it in p} for s, ps in splits.items()}
        assert not questions["train"] & questions["test"] and not questions["validation"] & questions["test"]


def test_each_grpo_step_holds_twin_pairs_of_one_template():
    pairs = twins.twin_pairs("writing", "train", 0)
    rows = twins.twin_steps(pairs, steps=10, pairs_per_step=2, seed=1)
    assert len(rows) == 40
    for step in range(10):
        chunk = rows[step * 4:(step + 1) * 4]
        assert [r["question_type"] for r in chunk] == ["VQ", "DQ", "VQ", "DQ"]
        assert chunk[0]["pair"] == chunk[1]["pair"] and chunk[2]["pair"] == chunk[3]["pair"]
        assert len({r["template"] for r in chunk}) == 1


@pytest.mark.parametrize("qtype, response, want", [
    ("VQ", "What should the note be about?", 0.4), ("VQ", "Dear friends, here is some news. Thank you.", -0.4),
    ("DQ", "Dear friends, here is news about the sale. Thank you for reading.", 0.4),
    ("DQ", "What tone should the note have?", -0.4)])
def test_the_decision_reward_reads_the_reply(qtype, response, want):
    text = f"<thinking>x</thinking><payoff>{{}}</payoff><analyze>x</analyze><response>{response}</response>"
    assert decision_reward({"question_type": qtype}, text) == want


def test_gap_table_by_hand():
    rows = []
    for arm, asks_v, asks_c in (("sft", [1, 0, 1, 0], [1, 0, 0, 1]), ("welfare", [1, 1, 1, 0], [0, 0, 1, 0])):
        for i, (av, ac) in enumerate(zip(asks_v, asks_c)):
            rows += [{"arm": arm, "seed": 0, "pair": f"p{i // 2}", "question_type": "VQ", "asks": bool(av)},
                     {"arm": arm, "seed": 0, "pair": f"p{i // 2}", "question_type": "DQ", "asks": bool(ac)}]
    t = twins.gap_table(pd.DataFrame(rows), n_resamples=200).set_index("arm")
    assert t.loc["sft", "gap"] == pytest.approx(0.0)
    assert t.loc["welfare", ["p_ask_vague", "p_ask_clear", "gap"]].tolist() == pytest.approx([0.75, 0.25, 0.5])
    assert t.loc["welfare", "gap_change"] == pytest.approx(0.5) and t.loc["welfare", "clear_change"] == pytest.approx(-0.25)
    assert t.loc["welfare", "gap_lo"] <= 0.5 <= t.loc["welfare", "gap_hi"]


def test_margins_by_hand():
    scored = pd.DataFrame([
        # vague item v1: asks earn 0.8 and 0.6, the answer 0.2 -> d = 0.5; v2 only asks -> left out
        ("a", "v1", "VQ", True, 0.8), ("a", "v1", "VQ", True, 0.6), ("a", "v1", "VQ", False, 0.2),
        ("a", "v2", "VQ", True, 0.9), ("a", "v2", "VQ", True, 0.9),
        # clear items: c1 ask 0.1 vs answer 0.7 -> -0.6; c2 ask 0.3 vs answers 0.5, 0.7 -> -0.3; mean -0.45
        ("a", "c1", "DQ", True, 0.1), ("a", "c1", "DQ", False, 0.7),
        ("a", "c2", "DQ", True, 0.3), ("a", "c2", "DQ", False, 0.5), ("a", "c2", "DQ", False, 0.7),
        ("a", "c2", "DQ", None, 0.0),  # no reply: left out
    ], columns=["arm", "item", "question_type", "asks", "W"])
    m = twins.margins(scored).set_index("question_type")
    assert m.loc["VQ", "d"] == pytest.approx(0.5) and m.loc["VQ", "items_both"] == 1 and m.loc["VQ", "items"] == 2
    assert m.loc["DQ", "d"] == pytest.approx(-0.45) and m.loc["DQ", "d_V_plus_d_D"] == pytest.approx(0.05)


def test_push_table_by_hand():
    # one step of two groups of 2: vague group rewards ask 1.0 / answer 0.0 -> push on vague +0.5, mixed;
    # clear group both answer (no ask) -> push on clear 0, not mixed
    history = pd.DataFrame([
        {"question_type": "VQ", "behaviour": "CQ", "reward": 1.0, "format": 1.0},
        {"question_type": "VQ", "behaviour": "DA", "reward": 0.0, "format": 1.0},
        {"question_type": "DQ", "behaviour": "DA", "reward": 0.7, "format": 1.0},
        {"question_type": "DQ", "behaviour": "DA", "reward": 0.5, "format": 0.0}])
    t = twins.push_table(history, group_size=2, groups_per_step=2).iloc[0]
    assert t.mixed_share == 0.5 and t.push_vague == pytest.approx(0.5) and t.push_clear == 0.0
    assert (t.ask_rate_vague, t.ask_rate_clear) == (0.5, 0.0) and t.format_ok == 0.75


def test_arms_on_rollouts_by_hand():
    # two steps of one group of 2; the control arm pays as the trained arm in step 1, not in step 2 (0.3 vs 0.2)
    history = pd.DataFrame({"reward": [0.5, 0.1, 0.3, 0.0], "reward_welfare": [0.5, 0.1, 0.3, 0.0],
                            "reward_control": [0.5, 0.1, 0.2, 0.0], "reward_decision": [0.4, -0.4, 0.4, 0.4]})
    t = twins.arms_on_rollouts(history, groups_per_step=1, group_size=2).set_index("step")
    assert list(t.equal_welfare) == [True, True] and list(t.equal_control) == [True, False]
    assert list(t.equal_decision) == [False, False]
    assert t.loc[2, "mean_control"] == pytest.approx(0.1) and t.loc[1, "mean_decision"] == pytest.approx(0.0)


def test_every_arm_is_logged_on_the_rollouts_of_each():
    # a question to a clear request: the decision arm pays -0.4 whatever the rubric; its shadow in the welfare arm too
    vague, clear = twins.twin_pairs("writing", "train", 0)[0]
    text = twins.trace(clear, "CQ", random.Random(0))
    funcs = twins.rewards_for("welfare")
    funcs.funcs[0]([clear["question"]], [text], **{k: [v] for k, v in clear.items()})
    row = funcs.history[-1]
    assert row["reward_decision"] == -0.4 and row["reward_welfare"] == row["reward"]


def _gaps(**arms):
    """A sampled gap table with the columns verdicts reads, each arm's numbers given by hand."""
    return pd.DataFrame([{"arm": arm, **cols} for arm, cols in arms.items()])


GATES_OK = pd.DataFrame([{"passed": True, "probe_kappa": 0.05}] * 3)
MARGINS_SYM = pd.DataFrame([{"arm": "welfare", "d_V_plus_d_D": 0.05}])
PUSH_MIXED = pd.DataFrame([{"arm": "welfare", "mixed_share": 0.7}])


@pytest.mark.parametrize("welfare, want", [
    ({"gap": 0.4, "gap_lo": 0.2, "gap_hi": 0.6, "gap_change": 0.4, "gap_change_lo": 0.1, "gap_change_hi": 0.7}, "confirmed"),
    ({"gap": 0.05, "gap_lo": -0.05, "gap_hi": 0.12, "gap_change": 0.0, "gap_change_lo": -0.1, "gap_change_hi": 0.1}, "refuted"),
    ({"gap": 0.1, "gap_lo": -0.05, "gap_hi": 0.3, "gap_change": 0.1, "gap_change_lo": -0.1, "gap_change_hi": 0.3},
     "inconclusive"),
])
def test_h1_follows_the_registered_rule(welfare, want):
    assert twins.verdicts(_gaps(welfare=welfare), GATES_OK, MARGINS_SYM, PUSH_MIXED, 3)["H1"] == want


def test_h1_is_not_testable_when_a_gate_failed_and_partial_with_fewer_seeds():
    welfare = {"gap": 0.4, "gap_lo": 0.2, "gap_hi": 0.6, "gap_change": 0.4, "gap_change_lo": 0.1, "gap_change_hi": 0.7}
    gates = pd.DataFrame([{"passed": False, "probe_kappa": 0.05}])
    assert twins.verdicts(_gaps(welfare=welfare), gates, MARGINS_SYM, PUSH_MIXED, 1)["H1"] == \
        "not testable: a gate failed (its rule alone reads confirmed) (partial: 1 of 3 seeds)"


def test_every_hypothesis_is_not_testable_when_a_gate_failed():
    # docs/preregistration-2.md: "A hypothesis whose family failed a gate is 'not testable'" - H2 and H3 as well as H1
    gates = pd.DataFrame([{"passed": True, "probe_kappa": 0.05}, {"passed": False, "probe_kappa": 0.05}])
    v = twins.verdicts(_gaps(control={"gap": 0.0, "gap_lo": -0.1, "gap_hi": 0.1, "clear_change": 0.05},
                             decision={"gap": 0.5, "gap_lo": 0.35, "gap_hi": 0.6}), gates, MARGINS_SYM, PUSH_MIXED, 2)
    assert v == {"H2": "not testable: a gate failed (its rule alone reads refuted) (partial: 2 of 3 seeds)",
                 "H3": "not testable: a gate failed (its rule alone reads confirmed) (partial: 2 of 3 seeds)"}


def test_partial_counts_each_arms_own_seeds():
    gaps = _gaps(welfare={"gap": 0.4, "gap_lo": 0.2, "gap_hi": 0.6, "gap_change": 0.4, "gap_change_lo": 0.1,
                          "gap_change_hi": 0.7, "seeds": 3}, decision={"gap": 0.5, "gap_lo": 0.35, "gap_hi": 0.6, "seeds": 1})
    v = twins.verdicts(gaps, GATES_OK, MARGINS_SYM, PUSH_MIXED, 3)
    assert v == {"H1": "confirmed", "H3": "confirmed (partial: 1 of 3 seeds)"}


@pytest.mark.parametrize("control, want", [
    ({"gap": 0.0, "gap_lo": -0.1, "gap_hi": 0.1, "clear_change": 0.3}, "confirmed"),
    ({"gap": 0.0, "gap_lo": -0.1, "gap_hi": 0.1, "clear_change": 0.05}, "refuted"),
    ({"gap": 0.2, "gap_lo": 0.0, "gap_hi": 0.4, "clear_change": 0.3}, "inconclusive"),
])
def test_h2_follows_the_registered_rule(control, want):
    assert twins.verdicts(_gaps(control=control), GATES_OK, MARGINS_SYM, PUSH_MIXED, 3)["H2"] == want


@pytest.mark.parametrize("decision, want", [({"gap": 0.5, "gap_lo": 0.35, "gap_hi": 0.6}, "confirmed"),
                                            ({"gap": 0.05, "gap_lo": -0.02, "gap_hi": 0.1}, "refuted"),
                                            ({"gap": 0.3, "gap_lo": 0.2, "gap_hi": 0.4}, "inconclusive")])
def test_h3_follows_the_registered_rule(decision, want):
    assert twins.verdicts(_gaps(decision=decision), GATES_OK, MARGINS_SYM, PUSH_MIXED, 3)["H3"] == want


def test_gap_change_compares_an_arm_with_the_reference_on_its_own_seeds():
    # SFT: seed 0 asks on vague only (gap 1), seed 1 on neither (gap 0); the arm ran seed 0 only and asks on both
    # (gap 0): its change is 0 - 1 = -1 against seed 0's SFT, not 0 - 0.5 against both seeds pooled
    rows = pd.DataFrame([{"arm": arm, "seed": seed, "pair": "p", "question_type": q, "asks": asks}
                         for arm, seed, q, asks in [("sft", 0, "VQ", True), ("sft", 0, "DQ", False),
                                                    ("sft", 1, "VQ", False), ("sft", 1, "DQ", False),
                                                    ("arm", 0, "VQ", True), ("arm", 0, "DQ", True)]])
    t = twins.gap_table(rows, n_resamples=50).set_index("arm")
    assert t.loc["arm", "gap_change"] == pytest.approx(-1.0) and t.loc["arm", "clear_change"] == pytest.approx(1.0)
    assert t.loc["sft", "gap"] == pytest.approx(0.5)

