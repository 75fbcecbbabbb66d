"""Build what scripts/gpu_check.py needs on a GPU machine without network or model weights, within a size limit.

Run:  python scripts/gpu_bundle.py [--out dist/gpu-bundle] [--python-version 3.12] [--cuda 130] [--limit-mib 64]
It writes into --out: wheels/ (the GPU path's packages that a CUDA image with torch, transformers and accelerate
lacks, downloaded from the package index; Unsloth without its studio/ web app and bitsandbytes with only the library
for --cuda, repacked: together they would pass 64 MiB as published), repo.tar.gz (this checkout's committed files,
git archive), tokenizer/ (the embedded SmolLM2 tokenizer, saved small: --tokenizer for gpu_check) and install.sh.
It prints each part's size and stops with exit code 1 when the whole is over --limit-mib. On the GPU machine:
    bash install.sh && cd repo && python scripts/gpu_check.py --tokenizer ../tokenizer --stages ...
"""
import argparse
import base64
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# what such an image lacks (docs/gpu.md): versions from constraints.txt where it pins them
PACKAGES = ("trl", "peft", "datasets", "unsloth", "unsloth-zoo", "bitsandbytes", "cut-cross-entropy", "tyro",
            "msgspec", "math-verify", "latex2sympy2_extended", "antlr4-python3-runtime", "sacrebleu", "portalocker",
            "colorama", "hf-transfer", "docstring-parser", "typeguard", "shtab", "xxhash", "multiprocess", "dill")


def pins() -> dict:
    """{name: version} of constraints.txt."""
    lines = [ln.split("#")[0].strip() for ln in (ROOT / "constraints.txt").read_text().splitlines()]
    return {ln.split("==")[0].lower(): ln.split("==")[1] for ln in lines if "==" in ln}


def download(folder: Path, python_version: str) -> None:
    """The wheels of PACKAGES (no dependencies: the list names them) for Linux x86-64 and this Python."""
    pinned = pins()
    wanted = [f"{p}=={pinned[p.lower()]}" if p.lower() in pinned else p for p in PACKAGES]
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "--dest",
                    str(folder), "--python-version", python_version, "--implementation", "cp",
                    "--platform", "manylinux_2_28_x86_64", "--platform", "manylinux_2_17_x86_64",
                    "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_24_x86_64", *wanted], check=True)


def repack(wheel: Path, drop) -> int:
    """Rewrite `wheel` without the files for which drop(name) is true (RECORD kept consistent); bytes saved."""
    before = wheel.stat().st_size
    tmp = wheel.with_suffix(".tmp")
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        record = next(n for n in src.namelist() if n.endswith(".dist-info/RECORD"))
        rows = []
        for info in src.infolist():
            if drop(info.filename) or info.filename == record:
                continue
            data = src.read(info)
            copy = zipfile.ZipInfo(info.filename, info.date_time)
            copy.external_attr, copy.compress_type = info.external_attr, zipfile.ZIP_DEFLATED
            dst.writestr(copy, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            rows.append(f"{info.filename},sha256={digest},{len(data)}")
        dst.writestr(record, "\n".join([*rows, f"{record},,"]) + "\n")
    tmp.replace(wheel)
    return before - wheel.stat().st_size


def size(path: Path) -> int:
    """Bytes under path (a file or a folder)."""
    return path.stat().st_size if path.is_file() else sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "dist" / "gpu-bundle"))
    ap.add_argument("--python-version", default="3.12", help="the GPU machine's Python (major.minor)")
    ap.add_argument("--cuda", default="130", help="keep bitsandbytes' library for this CUDA (130: CUDA 13.0 torch)")
    ap.add_argument("--limit-mib", type=float, default=64.0)
    args = ap.parse_args(argv)
    out = Path(args.out)
    wheels = out / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    download(wheels, args.python_version)
    for wheel in wheels.glob("unsloth-*.whl"):
        print(f"{wheel.name}: {repack(wheel, lambda n: n.startswith('studio/') or '/studio/' in n) / 2**20:.1f} MiB "
              "less without studio/ (the web app)")
    for wheel in wheels.glob("bitsandbytes-*.whl"):
        keep = f"libbitsandbytes_cuda{args.cuda}.so"
        drop = lambda n: n.endswith((".so", ".dll", ".dylib")) and not n.endswith(keep)  # noqa: E731
        print(f"{wheel.name}: {repack(wheel, drop) / 2**20:.1f} MiB less with only {keep}")
    with open(out / "repo.tar.gz", "wb") as f:
        subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar.gz", "--prefix=repo/", "HEAD"], stdout=f,
                       check=True)
    from transformers import AutoTokenizer

    from gtalign_lite.models import embedded_model_dir

    AutoTokenizer.from_pretrained(str(embedded_model_dir())).save_pretrained(out / "tokenizer")
    (out / "install.sh").write_text(
        "set -e\ncd \"$(dirname \"$0\")\"\ntar xzf repo.tar.gz\n"
        "pip install --no-index --no-deps wheels/*.whl\npip install --no-index --no-deps --no-build-isolation -e repo\n"
        "export HF_HUB_OFFLINE=1 UNSLOTH_DISABLE_STATISTICS=1\n"
        "echo 'now: cd repo && python scripts/gpu_check.py --tokenizer ../tokenizer --shape 0.5b --stages ...'\n")
    parts = {"wheels": size(wheels), "repo.tar.gz": size(out / "repo.tar.gz"), "tokenizer": size(out / "tokenizer")}
    total = size(out)
    for name, n in parts.items():
        print(f"{name}: {n / 2**20:.1f} MiB")
    print(f"bundle {out}: {total / 2**20:.1f} MiB of {args.limit_mib:g} MiB allowed")
    return 0 if total <= args.limit_mib * 2**20 else 1


if __name__ == "__main__":
    sys.exit(main())
