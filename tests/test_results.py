"""The committed cpu run (figures/cpu/, written by the runner from runs/cpu): every method and seed present, every
figure inside its interval, and the GRPO signal figures issue 10 sets as the bar (read before the run was made)."""
import json
from pathlib import Path

import pandas as pd
import pytest

from gtalign_lite import stats

CPU = Path(__file__).resolve().parents[1] / "figures" / "cpu"
METHODS = ["base", "sft", "grpo-cobb_douglas"]


def test_results_table_has_every_method_and_an_interval_for_every_figure():
    table = pd.read_csv(CPU / "results_ci.csv")
    suite = table[table.eval_set == "suite"]
    assert sorted(suite.method) == sorted(METHODS)
    assert (suite.n >= 240).all(), "the mini reproduction evaluates at least 240 held-out suite items"
    stats.check_complete(table, METHODS, [0])
    for name in stats.METRICS:
        assert {name, f"{name}_lo", f"{name}_hi"} <= set(table.columns)


def test_sft_then_grpo_had_a_learning_signal():
    sampled = json.loads((CPU / "sft_sampled_format.json").read_text())
    assert sampled["well_formed_and_closed"] >= 0.9 and sampled["max_tokens"] < sampled["cap"]
    signal = json.loads((CPU / "grpo_cobb_douglas_signal.json").read_text())
    assert signal["zero_std_groups"] < 0.5 and signal["clipped"] < 0.1


def test_paired_comparisons_are_on_the_same_items():
    paired = pd.read_csv(CPU / "paired.csv")
    suite = paired[(paired.eval_set == "suite") & (paired.metric == "W")].set_index("b")
    assert set(suite.index) == {"base", "sft"} and (suite.n_pairs == 240).all() and (suite.n_unpaired == 0).all()
    assert ((suite.lo <= suite.mean_diff) & (suite.mean_diff <= suite.hi)).all()


SWEEP = CPU.parent / "cpu-sweep"
SWEEP_METHODS = ["base", "sft", "grpo-cobb_douglas", "grpo-linear", "grpo-llm", "grpo-user"]


@pytest.mark.skipif(not (SWEEP / "sweep_aggregate_per_seed.csv").exists(),
                    reason="figures/cpu-sweep/ not committed yet: `make sweep` has not finished (it resumes where it stopped)")
def test_sweep_aggregate_has_every_method_and_seed_with_intervals():
    per_seed = pd.read_csv(SWEEP / "sweep_aggregate_per_seed.csv")
    suite = per_seed[per_seed.eval_set == "suite"]
    assert sorted(zip(suite.method, suite.seed)) == sorted((m, s) for m in SWEEP_METHODS for s in (0, 1, 2))
    stats.check_complete(per_seed, SWEEP_METHODS, [0, 1, 2])
    pooled = pd.read_csv(SWEEP / "sweep_aggregate.csv")
    stats.check_complete(pooled, SWEEP_METHODS, [0, 1, 2])
    paired = pd.read_csv(SWEEP / "sweep_paired.csv")
    w = paired[(paired.eval_set == "suite") & (paired.metric == "W")].set_index("b")
    assert set(w.index) == set(SWEEP_METHODS) - {"grpo-cobb_douglas"} and (w.n_pairs == 3 * 240).all()


@pytest.mark.skipif(not (SWEEP / "sweep_aggregate_per_seed.csv").exists(),
                    reason="figures/cpu-sweep/ not committed yet: `make sweep` has not finished (it resumes where it stopped)")
def test_every_sweep_run_had_a_learning_signal_and_a_pareto_row_per_baseline():
    for seed in (0, 1, 2):
        sampled = json.loads((SWEEP / f"seed-{seed}" / "sft_sampled_format.json").read_text())
        assert sampled["well_formed_and_closed"] >= 0.9, f"seed {seed}: SFT samples too few well-formed completions"
        for method in SWEEP_METHODS[2:]:
            signal = json.loads((SWEEP / f"seed-{seed}" / f"{method.replace('-', '_')}_signal.json").read_text())
            assert signal["zero_std_groups"] < 0.5 and signal["clipped"] < 0.1, (seed, method, signal)
    pareto = pd.read_csv(SWEEP / "sweep_pareto_vs.csv")
    suite = pareto[pareto.eval_set == "suite"]
    assert set(suite.opponent) == set(SWEEP_METHODS) - {"grpo-cobb_douglas"}
    for opponent, rows in suite.groupby("opponent"):
        assert sorted(rows.method) == sorted(["grpo-cobb_douglas", opponent])
        assert (rows.n_items + rows.excluded_items == 3 * 240).all()
