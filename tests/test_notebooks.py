"""The notebooks as users meet them: parameters, bad input, missing stages, a papermill sweep, nbval strictness."""
import json
import subprocess
import sys

import nbformat
import papermill as pm
import pytest

from gtalign_lite.config import load_profile, profiles
from gtalign_lite.schema import PROFILE_ONLY
from gtalign_lite.runner import NOTEBOOKS, clean
from conftest import NB, ROOT


def run(name, tmp_path, **params):
    out = tmp_path / f"{name}-out.ipynb"
    return pm.execute_notebook(str(NB / f"{name}.ipynb"), str(out), parameters=params, kernel_name="python3",
                               cwd=str(ROOT), progress_bar=False)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_one_flat_parameters_cell_with_smoke_defaults(name):
    nb = nbformat.read(NB / f"{name}.ipynb", as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    smoke = load_profile("smoke")
    declared = pm.inspect_notebook(str(NB / f"{name}.ipynb"))
    for key, info in declared.items():
        if key in smoke:
            assert eval(info["default"]) == smoke[key], (name, key)  # noqa: S307 (our own literals)
    assert nb.cells[0].cell_type == "markdown" and "colab" in nb.cells[0].source.lower()
    assert not any("papermill" in c.metadata for c in nb.cells)  # stored clean


def test_profiles_exist_and_cover_the_same_keys():
    assert {"smoke", "cpu", "colab_t4"} <= set(profiles())
    keys = {p: set(load_profile(p)) - set(PROFILE_ONLY) for p in profiles()}  # those may be left to the defaults
    assert all(k == keys["smoke"] for k in keys.values())


@pytest.mark.parametrize("name, params, needle", [
    ("01_data", {"profile": "laptop"}, "valid profiles: colab_t4, cpu, reproduce, smoke"),
    ("04_grpo_welfare", {"reward_variant": "nash"}, "valid: cobb_douglas, linear, llm, user, pareto"),
    ("02_payoff_prompting", {"model_name": "gpt-17"}, "valid: embedded"),
])
def test_bad_parameter_stops_in_the_setup_cell(tmp_path, name, params, needle):
    with pytest.raises(pm.PapermillExecutionError) as e:
        run(name, tmp_path, run_dir=str(tmp_path / "run"), **params)
    assert needle in str(e.value)
    assert "gl.config.setup(globals())" in e.value.source  # the setup cell, before anything heavy ran


@pytest.mark.parametrize("name, first", [("03_sft", "01_data.ipynb"), ("05_evaluation", "01_data.ipynb")])
def test_missing_stage_names_the_notebook_to_run_first(tmp_path, name, first):
    with pytest.raises(pm.PapermillExecutionError) as e:
        run(name, tmp_path, run_dir=str(tmp_path / "empty"))
    assert f"run notebooks/{first} first" in str(e.value)


def test_grpo_without_sft_adapter_says_run_03(tmp_path):
    run("01_data", tmp_path, run_dir=str(tmp_path / "r"))
    with pytest.raises(pm.PapermillExecutionError) as e:
        run("04_grpo_welfare", tmp_path, run_dir=str(tmp_path / "r"))
    assert "run notebooks/03_sft.ipynb first" in str(e.value)


@pytest.mark.slow
def test_papermill_sweep_of_04_over_two_reward_variants(tmp_path):
    run_dir = tmp_path / "sweep"
    smoke = load_profile("smoke")
    pm.execute_notebook(str(NB / "01_data.ipynb"), str(tmp_path / "01.ipynb"), kernel_name="python3", cwd=str(ROOT),
                        parameters={**{k: v for k, v in smoke.items() if k in pm.inspect_notebook(str(NB / "01_data.ipynb"))},
                                    "run_dir": str(run_dir)}, progress_bar=False)
    for variant in ("cobb_douglas", "linear"):
        cmd = [sys.executable, "-m", "papermill", str(NB / "04_grpo_welfare.ipynb"), str(tmp_path / f"04-{variant}.ipynb"),
               "-f", str(ROOT / "params" / "smoke.yaml"), "-p", "run_dir", str(run_dir), "-p", "start_from", "base",
               "-p", "reward_variant", variant, "-p", "grpo_steps", "1", "-k", "python3", "--cwd", str(ROOT), "--no-progress-bar"]
        subprocess.run(cmd, check=True, capture_output=True)
    for variant in ("cobb_douglas", "linear"):
        log = (run_dir / f"grpo-{variant}" / "log.csv").read_text().splitlines()
        assert "rewards/welfare/mean" in log[0] and len(log) == 2  # a header and the one step
        assert (run_dir / f"grpo-{variant}" / "adapter" / "adapter_config.json").exists()


@pytest.mark.slow
def test_nbval_fails_when_a_strict_output_changes(tmp_path):
    from gtalign_lite import stored

    src = next(p for p in stored.nbval_copies(NB, tmp_path / "copies", stored.declared(NB)) if p.stem == "01_data")  # as make nbval
    nb = nbformat.read(src, as_version=4)
    strict = next(c for c in nb.cells if c.cell_type == "code" and "questions in two splits" in str(c.get("outputs")))
    assert not strict.source.startswith("# NBVAL_IGNORE_OUTPUT")
    for out in strict.outputs:
        if out.get("name") == "stdout":
            out["text"] = out["text"].replace("questions in two splits: 0", "questions in two splits: 1")
    for label, notebook in (("same", nbformat.read(src, as_version=4)), ("changed", nb)):
        nbformat.write(notebook, tmp_path / f"{label}.ipynb")
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", "--nbval-sanitize-with",
            str(NB / "sanitize.cfg"), "--rootdir", str(tmp_path)]
    same = subprocess.run(args + [str(tmp_path / "same.ipynb")], capture_output=True, text=True, cwd=tmp_path)
    changed = subprocess.run(args + [str(tmp_path / "changed.ipynb")], capture_output=True, text=True, cwd=tmp_path)
    assert same.returncode == 0, same.stdout[-2000:]
    code_index = [c for c in nb.cells if c.cell_type == "code"].index(strict)
    assert changed.returncode != 0 and f"FAILED changed.ipynb::Cell {code_index}" in changed.stdout
    assert "1 failed" in changed.stdout  # only the edited cell


def test_clean_strips_papermill_noise_and_keeps_tags():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"], "papermill": {}}),
                                         nbformat.v4.new_code_cell("x = 2", metadata={"tags": ["injected-parameters"]})])
    nb.metadata["papermill"] = {"duration": 1}
    out = clean(nb)
    assert "papermill" not in out.metadata and len(out.cells) == 1
    assert out.cells[0].metadata == {"tags": ["parameters"]}
    assert json.dumps(nb.metadata)  # the input is not modified
    assert "papermill" in nb.metadata


def test_runner_skips_07_visibly_without_the_published_runs(tmp_path, capsys):
    from gtalign_lite.runner import run as run_profile

    times = run_profile("smoke", str(tmp_path / "run"), only=["07_reference_runs"],
                        overrides={"runs_root": str(tmp_path / "no-runs-here")}, figures=False)
    assert times == []
    assert "SKIPPED 07_reference_runs: runs_root=" in capsys.readouterr().out
