"""The Colab/Kaggle install: the colab extra, the runtime's packages kept, pip's output shown on failure, vLLM pins."""
import importlib.metadata as md
import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

spec = importlib.util.spec_from_file_location("colab_install", ROOT / "scripts" / "colab_install.py")
colab_install = importlib.util.module_from_spec(spec)
spec.loader.exec_module(colab_install)


def extras():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]


def pins():
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    return {ln.split("==")[0].strip().lower() for ln in lines if "==" in ln and not ln.startswith("#")}


def test_colab_extra_has_the_training_stack_and_no_ci_teaching_or_kernel_packages():
    colab = set(extras()["colab"])
    assert {"transformers", "trl", "peft", "unsloth", "bitsandbytes", "papermill"} <= colab
    assert not colab & {"nbval", "otter-grader", "jupyterlab", "ipykernel", "pytest", "hypothesis", "torch"}
    assert colab <= pins()  # every one at the version the rest of the stack was checked with


def test_dry_run_keeps_this_runtimes_torch_and_names_the_commands(capsys):
    assert colab_install.main(["--dry-run", "--vllm"]) == 0
    out = capsys.readouterr().out
    assert f"torch=={md.version('torch')}" in out  # the installed torch is written as a constraint
    first, second = [ln for ln in out.splitlines() if ln.startswith("$")]
    assert "-c constraints.txt" in first and first.endswith("-e .[colab]")
    assert "vllm==0.30.0" in second and "vllm-bnb-plugin==0.0.3" in second  # 4-bit under vLLM >= 0.28


def test_vllm_step_does_not_hold_torch_back(tmp_path):
    keep_file = colab_install.commands(True, "unused")[1]
    keep = Path(keep_file[keep_file.index("-c", 6) + 1]).read_text()
    assert "torch==" not in keep and "triton==" not in keep  # vLLM pins its own torch


def test_failing_pip_prints_its_output_and_stops(capsys):
    cmd = [sys.executable, "-m", "pip", "install", "--no-index", "--find-links", str(ROOT), "no-such-package-gtl"]
    with pytest.raises(SystemExit, match="pip failed"):
        colab_install.run(cmd)
    assert "no-such-package-gtl" in capsys.readouterr().out  # pip's own words, not just an exit code


@pytest.mark.parametrize("name", ["01_data", "02_payoff_prompting", "03_sft", "04_grpo_welfare", "05_evaluation",
                                  "06_pricing_adaptation"])
def test_first_cell_installs_through_the_script(name):
    cell = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4).cells[1].source
    assert "scripts/colab_install.py" in cell and "pip install" not in cell


def test_script_runs_without_the_package(tmp_path):
    """Standard library only: it runs before anything is installed (here from a bare interpreter, -I)."""
    done = subprocess.run([sys.executable, "-I", str(ROOT / "scripts" / "colab_install.py"), "--dry-run"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def test_entry_notebook_runs_the_chain_in_one_kernel_and_resumes(tmp_path):
    """00_colab off Colab: no install, no Drive; the runner runs 01 (smoke) into run_dir, and a second run skips it."""
    import papermill as pm

    run_dir = tmp_path / "run"
    params = dict(profile="smoke", use_drive=True, run_dir=str(run_dir), only=["01_data"], save_steps=1,
                  show_cell_output=False)
    for attempt in ("first", "again"):
        out = pm.execute_notebook(str(ROOT / "notebooks" / "00_colab.ipynb"), str(tmp_path / f"{attempt}.ipynb"),
                                  parameters=params, kernel_name="python3", cwd=str(ROOT), progress_bar=False)
        printed = "".join(o.get("text", "") for c in out.cells if c.cell_type == "code" for o in c.outputs)
        assert f"run folder: {run_dir}" in printed
    assert (run_dir / "data" / "train.jsonl").exists() and (run_dir / "notebooks" / "01_data.ipynb").exists()
    assert "done before with these parameters, skipped" in printed  # the second run resumed instead of redoing
