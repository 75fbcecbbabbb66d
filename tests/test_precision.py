"""Precision by GPU generation: bf16 from compute capability 8.0 (A100, L4, H100), fp16 below (T4 is 7.5), read
from the capability, not from torch.cuda.is_bf16_supported (True on a T4 through emulation)."""
import pytest
import torch

from gtalign_lite import models, train

# (name, compute capability, native bf16): NVIDIA's published capabilities
GPUS = [("Tesla T4", (7, 5), False), ("Tesla P100", (6, 0), False), ("V100", (7, 0), False),
        ("A100", (8, 0), True), ("L4", (8, 9), True), ("H100", (9, 0), True)]


def _sft_params(device: str) -> train.SFTParams:
    return train.SFTParams(seed=0, batch_size=1, grad_accum=1, epochs=1, lr=1e-4, max_seq_length=64, save_steps=5,
                           device=device)


@pytest.mark.parametrize("name, capability, bf16", GPUS)
def test_native_bf16_follows_the_compute_capability(fake_gpu, name, capability, bf16):
    fake_gpu(capability)
    assert models.native_bf16("cuda") is bf16
    assert models.inference_dtype("auto", "cuda") == (torch.bfloat16 if bf16 else torch.float16)


@pytest.mark.parametrize("name, capability, bf16", GPUS)
def test_training_runs_fp16_on_a_t4_and_bf16_from_ampere(fake_gpu, name, capability, bf16, tmp_path):
    fake_gpu(capability)
    args = train._common(_sft_params("cuda"), tmp_path)
    assert (args["bf16"], args["fp16"], args["use_cpu"]) == (bf16, not bf16, False)


def test_cpu_never_picks_fp16(tmp_path):
    assert models.inference_dtype("auto", "cpu") in (torch.float32, torch.bfloat16)
    args = train._common(_sft_params("cpu"), tmp_path)
    assert args["fp16"] is False and args["use_cpu"] is True


def test_explicit_choices_and_unsloth_dtype():
    assert models.inference_dtype("float16", "cpu") == torch.float16
    assert models.unsloth_dtype("auto") is None and models.unsloth_dtype("float16") == torch.float16
