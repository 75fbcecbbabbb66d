"""Choosing a profile in a notebook: cell defaults < params/<profile>.yaml < values set explicitly."""
import nbformat
import papermill as pm
import pytest

from gtalign_lite import config
from conftest import NB, ROOT


def parameters_cell(name: str, **changes) -> dict:
    """The globals a user gets by running notebook `name`'s parameters cell with some lines edited."""
    nb = nbformat.read(NB / f"{name}.ipynb", as_version=4)
    source = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", [])).source
    lines = []
    for line in source.splitlines():
        key = line.split("=")[0].strip()
        lines.append(f"{key} = {changes.pop(key)!r}" if key in changes else line)
    assert not changes, f"not in the parameters cell: {changes}"
    cell = {}
    exec("\n".join(lines), {}, cell)  # noqa: S102 (the repository's own notebook cell)
    return cell


def test_only_the_profile_changed_gives_that_profiles_model_steps_and_lengths():
    P = config.resolve(parameters_cell("04_grpo_welfare", profile="colab_t4"))
    # the values of params/colab_t4.yaml, written out by hand
    assert P["model_name"] == "unsloth/Qwen2.5-3B-Instruct-bnb-4bit"
    assert (P["device"], P["use_unsloth"], P["load_in_4bit"]) == ("cuda", True, True)
    assert P["grpo_steps"] == 150 and P["num_generations"] == 8 and P["grpo_batch_size"] == 8
    assert P["max_completion_length"] == 512 and P["max_seq_length"] == config.load_profile("colab_t4")["max_seq_length"]
    assert P["max_seq_length"] >= 2048 and P["run_dir"] == "runs/colab_t4" and P["use_paper_data"] is True
    # every key the notebook declares, nothing more
    assert set(P) == set(parameters_cell("04_grpo_welfare"))


def test_a_value_changed_in_the_cell_wins_over_the_profile():
    P = config.resolve(parameters_cell("03_sft", profile="colab_t4", sft_examples=40, run_dir="/content/drive/run"))
    assert P["sft_examples"] == 40 and P["run_dir"] == "/content/drive/run"
    assert P["sft_lr"] == 0.0002 and P["model_name"] == "unsloth/Qwen2.5-3B-Instruct-bnb-4bit"


def test_untouched_cell_is_the_smoke_profile():
    cell = parameters_cell("03_sft")
    assert config.resolve(cell) == cell


def test_papermill_values_count_as_explicit_even_when_equal_to_the_cell_default():
    cell = parameters_cell("01_data", profile="colab_t4", use_paper_data=False)
    cell["In"] = ["import os", '# Parameters\nprofile = "colab_t4"\nuse_paper_data = False\n', "P = setup(globals())"]
    P = config.resolve(cell)
    assert P["use_paper_data"] is False and P["n_train_per_family"] == 400  # -p value kept, the rest from the file
    cell["In"] = cell["In"][:1]  # the same cell values typed by hand: False equals the default, so the file wins
    assert config.resolve(cell)["use_paper_data"] is True


def test_unknown_profile_lists_the_valid_ones():
    with pytest.raises(ValueError, match="valid profiles: colab_t4, cpu, reproduce, smoke"):
        config.resolve(parameters_cell("01_data", profile="laptop"))


def test_papermill_kernel_sees_the_injected_names(tmp_path):
    """IPython's history `In` is what resolve() reads to find papermill's injected cell: check it is there."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(nbformat.read(NB / "01_data.ipynb", as_version=4).cells[2].source)
    params.metadata["tags"] = ["parameters"]
    check = nbformat.v4.new_code_cell("from gtalign_lite import config\nP = config.resolve(globals())\n"
                                      "assert P['use_paper_data'] is False, P\nassert P['n_train_per_family'] == 400, P")
    nb.cells = [params, check]
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    nbformat.write(nb, tmp_path / "in.ipynb")
    pm.execute_notebook(str(tmp_path / "in.ipynb"), str(tmp_path / "out.ipynb"), kernel_name="python3", cwd=str(ROOT),
                        parameters={"profile": "colab_t4", "use_paper_data": False}, progress_bar=False)


def test_the_gpu_smoke_profile_is_a_short_run_of_the_colab_path():
    P = config.resolve(parameters_cell("04_grpo_welfare", profile="smoke_gpu"))
    # params/smoke_gpu.yaml written out by hand: colab_t4's path (Unsloth, 4-bit, paper prompts) on the 0.5B model
    assert P["model_name"] == "unsloth/Qwen2.5-0.5B-Instruct"
    assert (P["device"], P["use_unsloth"], P["load_in_4bit"], P["prompt_style"]) == ("cuda", True, True, "paper")
    assert P["grpo_steps"] == 4 and P["grpo_batch_size"] == 8 and P["max_completion_length"] == 256
    assert P["save_steps"] == 2 and P["run_dir"] == "runs/smoke_gpu"
    assert config.load_profile("smoke_gpu")["sft_examples"] // config.load_profile("smoke_gpu")["sft_batch_size"] == 8
