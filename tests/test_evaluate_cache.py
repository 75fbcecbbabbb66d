"""05's per-method, per-set evaluation cache: reused when nothing changed, recomputed when something did."""
import pandas as pd

from gtalign_lite import evaluate as ev


def test_evaluation_is_reused_per_set_and_redone_when_the_items_change(run_folder, tmp_path, monkeypatch):
    calls = []

    def fake_evaluate(model, tok, items, judge, method, *a, **kw):
        calls.append((method, [it["eval_set"] for it in items]))
        return pd.DataFrame({"method": method, "id": [it["id"] for it in items], "eval_set": [it["eval_set"] for it in items]})

    monkeypatch.setattr(ev, "evaluate", fake_evaluate)
    (tmp_path / "sft" / "adapter").mkdir(parents=True)
    P = {"seed": 0, "reward_variant": "cobb_douglas", "eval_max_new_tokens": 8, "eval_batch_size": 2}
    suite = [{"id": f"s{i}", "eval_set": "suite"} for i in range(3)]
    paper = [{"id": f"p{i}", "eval_set": "paper_test"} for i in range(2)]
    load = lambda adapter: ("model", "tok")
    first = ev.evaluate_method(run_folder, "sft", suite, None, P, load)
    again = ev.evaluate_method(run_folder, "sft", suite + paper, None, P, load)  # suite reused, paper_test new
    assert calls == [("sft", ["suite"] * 3), ("sft", ["paper_test"] * 2)]
    assert list(first["id"]) == ["s0", "s1", "s2"] and list(again["id"]) == ["s0", "s1", "s2", "p0", "p1"]
    assert set(again["seed"]) == {0}
    ev.evaluate_method(run_folder, "sft", suite[:2], None, P, load)  # other items: evaluated again
    ev.evaluate_method(run_folder, "sft", suite[:2], None, {**P, "eval_max_new_tokens": 16}, load)  # other settings: again
    ev.evaluate_method(run_folder, "sft", suite[:2], None, {**P, "eval_max_new_tokens": 16, "gen_dtype": "float32"}, load)
    assert len(calls) == 5  # other weights' precision: again
