"""Install gtalign-lite's GPU path on Colab or Kaggle without replacing what the runtime ships.

Run from the repository root: python scripts/colab_install.py [--vllm] [--dry-run]; notebooks/00_colab.ipynb calls
install() in its own kernel, so pip's output and errors show in the cell.
- reads the GPU and driver first (nvidia-smi) and stops, before installing anything, where the GPU is older than
  Unsloth supports (compute capability < 7.0) or where --vllm is asked for but the pinned vLLM cannot run;
- installs the `colab` extra (training stack, Unsloth, bitsandbytes, papermill) with runtime_constraints(): the
  pins of constraints.txt less the runtime's own torch and Jupyter stack, which instead stay at the versions
  already there (upgrading those under a running kernel crashes it or leaves torch without a GPU);
- --vllm: also vLLM for GRPO rollouts (VLLM_PINS). vLLM pins its own torch, so this step replaces the runtime's
  torch: restart the runtime afterwards (said aloud);
- prints pip's output as it runs; on failure stops with pip's last lines; does nothing the second time (a marker
  file records what was done).
Standard library only: it runs before anything is installed.
"""
import argparse
import importlib.metadata as md
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = ROOT / ".colab-installed"
# what the runtime ships and must keep: torch and its CUDA siblings, the Jupyter kernel and the Colab frontend
KEEP = ("torch", "torchvision", "torchaudio", "triton", "ipykernel", "ipython", "tornado", "pyzmq", "jupyter-client",
        "jupyter-core", "jupyter-server", "traitlets", "prompt-toolkit", "notebook", "google-colab")
# constraints.txt pins that are not applied on a runtime: its notebook stack (nbclient 0.11.0 needs traitlets >= 5.13
# while Colab keeps 5.7.1: ResolutionImpossible) and CI, teaching and CPU-only tools the colab extra never installs
NOT_PINNED = ("nbclient", "nbval", "ipykernel", "jupyterlab", "otter-grader", "pytest", "hypothesis", "fastapi",
              "uvicorn", "openai", "starlette", "gguf", "nltk")
# vLLM for Unsloth's fast_inference with a 4-bit model: vLLM >= 0.28 needs the out-of-tree bitsandbytes plugin
# (unsloth_zoo raises otherwise); 0.30.0 is the newest vLLM that TRL 1.14.2 accepts. It requires torch 2.13.0,
# whose PyPI build is for CUDA 13.0: NVIDIA driver 580 or newer. No TRL/Unsloth release validates it below
# compute capability 8.0 (Unsloth's T4 notebooks pin vllm 0.11.2 with an older TRL): docs/gpu.md.
VLLM_PINS = ("vllm==0.30.0", "vllm-bnb-plugin==0.0.3")
VLLM_MIN_DRIVER, VLLM_MIN_CAPABILITY = 580, (8, 0)
UNSLOTH_MIN_CAPABILITY = (7, 0)


class InstallError(RuntimeError):
    """The install stopped; the message says why and what to do."""


def _name(requirement: str) -> str:
    """The normalised project name of a 'name==version' line."""
    return re.split(r"[=<>!~;\[ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def kept() -> list[str]:
    """name==version for each KEEP package installed here."""
    out = []
    for name in KEEP:
        try:
            out.append(f"{name}=={md.version(name)}")
        except md.PackageNotFoundError:
            pass
    return out


def runtime_constraints() -> list[str]:
    """The pins of constraints.txt applied on Colab/Kaggle: none on a kept or NOT_PINNED package."""
    lines = [ln.split("#")[0].strip() for ln in (ROOT / "constraints.txt").read_text().splitlines()]
    return [ln for ln in lines if "==" in ln and _name(ln) not in {*KEEP, *NOT_PINNED}]


def gpu() -> dict | None:
    """The first GPU's name, compute capability (major, minor) and driver version from nvidia-smi; None without one."""
    query = ["nvidia-smi", "--query-gpu=name,compute_cap,driver_version", "--format=csv,noheader"]
    try:
        out = subprocess.run(query, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0 or not out.stdout.strip():
        return None
    name, cap, driver = [f.strip() for f in out.stdout.splitlines()[0].split(",")]
    capability = tuple(int(x) for x in cap.split(".")) if re.fullmatch(r"\d+\.\d+", cap) else None
    return {"name": name, "capability": capability, "driver": driver}


def describe(g: dict | None) -> str:
    """One line about the GPU for the cell."""
    if g is None:
        return "no NVIDIA GPU seen (nvidia-smi)"
    cap = ".".join(map(str, g["capability"])) if g["capability"] else "unknown"
    return f"{g['name']}, compute capability {cap}, driver {g['driver']}"


def gpu_refusal(g: dict | None) -> str | None:
    """Why this runtime cannot run the GPU path at all, or None."""
    if g is None:
        return ("no NVIDIA GPU in this runtime. Colab: Runtime > Change runtime type > T4 GPU; Kaggle: Settings > "
                "Accelerator > GPU T4 x2. Then run this cell again.")
    if g["capability"] and g["capability"] < UNSLOTH_MIN_CAPABILITY:
        return (f"{g['name']} has compute capability {'.'.join(map(str, g['capability']))}; Unsloth and this torch "
                "need 7.0 or newer. Choose a T4 or newer (Kaggle: 'GPU T4 x2', not 'P100').")
    return None


def vllm_refusal(g: dict | None) -> str | None:
    """Why the pinned vLLM cannot run on this GPU and driver, or None."""
    why = gpu_refusal(g)
    if why:
        return why
    driver = int(g["driver"].split(".")[0]) if g["driver"].split(".")[0].isdigit() else 0
    if driver < VLLM_MIN_DRIVER:
        return (f"{VLLM_PINS[0]} installs torch 2.13.0 built for CUDA 13.0, which needs NVIDIA driver "
                f"{VLLM_MIN_DRIVER} or newer; this runtime has {describe(g)}. Installing it would leave torch without "
                "a GPU until a factory reset. Set vllm = False: GRPO then generates with transformers.")
    if g["capability"] is None or g["capability"] < VLLM_MIN_CAPABILITY:
        return (f"{VLLM_PINS[0]} with this TRL and Unsloth is not validated below compute capability 8.0 (this is "
                f"{describe(g)}); Unsloth's own T4 notebooks use an older vLLM and TRL. Set vllm = False: GRPO then "
                "generates with transformers.")
    return None


def commands(vllm: bool, folder) -> list[list[str]]:
    """The pip commands this install runs, in order; their constraint files are written into `folder`."""
    folder = Path(folder)
    (folder / "keep.txt").write_text("\n".join(kept()) + "\n")
    (folder / "runtime.txt").write_text("\n".join(runtime_constraints()) + "\n")
    pip = [sys.executable, "-m", "pip", "install", "--progress-bar", "off", "-c", str(folder / "runtime.txt")]
    cmds = [[*pip, "-c", str(folder / "keep.txt"), "-e", ".[colab]"]]
    if vllm:
        kernel = [k for k in kept() if not _name(k).startswith(("torch", "triton"))]  # vLLM brings its own torch
        (folder / "kernel.txt").write_text("\n".join(kernel) + "\n")
        cmds.append([*pip, "-c", str(folder / "kernel.txt"), *VLLM_PINS])
    return cmds


def run(cmd: list[str]) -> None:
    """Run pip, printing what it says as it goes (less 'already satisfied' lines); stop with its last lines on failure."""
    print("$", shlex.join(cmd[2:]), flush=True)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    said = []
    for line in proc.stdout:
        said.append(line.rstrip())
        if not line.startswith("Requirement already satisfied"):
            print(line, end="", flush=True)
    if proc.wait() != 0:
        tail = "\n".join(ln for ln in said if ln.strip())[-3000:].splitlines()[-15:]
        raise InstallError(f"pip failed (exit {proc.returncode}). Its last lines:\n" + "\n".join(tail) +
                           "\nNothing was marked installed: fix the cause and run this cell again.")


def install(vllm: bool = False, dry_run: bool = False) -> None:
    """The whole install (or with dry_run, the GPU line, kept versions and pip commands only); raises InstallError."""
    want = "vllm" if vllm else "base"
    if MARKER.exists() and want in MARKER.read_text().split() and not dry_run:
        print(f"already installed ({MARKER.name}: {MARKER.read_text().strip()}); delete it to install again")
        return
    g = gpu()
    print("GPU:", describe(g), flush=True)
    refusal = vllm_refusal(g) if vllm else gpu_refusal(g)
    if refusal and not dry_run:
        raise InstallError(f"Not installing: {refusal}")
    keep = kept()
    print("keeping the runtime's", ", ".join(keep) or "(none of the kept packages is installed here)", flush=True)
    with tempfile.TemporaryDirectory(prefix="colab-install-") as folder:
        for cmd in commands(vllm, folder):
            if dry_run:
                print("$", shlex.join(cmd[2:]))
            else:
                run(cmd)
    if dry_run:
        return
    MARKER.write_text(" ".join(sorted({*MARKER.read_text().split(), want} if MARKER.exists() else {want})) + "\n")
    if vllm:
        before = dict(k.split("==") for k in keep).get("torch", "not installed")
        print(f"\nvLLM installed; torch is now {md.version('torch')} (was {before}).\n"
              "RESTART THE RUNTIME NOW (Colab: Runtime > Restart session; Kaggle: Run > Restart & clear outputs), "
              "then run the notebook again from the top.", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vllm", action="store_true", help="also install vLLM for GRPO rollouts (restart needed)")
    ap.add_argument("--dry-run", action="store_true", help="print the GPU, kept versions and pip commands only")
    args = ap.parse_args(argv)
    try:
        install(args.vllm, args.dry_run)
    except InstallError as e:
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
