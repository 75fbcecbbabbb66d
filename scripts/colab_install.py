"""Install gtalign-lite's GPU path on Colab or Kaggle without replacing what the runtime ships.

Run from the repository root (the notebooks' first cell does): python scripts/colab_install.py [--vllm] [--dry-run]
- installs the `colab` extra (training stack, Unsloth, bitsandbytes, papermill; no CI or teaching packages) with
  constraints.txt, plus a constraint that keeps the runtime's own torch and Jupyter kernel packages at the
  versions already there (upgrading those under a running kernel crashes it or leaves torch without a GPU);
- --vllm: also vLLM for GRPO rollouts, VLLM_PINS below. vLLM pins its own torch, so this one step replaces the
  runtime's torch: the runtime must be restarted afterwards (said aloud), and if torch then sees no GPU the
  driver is older than that torch needs: factory-reset the runtime and install without --vllm;
- shows pip's whole output when pip fails; does nothing the second time (a marker file records what was done).
Standard library only: it runs before anything is installed.
"""
import argparse
import importlib.metadata as md
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = ROOT / ".colab-installed"
# what the runtime ships and must keep: torch and its CUDA siblings, the Jupyter kernel and the Colab frontend
KEEP = ("torch", "torchvision", "torchaudio", "triton", "ipykernel", "ipython", "tornado", "pyzmq", "jupyter-client",
        "jupyter-core", "jupyter-server", "traitlets", "prompt-toolkit", "notebook", "google-colab")
# vLLM for Unsloth's fast_inference with a 4-bit model: vLLM >= 0.28 needs the out-of-tree bitsandbytes plugin
# (unsloth_zoo raises otherwise); 0.30.0 is the newest vLLM that TRL 1.14.2 accepts. It requires torch 2.13.0.
VLLM_PINS = ("vllm==0.30.0", "vllm-bnb-plugin==0.0.3")


def kept() -> list[str]:
    """name==version for each KEEP package installed here."""
    out = []
    for name in KEEP:
        try:
            out.append(f"{name}=={md.version(name)}")
        except md.PackageNotFoundError:
            pass
    return out


def commands(vllm: bool, keep_file: str) -> list[list[str]]:
    """The pip commands this install runs, in order."""
    pip = [sys.executable, "-m", "pip", "install", "-c", "constraints.txt"]
    cmds = [[*pip, "-c", keep_file, "-e", ".[colab]"]]
    if vllm:
        kernel = [k for k in kept() if not k.startswith(("torch", "triton"))]  # vLLM brings its own torch
        cmds.append([*pip, "-c", _one("\n".join(kernel)), *VLLM_PINS])
    return cmds


def _one(requirement: str) -> str:
    """A temporary constraints file with these lines (pip takes constraints from files only)."""
    path = Path(tempfile.mkstemp(suffix=".txt", prefix="keep-")[1])
    path.write_text(requirement + "\n")
    return str(path)


def run(cmd: list[str]) -> None:
    """Run pip quietly; on failure print everything it said and stop with what to do."""
    print("$", " ".join(cmd[2:]), flush=True)
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stdout[-20000:], done.stderr[-20000:], sep="\n")
        raise SystemExit(f"pip failed (exit {done.returncode}); its output is above. Nothing was marked installed: "
                         "fix the cause and run this cell again.")
    print(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "ok", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vllm", action="store_true", help="also install vLLM for GRPO rollouts (restart needed)")
    ap.add_argument("--dry-run", action="store_true", help="print the kept versions and the pip commands only")
    args = ap.parse_args(argv)
    want = "vllm" if args.vllm else "base"
    if MARKER.exists() and want in MARKER.read_text().split() and not args.dry_run:
        print(f"already installed ({MARKER.name}: {MARKER.read_text().strip()}); delete it to install again")
        return 0
    keep = kept()
    keep_file = _one("\n".join(keep))
    print("keeping the runtime's", ", ".join(keep) or "(none of the kept packages is installed here)")
    before = dict(k.split("==") for k in keep)
    for cmd in commands(args.vllm, keep_file):
        if args.dry_run:
            print("$", " ".join(cmd[2:]))
        else:
            run(cmd)
    if args.dry_run:
        return 0
    MARKER.write_text(" ".join(sorted({*MARKER.read_text().split(), want} if MARKER.exists() else {want})) + "\n")
    if args.vllm:
        now = md.version("torch")
        print(f"\nvLLM installed; torch is now {now} (was {before.get('torch', 'not installed')}).\n"
              "RESTART THE RUNTIME NOW (Colab: Runtime > Restart session; Kaggle: Run > Restart & clear outputs), "
              "then run the notebook again from the top. If torch then sees no GPU, this runtime's driver is older "
              "than that torch needs: factory-reset the runtime and install without --vllm (GRPO then generates "
              "with transformers).", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
