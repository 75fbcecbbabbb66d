"""scripts/gpu_bundle.py's repacking: files left out of a wheel, its RECORD rewritten to match, and pip still installs
it (a small wheel made here, so no download)."""
import base64
import hashlib
import importlib.util
import subprocess
import sys
import zipfile

from conftest import ROOT

spec = importlib.util.spec_from_file_location("gpu_bundle", ROOT / "scripts" / "gpu_bundle.py")
gpu_bundle = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gpu_bundle)


def test_repacked_wheel_drops_the_files_and_installs(tmp_path):
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    files = {"demo/__init__.py": b"x = 1\n", "studio/app.js": b"0" * 50_000, "demo/lib_cuda130.so": b"so",
             "demo/lib_cuda126.so": b"1" * 20_000,
             "demo-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n",
             "demo-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    with zipfile.ZipFile(wheel, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
        z.writestr("demo-1.0.dist-info/RECORD", "".join(f"{n},,\n" for n in files) + "demo-1.0.dist-info/RECORD,,\n")
    saved = gpu_bundle.repack(wheel, lambda n: n.startswith("studio/") or n.endswith("cuda126.so"))
    assert saved > 0
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        record = z.read("demo-1.0.dist-info/RECORD").decode().splitlines()
    assert names == {"demo/__init__.py", "demo/lib_cuda130.so", "demo-1.0.dist-info/METADATA",
                     "demo-1.0.dist-info/WHEEL", "demo-1.0.dist-info/RECORD"}
    sha = base64.urlsafe_b64encode(hashlib.sha256(b"x = 1\n").digest()).rstrip(b"=").decode()
    assert f"demo/__init__.py,sha256={sha},6" in record and "demo-1.0.dist-info/RECORD,," in record
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--target",
                           str(tmp_path / "site"), str(wheel)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "site" / "demo" / "__init__.py").read_text() == "x = 1\n"
    assert not (tmp_path / "site" / "studio").exists()


def test_the_bundle_names_what_gpu_check_imports():
    assert {"trl", "peft", "datasets", "unsloth", "unsloth-zoo", "bitsandbytes", "cut-cross-entropy"} <= \
        set(gpu_bundle.PACKAGES)
    assert gpu_bundle.pins()["unsloth"] == "2026.10.9"  # the versions constraints.txt checked
