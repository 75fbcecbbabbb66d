"""Precision by GPU generation: bf16 from compute capability 8.0 (A100, L4, H100), fp16 below (T4 is 7.5), read
from the capability, not from torch.cuda.is_bf16_supported (True on a T4 through emulation)."""
import pytest
import torch

from gtalign_lite import models, train

# (name, compute capability, native bf16): NVIDIA's published capabilities
GPUS = [("Tesla T4", (7, 5), False), ("Tesla P100", (6, 0), False), ("V100", (7, 0), False),
        ("A100", (8, 0), True), ("L4", (8, 9), True), ("H100", (9, 0), True)]


@pytest.fixture
def gpu(monkeypatch):
    """Pretend a GPU of the given capability is present; is_bf16_supported says True everywhere, as torch's
    default (including emulation) does on a T4."""
    def fake(capability):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
        monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: True)
    return fake


@pytest.mark.parametrize("name, capability, bf16", GPUS)
def test_native_bf16_follows_the_compute_capability(gpu, name, capability, bf16):
    gpu(capability)
    assert models.native_bf16("cuda") is bf16
    assert models.inference_dtype("auto", "cuda") == (torch.bfloat16 if bf16 else torch.float16)


@pytest.mark.parametrize("name, capability, bf16", GPUS)
def test_training_runs_fp16_on_a_t4_and_bf16_from_ampere(gpu, name, capability, bf16, tmp_path):
    gpu(capability)
    args = train._common({"seed": 0, "save_steps": 5, "device": "cuda"}, tmp_path)
    assert (args["bf16"], args["fp16"], args["use_cpu"]) == (bf16, not bf16, False)


def test_cpu_never_picks_fp16(tmp_path):
    assert models.inference_dtype("auto", "cpu") in (torch.float32, torch.bfloat16)
    args = train._common({"seed": 0, "save_steps": 5, "device": "cpu"}, tmp_path)
    assert args["fp16"] is False and args["use_cpu"] is True


def test_explicit_choices_and_unsloth_dtype():
    assert models.inference_dtype("float16", "cpu") == torch.float16
    assert models.unsloth_dtype("auto") is None and models.unsloth_dtype("float16") == torch.float16
