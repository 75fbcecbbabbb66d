"""The Colab install replayed against Colab's own package list: a Python 3.13 venv holding metadata stubs of every
package the GPU runtime ships (tests/colab_runtime/pip-freeze.gpu.txt), Colab's own pip version, and the exact pip
command scripts/colab_install.py runs there, with --dry-run and the package index as the only network. Wheels only
(--only-binary), so that a backtracking pip never compiles a source package. Skips, saying so, where the index is
unreachable."""
import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

FREEZE = ROOT / "tests" / "colab_runtime" / "pip-freeze.gpu.txt"


def runtime() -> dict:
    """{name: version} of the vendored Colab GPU list."""
    lines = [ln.strip() for ln in FREEZE.read_text().splitlines() if "==" in ln and not ln.startswith("#")]
    return dict(ln.split("==", 1) for ln in lines)


def python313() -> str:
    """A Python 3.13 (Colab's) where one is installed, else this interpreter."""
    for found in [*sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.13*/bin/python3.13"))),
                  shutil.which("python3.13")]:
        if found and subprocess.run([found, "--version"], capture_output=True).returncode == 0:
            return found
    return sys.executable


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    """A venv whose site-packages holds a dist-info stub per Colab package, and a copy of the project to install."""
    tmp = tmp_path_factory.mktemp("colab")
    pip = f"pip=={runtime()['pip']}"  # Colab's pip: newer ones backtrack for long where it stops at once
    got = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "--retries",
                          "1", "--timeout", "20", "-d", str(tmp), pip], capture_output=True, text=True)
    if got.returncode != 0:
        pytest.skip(f"package index unreachable ({got.stderr.strip()[-300:]}): the Colab resolution replay needs it")
    venv = tmp / "venv"
    subprocess.run([python313(), "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(glob.glob(str(venv / "lib" / "python3*" / "site-packages"))[0])
    for name, version in runtime().items():
        stub = site / f"{name.replace('-', '_')}-{version}.dist-info"
        stub.mkdir()
        (stub / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        (stub / "INSTALLER").write_text("pip\n")
    project = tmp / "project"  # what pip reads of the checkout: the extras, the constraints, a package to build
    (project / "gtalign_lite").mkdir(parents=True)
    (project / "gtalign_lite" / "__init__.py").write_text("")
    for name in ("pyproject.toml", "README.md", "constraints.txt"):
        shutil.copy(ROOT / name, project / name)
    spec = "import sys; sys.path.insert(0, {!r}); import colab_install as c, json; c.ROOT = c.Path({!r}); " \
           "print(json.dumps(c.commands({}, {!r})))"
    cmds = json.loads(subprocess.run([str(venv / "bin" / "python"), "-c", spec.format(
        str(ROOT / "scripts"), str(project), False, str(tmp))], check=True, capture_output=True, text=True).stdout)
    pip = [str(venv / "bin" / "python"), glob.glob(str(tmp / "pip-*.whl"))[0] + "/pip"]  # a wheel runs as a zip
    return {"pip": pip, "project": project, "tmp": tmp, "cmd": cmds[0]}


def replay(colab, cmd, name: str):
    """pip's dry run of `cmd` (a colab_install command) in the stub venv: (exit code, output, report)."""
    report = colab["tmp"] / f"{name}.json"
    pip = [*colab["pip"], "install", "--dry-run", "--only-binary=:all:", "--report", str(report), "--retries", "2",
           "--timeout", "60", "--disable-pip-version-check"]
    done = subprocess.run([*pip, *cmd[cmd.index("install") + 1:]], cwd=colab["project"], capture_output=True,
                          text=True, timeout=600)
    out = done.stdout + done.stderr
    return done.returncode, out, json.loads(report.read_text()) if report.exists() else None


def test_vendored_list_is_colabs_gpu_runtime():
    pkgs = runtime()
    assert pkgs["torch"] == "2.11.0+cu128" and pkgs["traitlets"] == "5.7.1" and len(pkgs) > 600
    assert "2026-08-19" in FREEZE.read_text() and "Refresh" in FREEZE.read_text()


def test_the_install_resolves_on_colabs_packages_and_keeps_the_runtimes_own(colab):
    code, out, report = replay(colab, colab["cmd"], "new")
    assert code == 0, out[-3000:]
    installed = {r["metadata"]["name"].lower(): r["metadata"]["version"] for r in report["install"]}
    assert installed["unsloth"] == "2026.10.9" and installed["trl"] == "1.14.2"  # the pinned training stack
    kept = {"torch", "triton", "traitlets", "ipykernel", "ipython", "tornado", "jupyter-client", "nbclient"}
    assert not kept & set(installed), kept & set(installed)  # the kernel, torch and the notebook stack untouched


def test_with_every_pin_of_constraints_txt_it_cannot_resolve(colab):
    """The replay catches the conflict the Colab install had: constraints.txt's nbclient 0.11.0 needs traitlets >= 5.13,
    and the runtime keeps traitlets 5.7.1."""
    old = [str(ROOT / "constraints.txt") if a.endswith("runtime.txt") else a for a in colab["cmd"]]
    code, out, _ = replay(colab, old, "old")
    assert code != 0 and "ResolutionImpossible" in out and "traitlets" in out, out[-3000:]
