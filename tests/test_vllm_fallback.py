"""When vLLM cannot build its engine (e.g. vLLM >= 0.28 without vllm-bnb-plugin for a 4-bit model), loading says so
and falls back to transformers rollouts; Unsloth is replaced by a stand-in that fails as unsloth_zoo does."""
import importlib.util
import sys
import types

import pytest
import torch

from gtalign_lite import models

ZOO_ERROR = ("Unsloth: vLLM >= 0.28 moved bitsandbytes out of tree. Install it with `pip install vllm-bnb-plugin` "
             "to use load_in_4bit with fast_inference.")  # unsloth_zoo 2026.10.9 vllm_utils.py


@pytest.fixture
def fake_gpu_with_vllm(monkeypatch, fake_gpu):
    calls = []

    class FastLanguageModel:
        @staticmethod
        def from_pretrained(path, **kw):
            calls.append(kw)
            if kw.get("fast_inference"):
                raise RuntimeError(ZOO_ERROR)
            if path == "broken":
                raise OSError("no such model")
            model = types.SimpleNamespace(config=types.SimpleNamespace(pad_token_id=None))
            return model, types.SimpleNamespace(pad_token="<pad>", pad_token_id=0, eos_token="</s>")

    find_spec = importlib.util.find_spec
    monkeypatch.setitem(sys.modules, "unsloth", types.SimpleNamespace(FastLanguageModel=FastLanguageModel))
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: object() if name == "vllm" else find_spec(name, *a))
    fake_gpu((7, 5))  # a T4
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: None)
    monkeypatch.setattr(models, "_vllm_failed", [])
    return calls


def test_engine_failure_falls_back_to_transformers_rollouts_and_says_so(fake_gpu_with_vllm, capsys):
    assert models.vllm_available()
    model, tok = models.load_model("unsloth/Qwen2.5-3B-Instruct-bnb-4bit", {"device": "cuda", "load_in_4bit": True},
                                   lora=False, rollouts=True)
    first, second = fake_gpu_with_vllm
    assert first["fast_inference"] is True and "fast_inference" not in second and second["load_in_4bit"] is True
    out = capsys.readouterr().out
    assert "vLLM could not build its engine" in out and "vllm-bnb-plugin" in out and "restart the runtime" in out
    assert not models.vllm_available()  # so GRPO (train.grpo) does not turn TRL's use_vllm on


def test_a_failure_without_vllm_is_not_swallowed(fake_gpu_with_vllm):
    with pytest.raises(OSError, match="no such model"):
        models.load_model("broken", {"device": "cuda"}, lora=False, rollouts=False)


def test_a_gpu_older_than_unsloth_supports_is_named(fake_gpu_with_vllm, monkeypatch):
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (6, 0))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "Tesla P100-PCIE-16GB")
    with pytest.raises(models.ModelSetupError, match="Tesla P100.*6.0.*T4"):
        models.load_model("unsloth/Qwen2.5-3B-Instruct-bnb-4bit", {"device": "cuda"}, lora=False)
