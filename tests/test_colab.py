"""The Colab/Kaggle install: the colab extra, the runtime's packages kept, pip's output shown on failure, vLLM pins."""
import importlib.metadata as md
import os
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
def test_first_cell_installs_through_the_script_in_this_kernel(name):
    """In the kernel, not a child process: Colab shows a child's output nowhere, so pip's errors would be lost."""
    cell = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4).cells[1].source
    assert "colab_install.install()" in cell and "pip install" not in cell and "sys.executable" not in cell


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


def colab_cells(**params) -> list[str]:
    """00_colab's parameters, install and run-folder cells, with some parameters changed."""
    cells = [c.source for c in nbformat.read(ROOT / "notebooks" / "00_colab.ipynb", as_version=4).cells
             if c.cell_type == "code"]
    return [cells[0] + "".join(f"\n{k} = {v!r}" for k, v in params.items()), cells[1], cells[2]]


@pytest.fixture
def on_colab(tmp_path, monkeypatch):
    """A pretend Colab T4 runtime on this CPU: google.colab importable (drive.mount recorded), nvidia-smi saying
    'Tesla T4', pip a stand-in, cwd an empty /content."""
    import types

    from gtalign_lite.train import LOCAL_CHECKPOINTS

    mounted = []
    colab, drive = types.ModuleType("google.colab"), types.ModuleType("google.colab.drive")
    drive.mount = mounted.append
    colab.drive = drive
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.drive", drive)
    monkeypatch.delitem(sys.modules, "colab_install", raising=False)
    monkeypatch.setenv(LOCAL_CHECKPOINTS, "")  # recorded, so that the cells' own os.environ setting is undone after
    monkeypatch.delenv(LOCAL_CHECKPOINTS)
    monkeypatch.delenv("KAGGLE_KERNEL_RUN_TYPE", raising=False)
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    monkeypatch.setenv("PATH", fake_nvidia_smi(bin_, "Tesla T4, 7.5, 550.54.15"))
    monkeypatch.setattr(sys, "executable", fake_pip(bin_, code=1))
    monkeypatch.setattr(sys, "path", list(sys.path))
    content = tmp_path / "content"
    content.mkdir()
    monkeypatch.chdir(content)
    return {"mounted": mounted, "bin": bin_, "content": content}


def test_colab_first_cells_clone_install_in_the_cell_and_put_runs_on_drive(on_colab, capsys):
    """00_colab's first code cells on this CPU as on a Colab T4: the clone from repo_url, the install's GPU line and
    pip's own output in the cell, Drive mounted and checkpoints routed through local disk."""
    from gtalign_lite.train import LOCAL_CHECKPOINTS

    params, install, folders = colab_cells(repo_url=str(ROOT))
    ns = {}
    exec(params, ns)  # noqa: S102 (the repository's own notebook cells)
    with pytest.raises(RuntimeError) as e:  # the stand-in pip fails: its words stop the cell
        exec(install, ns)  # noqa: S102
    out = capsys.readouterr().out
    assert (on_colab["content"] / "gtalign-lite" / "params" / "smoke_gpu.yaml").exists()  # cloned and entered
    assert "GPU: Tesla T4, compute capability 7.5, driver 550.54.15" in out and "Collecting unsloth" in out
    assert type(e.value).__name__ == "InstallError" and "ResolutionImpossible (fake)" in str(e.value)
    calls = (on_colab["bin"] / "calls").read_text()
    assert "-e .[colab]" in calls and "vllm" not in calls
    exec(folders, ns)  # noqa: S102
    assert on_colab["mounted"] == ["/content/drive"] and os.environ[LOCAL_CHECKPOINTS] == "/content/checkpoints"
    assert ns["run_dirs"] == {"smoke_gpu": "/content/drive/MyDrive/gtalign-lite/smoke_gpu",
                              "colab_t4": "/content/drive/MyDrive/gtalign-lite/colab_t4"}


def test_colab_vllm_on_a_t4_is_refused_before_anything_is_installed(on_colab):
    params, install, _ = colab_cells(repo_url=str(ROOT), vllm=True)
    ns = {}
    exec(params, ns)  # noqa: S102
    with pytest.raises(RuntimeError, match="Not installing: .*driver 580"):  # the clone's own InstallError
        exec(install, ns)  # noqa: S102
    assert not (on_colab["bin"] / "calls").exists()


def test_kaggle_resumes_from_a_previous_versions_output(tmp_path, monkeypatch, capsys):
    """A fake /kaggle/input holding a saved version's output (read-only): found, copied back writable, then the
    runner's finished-stage record and the newest checkpoint are where a resumed run looks for them."""
    from gtalign_lite import config
    from gtalign_lite.train import last_checkpoint

    old = tmp_path / "input" / "gtalign-colab" / "gtalign-lite" / "runs" / "colab_t4"
    for rel, text in {"done/01_data.json": "{}", "grpo-cobb_douglas/checkpoint-20/trainer_state.json": "{}",
                      "grpo-cobb_douglas/checkpoint-20/adapter_config.json": "{}"}.items():
        (old / rel).parent.mkdir(parents=True, exist_ok=True)
        (old / rel).write_text(text)
    for f in sorted(old.rglob("*"), reverse=True):
        f.chmod(0o555 if f.is_dir() else 0o444)
    try:
        assert config.previous_run("colab_t4", tmp_path / "input") == old
        assert config.previous_run("smoke_gpu", tmp_path / "input") is None
        new = tmp_path / "working" / "runs" / "colab_t4"
        (new / "done").mkdir(parents=True)
        (new / "done" / "01_data.json").write_text('{"mine": 1}')
        assert config.restore_run(old, new) == 2  # the two checkpoint files; 01's record here is kept
        assert (new / "done" / "01_data.json").read_text() == '{"mine": 1}'
        assert last_checkpoint(new / "grpo-cobb_douglas").endswith("checkpoint-20")
        (new / "grpo-cobb_douglas" / "checkpoint-20" / "trainer_state.json").write_text("{}")  # writable
        # the notebook's resume_from parameter does the same from its run-folder cell (Kaggle detected)
        monkeypatch.setenv("KAGGLE_KERNEL_RUN_TYPE", "Interactive")
        monkeypatch.chdir(tmp_path / "working")
        params, _, folders = colab_cells(resume_from=str(old), smoke_first=False)
        ns = {"ON_COLAB": False, "ON_KAGGLE": True, "os": os}
        exec(params, ns)  # noqa: S102
        exec(folders, ns)  # noqa: S102
        assert f"colab_t4: 0 files copied back from {old}" in capsys.readouterr().out  # all there already
    finally:
        for f in old.rglob("*"):
            f.chmod(0o755)


def test_the_gpu_smoke_profile_runs_first_then_the_chosen_one(monkeypatch):
    """00_colab's run cell (the runner mocked): smoke_gpu with its own checkpoint interval, then colab_t4 with save_steps."""
    from gtalign_lite import runner

    calls = []
    monkeypatch.setattr(runner, "run", lambda p, d, only, overrides, log_output: calls.append((p, d, overrides)))
    cells = [c.source for c in nbformat.read(ROOT / "notebooks" / "00_colab.ipynb", as_version=4).cells
             if c.cell_type == "code"]
    ns = {"ON_COLAB": False, "ON_KAGGLE": False, "os": os}
    for cell in (cells[0] + "\nshow_cell_output = False", cells[2], cells[3]):
        exec(cell, ns)  # noqa: S102 (the repository's own notebook cells)
    assert calls == [("smoke_gpu", "runs/smoke_gpu", None), ("colab_t4", "runs/colab_t4", {"save_steps": 10})]
