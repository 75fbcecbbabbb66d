"""The pre-registered tables on small frames whose values are worked out by hand."""
import numpy as np
import pandas as pd
import pytest

from gtalign_lite import stats
from gtalign_lite.train import group_table


def rows(method, asks, seed=0, repeats=1):
    """Two vague prompts (v1, v2) and two clear benign ones (c1, c2), each reply asking or not."""
    out = []
    for q, a in asks.items():
        for _ in range(repeats):
            out.append({"family": "math", "method": method, "seed": seed, "eval_set": "suite", "question": q,
                        "question_type": "VQ" if q.startswith("v") else "DQ", "harmful": False, "asks": a})
    return out


def frame(repeats=1):
    sft = rows("sft", {"v1": True, "v2": False, "c1": True, "c2": False}, repeats=repeats)  # 0.5 - 0.5 = 0
    grpo = rows("grpo-cobb_douglas", {"v1": True, "v2": True, "c1": False, "c2": False}, repeats=repeats)  # 1 - 0 = 1
    return pd.DataFrame(sft + grpo)


def test_ask_gap_hand_values():
    t = stats.ask_gap_table(frame()).set_index("method")
    assert t.loc["sft", "ask_vague"] == 0.5 and t.loc["sft", "ask_clear"] == 0.5 and t.loc["sft", "gap"] == 0
    g = t.loc["grpo-cobb_douglas"]
    assert (g.ask_vague, g.ask_clear, g.gap, g.minus_ref) == (1.0, 0.0, 1.0, 1.0)
    assert g.gap_lo <= 1.0 <= g.gap_hi and g.minus_ref_lo <= 1.0 <= g.minus_ref_hi
    assert (t.vague_prompts == 2).all() and (t.clear_prompts == 2).all()


def test_repeats_of_a_prompt_do_not_narrow_the_interval():
    """Intervals are over distinct prompts: 40 identical rows per prompt carry no more information than one."""
    one, many = stats.ask_gap_table(frame(1)), stats.ask_gap_table(frame(40))
    cols = ["gap", "gap_lo", "gap_hi", "minus_ref", "minus_ref_lo", "minus_ref_hi"]
    assert np.allclose(one[cols].fillna(-9).to_numpy(), many[cols].fillna(-9).to_numpy())


def test_harmful_game_hand_values():
    base = {"family": "safety", "seed": 0, "eval_set": "suite", "question_type": "DQ", "harmful": True,
            "judge_failed": False}
    df = pd.DataFrame([
        {**base, "method": "sft", "question": "h1", "answer_user": 0.0, "answer_llm": 1.0, "asks": False},  # refusal
        {**base, "method": "sft", "question": "h2", "answer_user": 0.0, "answer_llm": 1.0, "asks": True},  # question
        {**base, "method": "grpo-cobb_douglas", "question": "h1", "answer_user": 1.0, "answer_llm": 1.0, "asks": True},
        {**base, "method": "grpo-cobb_douglas", "question": "h2", "answer_user": 1.0, "answer_llm": 0.0, "asks": False},
    ])
    t = stats.harmful_game(df).set_index("method")
    assert (t.loc["sft", "win_win"], t.loc["sft", "no_help"], t.loc["sft", "unsafe"], t.loc["sft", "asks"]) == (0, 1, 0, 0.5)
    g = t.loc["grpo-cobb_douglas"]
    assert (g.win_win, g.no_help, g.unsafe, g.minus_ref) == (0.5, 0.0, 0.5, 0.5)


def test_type_auc_hand_value():
    df = pd.DataFrame({"family": "math", "method": "sft", "question_type": ["VQ", "VQ", "DQ", "DQ"],
                       "p_vq": [0.9, 0.8, 0.1, 0.85]})
    assert stats.type_auc(df).auc.item() == pytest.approx(0.75)  # 3 of the 4 (vague, clear) pairs ordered right


def test_type_auc_is_taken_within_each_seed():
    """Two seeds that each rank every vague item above every clear one, on different scales of P: AUC 1, where the
    pooled rows would give 0.75 (0.3 < 0.8 is the one pair of the four ordered wrong)."""
    df = pd.DataFrame({"family": "math", "method": "sft", "seed": [0, 0, 1, 1], "question_type": ["VQ", "DQ"] * 2,
                       "p_vq": [0.9, 0.8, 0.3, 0.2]})
    t = stats.type_auc(df)
    assert (t.auc.item(), t.seeds.item(), t.n.item()) == (pytest.approx(1.0), 2, 4)


def test_group_table_hand_values():
    h = pd.DataFrame({"family": "math", "question_type": ["VQ"] * 4 + ["DQ"] * 4, "harmful": False,
                      "behaviour": ["CQ", "DA", "CQ", "DA", "DA", "DA", "DA", "DA"],
                      "answer_user": [1, 0, 1, 0, 1, 1, 1, 1], "welfare": [0.7, 0.3, 0.7, 0.3, 0.7, 0.7, 0.7, 0.71]})
    g = group_table(h, 4)
    assert g.behaviours.tolist() == ["CQ+DA", "DA"] and g.n_behaviours.tolist() == [2, 1]
    assert g.answer_std.tolist() == pytest.approx([np.std([1, 0, 1, 0], ddof=1), 0.0])


def test_scored_rows_carry_what_the_primary_tables_read():
    """score_texts' rows hold every column stats.primary_tables reads, so 05 can build them from real rows."""
    import random

    import gtalign_lite as gl
    from gtalign_lite.evaluate import score_texts
    from gtalign_lite.traces import make_sft_trace

    items = gl.offline_items("test", 4)
    texts = [make_sft_trace(it, random.Random(i)) for i, it in enumerate(items)]
    df = score_texts(items, texts, gl.RuleJudge(time_limit=None), "sft").assign(seed=0, p_vq=0.5)
    assert df.question.tolist() == [it["question"] for it in items]
    tables = stats.primary_tables(df, __import__("tempfile").mkdtemp())
    assert set(tables["ask_gap"].family) == set(gl.FAMILIES) and len(tables["harmful_game"]) == 1
