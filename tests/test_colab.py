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
    assert "runtime.txt -c" in first and "keep.txt" in first and first.endswith("-e '.[colab]'")
    assert "vllm==0.30.0" in second and "vllm-bnb-plugin==0.0.3" in second  # 4-bit under vLLM >= 0.28


def test_runtime_constraints_pin_nothing_the_runtime_keeps():
    pinned = {ln.split("==")[0].lower(): ln for ln in colab_install.runtime_constraints()}
    assert not {"nbclient", "ipykernel", "jupyterlab", "traitlets", "torch", "nbval", "pytest"} & set(pinned)
    assert pinned["unsloth"] == "unsloth==2026.10.9" and pinned["trl"] == "trl==1.14.2"
    assert set(pinned.values()) <= {ln.split("#")[0].strip() for ln in (ROOT / "constraints.txt").read_text().splitlines()}
    assert set(extras()["colab"]) <= set(pinned)  # the extra itself stays at the checked versions


def test_vllm_step_does_not_hold_torch_back(tmp_path):
    colab_install.commands(True, tmp_path)
    keep = (tmp_path / "kernel.txt").read_text()
    assert "torch==" not in keep and "triton==" not in keep  # vLLM pins its own torch


def test_failing_pip_prints_its_output_and_stops(capsys):
    cmd = [sys.executable, "-m", "pip", "install", "--no-index", "--find-links", str(ROOT), "no-such-package-gtl"]
    with pytest.raises(colab_install.InstallError, match="pip failed") as e:
        colab_install.run(cmd)
    assert "no-such-package-gtl" in capsys.readouterr().out  # pip's own words as it ran, not just an exit code
    assert "no-such-package-gtl" in str(e.value)  # and again in the error the cell stops with


def fake_nvidia_smi(folder, line: str) -> str:
    """A PATH entry whose nvidia-smi prints `line` (name, compute_cap, driver_version), as the real one's CSV does."""
    (folder / "nvidia-smi").write_text(f"#!/bin/sh\necho '{line}'\n")
    (folder / "nvidia-smi").chmod(0o755)
    return f"{folder}:/usr/bin:/bin"


def test_gpu_is_read_from_nvidia_smi(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", fake_nvidia_smi(tmp_path, "Tesla T4, 7.5, 550.54.15"))
    assert colab_install.gpu() == {"name": "Tesla T4", "capability": (7, 5), "driver": "550.54.15"}
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert colab_install.gpu() is None


T4 = {"name": "Tesla T4", "capability": (7, 5), "driver": "550.54.15"}


@pytest.mark.parametrize("g, vllm_says, base_says", [
    (T4, "driver 580", None),  # Colab's T4: CUDA 12 driver, the CUDA 13 torch of vLLM 0.30 cannot start
    ({**T4, "driver": "580.65.06"}, "capability 8.0", None),  # a new driver, still a T4
    ({"name": "NVIDIA A100-SXM4-40GB", "capability": (8, 0), "driver": "580.65.06"}, None, None),
    ({"name": "Tesla P100-PCIE-16GB", "capability": (6, 0), "driver": "550.54.15"}, "P100", "P100"),
    (None, "no NVIDIA GPU", "no NVIDIA GPU"),
])
def test_refusals_before_anything_is_installed(g, vllm_says, base_says):
    for said, refusal in ((vllm_says, colab_install.vllm_refusal(g)), (base_says, colab_install.gpu_refusal(g))):
        assert refusal is None if said is None else said in refusal


def fake_pip(folder, code: int = 0) -> str:
    """An interpreter stand-in for `python -m pip ...`: says two lines, records its arguments, exits with `code`."""
    (folder / "python").write_text(f"#!/bin/sh\necho \"$@\" >> {folder}/calls\necho Collecting unsloth\n"
                                   f"echo 'ERROR: ResolutionImpossible (fake)'\nexit {code}\n")
    (folder / "python").chmod(0o755)
    return str(folder / "python")


@pytest.mark.parametrize("g, vllm", [("Tesla T4, 7.5, 550.54.15", True), ("Tesla P100-PCIE-16GB, 6.0, 550.54.15", False)])
def test_a_gpu_that_cannot_run_it_stops_the_install_before_pip(tmp_path, monkeypatch, g, vllm):
    monkeypatch.setenv("PATH", fake_nvidia_smi(tmp_path, g))
    monkeypatch.setattr(sys, "executable", fake_pip(tmp_path))
    monkeypatch.setattr(colab_install, "MARKER", tmp_path / "marker")
    with pytest.raises(colab_install.InstallError, match="Not installing"):
        colab_install.install(vllm=vllm)
    assert not (tmp_path / "calls").exists()  # pip never ran


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
    params = dict(profile="smoke", smoke_first=False, use_drive=True, run_dir=str(run_dir), only=["01_data"],
                  save_steps=1, show_cell_output=False)
    for attempt in ("first", "again"):
        out = pm.execute_notebook(str(ROOT / "notebooks" / "00_colab.ipynb"), str(tmp_path / f"{attempt}.ipynb"),
                                  parameters=params, kernel_name="python3", cwd=str(ROOT), progress_bar=False)
        printed = "".join(o.get("text", "") for c in out.cells if c.cell_type == "code" for o in c.outputs)
        assert f"smoke: run folder {run_dir}" in printed
    assert (run_dir / "data" / "train.jsonl").exists() and (run_dir / "notebooks" / "01_data.ipynb").exists()
    assert "done before with these parameters, skipped" in printed  # the second run resumed instead of redoing
