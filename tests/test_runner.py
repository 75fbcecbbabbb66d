"""Sweeps, run folders, resuming and the parameter schema: what a user running papermill sweeps relies on."""
from pathlib import Path

import nbformat
import papermill as pm
import pandas as pd
import pytest

from gtalign_lite import config, records, runner, runs, schema
from gtalign_lite.train import grpo_signal
from conftest import ROOT


def test_sweep_runs_data_and_sft_once_per_seed_and_grpo_once_per_variant(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(runner, "run", lambda profile, run_dir, only, overrides, **kw: calls.append(
        (tuple(only), overrides["run_dir"], overrides.get("reward_variant"), overrides.get("sweep_dir"))) or [])
    monkeypatch.setattr(runner, "copy_figures", lambda *a, **k: None)
    root = runner.sweep("smoke", runner.parse_grid(["reward_variant=cobb_douglas,linear", "seed=0,1"]), tmp_path / "sw")
    s0, s1 = str(tmp_path / "sw" / "seed-0"), str(tmp_path / "sw" / "seed-1")
    assert root == tmp_path / "sw"
    assert calls == [
        (("01_data", "03_sft"), s0, None, None),
        (("04_grpo_welfare",), s0, "cobb_douglas", None), (("04_grpo_welfare",), s0, "linear", None),
        (("05_evaluation", "06_pricing_adaptation"), s0, "cobb_douglas", str(tmp_path / "sw")),
        (("01_data", "03_sft"), s1, None, None),
        (("04_grpo_welfare",), s1, "cobb_douglas", None), (("04_grpo_welfare",), s1, "linear", None),
        (("05_evaluation", "06_pricing_adaptation"), s1, "cobb_douglas", str(tmp_path / "sw")),
    ]


def test_other_swept_or_overridden_parameters_get_their_own_folder(monkeypatch, tmp_path):
    seen = set()
    monkeypatch.setattr(runner, "run", lambda profile, run_dir, only, overrides, **kw: seen.add(overrides["run_dir"]) or [])
    monkeypatch.setattr(runner, "copy_figures", lambda *a, **k: None)
    runner.sweep("smoke", runner.parse_grid(["grpo_lr=0.00001,0.00005"]), tmp_path / "sw", {"grpo_steps": 3})
    assert seen == {str(tmp_path / "sw+grpo_lr=1e-05,grpo_steps=3" / "seed-0"),
                    str(tmp_path / "sw+grpo_lr=5e-05,grpo_steps=3" / "seed-0")}
    assert runs.sweep_folder("runs/cpu-sweep", {}) == Path("runs/cpu-sweep")
    assert len(runs.sweep_folder("x", {"paper_data_path": "/a/b"}).name) == len("x+") + 10  # hashed: no slashes


@pytest.mark.parametrize("argv, needle", [
    (["-p", "learning_rate", "0.1"], "unknown parameter(s) learning_rate"),
    (["-p", "reward_variant", "nash"], "valid: cobb_douglas, linear, llm, user, pareto"),
    (["-p", "grpo_steps", "many"], "grpo_steps must be int"),
    (["--sweep", "seed"], "--sweep takes key=v1,v2"),
    (["--sweep", "temperatur=0.5,1.0"], "unknown parameter(s) temperatur"),
])
def test_runner_stops_on_a_bad_parameter_before_running_anything(argv, needle, capsys, tmp_path):
    with pytest.raises(SystemExit):
        runner.main(["--profile", "smoke", "--run-dir", str(tmp_path / "r"), *argv])
    assert needle in capsys.readouterr().err
    assert not (tmp_path / "r" / "notebooks").exists() or not any((tmp_path / "r" / "notebooks").iterdir())


def test_papermill_parameter_the_schema_does_not_know_stops_in_setup(tmp_path):
    with pytest.raises(pm.PapermillExecutionError) as e:
        pm.execute_notebook(str(ROOT / "notebooks" / "01_data.ipynb"), str(tmp_path / "o.ipynb"), kernel_name="python3",
                            parameters={"run_dir": str(tmp_path / "r"), "n_tests_per_family": 3}, cwd=str(ROOT),
                            progress_bar=False)
    assert "unknown parameter(s) n_tests_per_family" in str(e.value)


def test_a_finished_stage_is_skipped_and_a_changed_one_runs_again(tmp_path, capsys):
    run_dir = tmp_path / "r"
    first = runner.run("smoke", str(run_dir), ["01_data"], figures=False)
    again = runner.run("smoke", str(run_dir), ["01_data"], figures=False)
    assert len(first) == 1 and again == [] and "done before with these parameters, skipped" in capsys.readouterr().out
    changed = runner.run("smoke", str(run_dir), ["01_data"], {"n_test_per_family": 3}, figures=False)
    assert len(changed) == 1 and len(config.load_items(run_dir / "data" / "test.jsonl")) == 4 * 3  # 3 per family (was 2)
    assert len(runner.run("smoke", str(run_dir), ["01_data"], {"n_test_per_family": 3}, figures=False, resume=False)) == 1


def test_run_folder_paths_and_methods(run_folder, tmp_path):
    assert run_folder.data("train.jsonl") == tmp_path / "data" / "train.jsonl" and run_folder / "x" == tmp_path / "x"
    assert run_folder.adapter("base") is None
    assert run_folder.adapter("grpo-linear") == tmp_path / "grpo-linear" / "adapter"
    with pytest.raises(ValueError, match="valid: base, sft, grpo-<variant>"):
        run_folder.adapter("dpo")
    for m in ("sft", "grpo-user", "grpo-cobb_douglas"):
        (tmp_path / m / "adapter").mkdir(parents=True)
    (tmp_path / "grpo-llm").mkdir()  # started, no adapter yet: not a method
    assert run_folder.methods() == ["base", "sft", "grpo-cobb_douglas", "grpo-user"]
    for s in (10, 2):
        (tmp_path / f"seed-{s}" / "eval").mkdir(parents=True)
        (tmp_path / f"seed-{s}" / "eval" / "per_item.csv").write_text("x\n")
    assert [p.parts[-3] for p in runs.per_item_files(tmp_path)] == ["seed-2", "seed-10"]


@pytest.mark.parametrize("name", schema.ALL)
def test_parameters_cells_are_written_from_the_schema(name):
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert cell.source == schema.cell_source(name), "run: python -m gtalign_lite.schema"
    declared = pm.inspect_notebook(str(ROOT / "notebooks" / f"{name}.ipynb"))
    assert list(declared) == list(schema.for_notebook(name))


def test_profiles_are_valid_and_smoke_is_the_notebook_default():
    for p in config.profiles():
        params = config.load_params(p)
        assert set(schema.SCHEMA) - set(params) == set(schema.PROFILE_ONLY) - set(params)
    smoke = config.load_profile("smoke")
    assert {k: schema.SCHEMA[k].default for k in smoke} == smoke


def test_grpo_signal_from_a_hand_written_log():
    log = pd.DataFrame({"frac_reward_zero_std": [1.0, 0.5, 0.25, 0.25, 0.0, 0.0],
                        "completions/clipped_ratio": [0.5, 0.25, 0.0, 0.0, 0.0, 0.0],
                        "rewards/welfare/mean": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]})
    s = grpo_signal(log)
    assert s["steps"] == 6 and s["zero_std_groups"] == pytest.approx(2.0 / 6) and s["clipped"] == pytest.approx(0.125)
    assert s["welfare_first_third"] == pytest.approx(0.15) and s["welfare_last_third"] == pytest.approx(0.55)
    assert s["welfare_rises"] is True


def test_done_markers_ignore_parameters_that_do_not_change_results(run_folder, tmp_path):
    P = config.load_params("smoke")
    run_folder.mark_done("03_sft", P)
    assert run_folder.is_done("03_sft", {**P, "run_dir": "elsewhere", "save_steps": 7, "eval_batch_size": 1})
    assert not run_folder.is_done("03_sft", {**P, "sft_lr": 0.1}) and not run_folder.is_done("03_sft", {**P, "seed": 1})
    assert run_folder.training_folder("04_grpo_welfare-linear") == tmp_path / "grpo-linear"
    assert run_folder.training_folder("05_evaluation") is None


def test_a_stage_rerun_with_other_parameters_does_not_resume_stale_checkpoints(monkeypatch, tmp_path):
    import papermill

    run_dir = tmp_path / "r"
    executed = []
    monkeypatch.setattr(papermill, "execute_notebook", lambda src, dst, **kw: executed.append(Path(src).stem))
    runner.run("smoke", str(run_dir), ["03_sft"], figures=False, report=False)
    (run_dir / "sft" / "checkpoint-3").mkdir(parents=True)  # what that SFT left behind
    assert runner.run("smoke", str(run_dir), ["03_sft"], figures=False, report=False) == []  # done: skipped
    assert (run_dir / "sft" / "checkpoint-3").exists()
    runner.run("smoke", str(run_dir), ["03_sft"], {"sft_lr": 0.001}, figures=False, report=False)
    assert not (run_dir / "sft").exists() and executed == ["03_sft", "03_sft"]  # trained afresh, not resumed


def test_fresh_trains_afresh_instead_of_resuming(monkeypatch, tmp_path):
    import papermill

    monkeypatch.setattr(papermill, "execute_notebook", lambda src, dst, **kw: None)
    (tmp_path / "r" / "grpo-cobb_douglas" / "checkpoint-2").mkdir(parents=True)  # an interrupted or older run
    runner.run("smoke", str(tmp_path / "r"), ["04_grpo_welfare"], figures=False, report=False)
    assert (tmp_path / "r" / "grpo-cobb_douglas" / "checkpoint-2").exists()  # resumed: kept
    runner.run("smoke", str(tmp_path / "r"), ["04_grpo_welfare"], figures=False, report=False, resume=False)
    assert not (tmp_path / "r" / "grpo-cobb_douglas").exists()  # --fresh: removed before training


def test_a_run_on_the_authors_rows_copies_nothing_to_figures(monkeypatch, tmp_path, capsys):
    import papermill

    monkeypatch.setattr(papermill, "execute_notebook", lambda src, dst, **kw: None)
    monkeypatch.setattr(runner, "FIGURES", tmp_path / "figures")
    run_dir = tmp_path / "r"
    (run_dir / "eval").mkdir(parents=True)
    (run_dir / "eval" / "results_ci.csv").write_text("method,W\nsft,0.5\n")
    runner.run("smoke", str(run_dir), ["05_evaluation"], {"use_paper_data": True}, figures=True, report=False)
    assert not (tmp_path / "figures").exists() and "NOT copied" in capsys.readouterr().out
    runner.run("smoke", str(run_dir), ["05_evaluation"], figures=True, report=False)  # the project's own data: copied
    assert (tmp_path / "figures" / "smoke" / "results_ci.csv").exists()


def test_a_sweep_commits_every_seeds_grpo_signal_and_the_pooled_tables(monkeypatch, tmp_path):
    monkeypatch.setattr(runner, "run", lambda *a, **kw: [])
    monkeypatch.setattr(runner, "FIGURES", tmp_path / "figures")
    root = tmp_path / "runs" / "cpu-sweep"
    for seed in (0, 1):
        for v in ("cobb_douglas", "linear"):
            (root / f"seed-{seed}" / f"grpo-{v}").mkdir(parents=True)
            (root / f"seed-{seed}" / f"grpo-{v}" / "signal.json").write_text(f'{{"seed": {seed}}}')
        (root / f"seed-{seed}" / "figures").mkdir()
        (root / f"seed-{seed}" / "figures" / "05_sweep_plane.png").write_bytes(b"png")
        (root / f"seed-{seed}" / "eval").mkdir()
        (root / f"seed-{seed}" / "eval" / "per_item.csv").write_text(f"method,seed,welfare\nsft,{seed},0.5\n")
        runs.Run(root / f"seed-{seed}").mark_done("05_evaluation", {"seed": seed}, 60, 1.0)  # the seed finished
    for table in ("aggregate.csv", "aggregate_per_seed.csv", "paired.csv", "pareto_vs.csv"):
        (root / table).write_text("x\n1\n")
    runner.sweep("smoke", runner.parse_grid(["reward_variant=cobb_douglas,linear", "seed=0,1"]), root)
    out = tmp_path / "figures" / "cpu-sweep"
    for seed in (0, 1):  # the GRPO signal of all four runs, each under its seed
        for v in ("cobb_douglas", "linear"):
            assert (out / f"seed-{seed}" / f"grpo_{v}_signal.json").read_text() == f'{{"seed": {seed}}}'
    assert {p.name for p in out.glob("sweep_*")} == {"sweep_aggregate.csv", "sweep_aggregate_per_seed.csv",
                                                    "sweep_paired.csv", "sweep_pareto_vs.csv"}
    assert (out / "05_sweep_plane.png").exists() and not list(out.glob("seed-*/*.png"))  # pooled plots once
    assert sorted(p.parent.name for p in out.glob("seed-*/per_item.csv.gz")) == ["seed-0", "seed-1"]


def _finished_seed(root, seed, stages, rows):
    """A seed folder as a sitting leaves it after every stage finished: markers, times and per-item rows."""
    folder = runs.Run(root / f"seed-{seed}")
    for i, (stage, params) in enumerate(stages.items()):
        folder.mark_done(stage, params, 100 + i, 2.0)
    (folder / "eval").mkdir(parents=True)
    (folder / "eval" / "per_item.csv").write_text(rows)


def test_a_seed_an_earlier_session_committed_is_pooled_not_run_again(monkeypatch, tmp_path):
    import json
    import shutil

    monkeypatch.setattr(runner, "FIGURES", tmp_path / "figures")
    calls = []
    monkeypatch.setattr(runner, "run", lambda profile, run_dir, only, overrides, **kw: calls.append(
        (overrides["seed"], tuple(only))) or [])
    root, grid = tmp_path / "runs" / "cpu-sweep", ["reward_variant=cobb_douglas,linear", "seed=0"]
    point = {"seed": 0, "run_dir": str(root / "seed-0")}
    stages = records.seed_stages("smoke", point, {**point, "reward_variant": "cobb_douglas", "sweep_dir": str(root)},
                                ["cobb_douglas", "linear"])
    assert sorted(stages) == ["01_data", "03_sft", "04_grpo_welfare-cobb_douglas", "04_grpo_welfare-linear",
                              "05_evaluation", "06_pricing_adaptation"]
    rows = "method,seed,welfare\nsft,0,0.25\ngrpo-linear,0,0.75\n"
    _finished_seed(root, 0, stages, rows)
    runner.sweep("smoke", runner.parse_grid(grid), root)  # session 1 finished seed 0: its record is committed
    assert (tmp_path / "figures" / "cpu-sweep" / "seed-0" / "per_item.csv.gz").exists()
    shutil.rmtree(tmp_path / "runs")  # session 2: a fresh checkout, figures/ committed
    calls.clear()
    runner.sweep("smoke", runner.parse_grid(["reward_variant=cobb_douglas,linear", "seed=0,1"]), root)
    assert [s for s, _ in calls] == [1, 1, 1, 1]  # seed 0 restored, only seed 1 ran (01+03, 04 x2, 05+06)
    assert (root / "seed-0" / "eval" / "per_item.csv").read_text() == rows  # for 05 to pool
    t = runs.stage_times(root)
    assert len(t) == 6 and t.seconds.sum() == sum(range(100, 106))  # the earlier session's time still counts
    calls.clear()  # a second sitting on the same checkout: seed 0 is still the restored record, not a new run
    runner.sweep("smoke", runner.parse_grid(["reward_variant=cobb_douglas,linear", "seed=0"]), root)
    assert calls == [] and (root / "seed-0" / "eval" / "per_item.csv").read_text() == rows
    # a committed seed trained with other parameters is not reused: it runs again
    kept = tmp_path / "figures" / "cpu-sweep" / "seed-0" / "done" / "04_grpo_welfare-linear.json"
    kept.write_text(json.dumps({**json.loads(kept.read_text()), "grpo_lr": 1e-9}))
    shutil.rmtree(tmp_path / "runs")
    calls.clear()
    runner.sweep("smoke", runner.parse_grid(grid), root)
    assert [s for s, _ in calls] == [0, 0, 0, 0]


def test_a_sitting_stopped_mid_stage_still_counts_its_time(monkeypatch, tmp_path):
    import json
    import time

    import papermill

    with runner.PeakRSS(every=0.01, beat=tmp_path / "beat", beat_every=0.05) as mem:
        time.sleep(0.3)
    assert json.loads((tmp_path / "beat").read_text())["seconds"] >= 0.05 and mem.peak >= 0
    run_dir = tmp_path / "r"  # a sitting was killed 600 s into 01_data: its last heartbeat is left behind
    runs.Run(run_dir).running_path("01_data").parent.mkdir(parents=True)
    runs.Run(run_dir).running_path("01_data").write_text('{"seconds": 600.4, "peak_gib": 7.5}')
    monkeypatch.setattr(papermill, "execute_notebook", lambda src, dst, **kw: None)
    runner.run("smoke", str(run_dir), ["01_data"], figures=False, report=False)
    t = runs.stage_times(run_dir)
    assert t.stage.tolist() == ["01_data:interrupted", "01_data"] and t.seconds.iloc[0] == 600
    assert t.peak_gib.iloc[0] == 7.5 and not runs.Run(run_dir).running_path("01_data").exists()


def test_a_stage_runs_again_when_an_earlier_one_finished_after_it(monkeypatch, tmp_path):
    import os

    import papermill

    ran = []
    monkeypatch.setattr(papermill, "execute_notebook", lambda src, dst, **kw: ran.append(Path(dst).stem))
    folder = runs.Run(tmp_path / "r")
    runner.run("smoke", str(folder.root), ["01_data", "05_evaluation"], figures=False, report=False)
    assert ran == ["01_data", "05_evaluation"]
    runner.run("smoke", str(folder.root), ["01_data", "05_evaluation"], figures=False, report=False)
    assert ran == ["01_data", "05_evaluation"]  # nothing new: both skipped
    # a sitting that trained one more variant and was stopped before 05 ran: 05's marker is now the older
    folder.mark_done("04_grpo_welfare-linear", {})
    then = folder.done_path("05_evaluation").stat().st_mtime
    os.utime(folder.done_path("04_grpo_welfare-linear"), (then + 60, then + 60))
    assert folder.upstream_newer("05_evaluation") == ["04_grpo_welfare-linear"]
    assert folder.upstream_newer("01_data") == []
    runner.run("smoke", str(folder.root), ["01_data", "05_evaluation"], figures=False, report=False)
    assert ran == ["01_data", "05_evaluation", "05_evaluation"]


def test_a_sweeps_time_is_summed_over_its_sittings(tmp_path):
    root = tmp_path / "sweep"
    runs.Run(root / "seed-0").mark_done("03_sft", {"seed": 0}, 700, 3.5)
    runs.Run(root / "seed-0").mark_done("04_grpo_welfare-linear", {"seed": 0}, 1000, 7.25)  # a later sitting
    runs.Run(root / "seed-1").mark_done("03_sft", {"seed": 1}, 720.4, 3.0)
    runs.Run(root / "seed-1").mark_done("05_evaluation", {"seed": 1})  # no time given: not counted
    t = runs.stage_times(root)
    assert sorted(zip(t.run, t.stage)) == [("seed-0", "03_sft"), ("seed-0", "04_grpo_welfare-linear"), ("seed-1", "03_sft")]
    assert t.seconds.sum() == 700 + 1000 + 720 and t.peak_gib.max() == 7.25
    assert runs.Run(root / "seed-0").is_done("04_grpo_welfare-linear", {"seed": 0})  # times do not touch the markers


def test_a_seed_stopped_midway_keeps_its_evaluated_variants_and_trains_only_the_rest(monkeypatch, tmp_path):
    import json
    import shutil
    import time

    from gtalign_lite import evaluate as ev

    monkeypatch.setattr(runner, "FIGURES", tmp_path / "figures")
    root = tmp_path / "runs" / "cpu-sweep"
    point = {"seed": 1, "run_dir": str(root / "seed-1")}
    variants = ["cobb_douglas", "linear", "llm", "user"]
    stages = records.seed_stages("smoke", point, {**point, "reward_variant": "cobb_douglas", "sweep_dir": str(root)},
                                variants)
    # a session ended after training and evaluating cobb_douglas and linear for seed 1
    here, kept = root / "seed-1", tmp_path / "figures" / "cpu-sweep" / "seed-1"
    for i, stage in enumerate(["01_data", "03_sft", "04_grpo_welfare-cobb_douglas", "04_grpo_welfare-linear"]):
        runs.Run(here).mark_done(stage, stages[stage], 10 * (i + 1), 1.0)
    (here / "sft" / "adapter").mkdir(parents=True)
    (here / "sft" / "adapter" / "adapter_model.safetensors").write_bytes(b"sft weights")
    (here / "eval" / "methods").mkdir(parents=True)
    key = {"ids": ["a", "b"], "seed": 1, "variant": "cobb_douglas", "max_new_tokens": 32, "dtype": "auto",
           "table_version": 2}  # the current per-item table; an older one lacks columns and is evaluated again
    for m, w in [("base", 0.0), ("sft", 0.5), ("grpo-cobb_douglas", 0.625), ("grpo-linear", 0.75)]:
        (here / "eval" / "methods" / f"{m}-suite.csv").write_text(f"method,seed,id,welfare\n{m},1,a,{w}\n{m},1,b,{w}\n")
        (here / "eval" / "methods" / f"{m}-suite.json").write_text(json.dumps({**key, "adapter_mtime": 1.5}))
    records.keep_seed(here, kept, finished=False)
    assert (kept / "eval" / "methods" / "grpo-linear-suite.csv.gz").exists() and not (kept / "per_item.csv.gz").exists()
    first = (kept / "eval" / "methods" / "grpo-linear-suite.csv.gz").read_bytes()
    time.sleep(1.1)  # gzip stamps whole seconds
    records.keep_seed(here, kept, finished=False)  # kept again by a later sitting: a commit shows no change
    assert (kept / "eval" / "methods" / "grpo-linear-suite.csv.gz").read_bytes() == first

    shutil.rmtree(tmp_path / "runs")  # the next session: a fresh checkout with the record committed
    calls = []

    def fake_run(profile, run_dir, only, overrides, **kw):
        calls.append((tuple(only), overrides.get("reward_variant")))
        if "03_sft" in only:  # SFT trained again, to the same weights
            (here / "sft" / "adapter").mkdir(parents=True)
            (here / "sft" / "adapter" / "adapter_model.safetensors").write_bytes(b"sft weights")
        return [(only[0], 60.0, 1.0)]

    monkeypatch.setattr(runner, "run", fake_run)
    runner.sweep("smoke", runner.parse_grid(["reward_variant=" + ",".join(variants), "seed=1"]), root)
    assert calls == [(("01_data", "03_sft"), None), (("04_grpo_welfare",), "llm"), (("05_evaluation",), "cobb_douglas"),
                     (("04_grpo_welfare",), "user"), (("05_evaluation", "06_pricing_adaptation"), "cobb_douglas")]
    folder = runs.Run(here)
    assert folder.restored() == ["grpo-cobb_douglas", "grpo-linear"]
    assert folder.methods() == ["base", "sft", "grpo-cobb_douglas", "grpo-linear"]  # no adapters: the fake trained none
    assert json.loads((here / "done" / "sft_rerun.json").read_text()) == {"identical_to_record": True}
    assert runs.stage_times(root).seconds.sum() == 10 + 20 + 30 + 40  # the earlier session's stages still count

    def no_model(adapter):
        raise AssertionError("a restored method must not be generated again")

    P = {"seed": 1, "reward_variant": "cobb_douglas", "eval_max_new_tokens": 32, "gen_dtype": "auto"}
    items = [{"uid": "a"}, {"uid": "b"}]
    rows = ev.evaluate_method(folder, "grpo-linear", items, None, P, no_model)
    assert rows.welfare.tolist() == [0.75, 0.75]
    with pytest.raises(RuntimeError, match="--fresh"):  # other items: the rows do not stand for them, and no adapter
        ev.evaluate_method(folder, "grpo-linear", [{"uid": "a"}, {"uid": "c"}], None, P, no_model)
