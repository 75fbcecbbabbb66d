"""GPU path check on a tiny randomly initialised model: Unsloth load + LoRA, generation, one SFT and one GRPO run.

Usage (on a CUDA machine with unsloth installed): python scripts/gpu_check.py TOKENIZER_DIR OUT_JSON [4bit]
Prints what happened at each stage and writes it as JSON; a failing stage is recorded, not hidden.
"""
import json
import os
import sys
import time
import traceback

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("UNSLOTH_DISABLE_AUTO_UPDATES", "1")
try:
    import unsloth  # noqa: F401  (Unsloth patches transformers/trl/peft, so it is imported first)
except ImportError as e:
    print("unsloth not importable:", e)
report = {}


def stage(name):
    def wrap(fn):
        start = time.time()
        try:
            report[name] = {"ok": True, "result": fn()}
        except Exception as e:  # record and go on: the report is the product here
            report[name] = {"ok": False, "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()[-3000:]}
        report[name]["seconds"] = round(time.time() - start, 1)
        print(f"== {name}: {json.dumps({k: v for k, v in report[name].items() if k != 'trace'}, default=str)[:1500]}", flush=True)
        return fn
    return wrap


tok_dir, out_json = sys.argv[1], sys.argv[2]
tiny = "/tmp/tiny-llama"


@stage("make_tiny_model")
def _():
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tok = AutoTokenizer.from_pretrained(tok_dir)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=256, intermediate_size=512, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=2048,
                      bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    torch.manual_seed(0)
    LlamaForCausalLM(cfg).save_pretrained(tiny)
    tok.save_pretrained(tiny)
    return {"torch": torch.__version__, "gpu": torch.cuda.get_device_name(0), "params": sum(p.numel() for p in LlamaForCausalLM(cfg).parameters())}


P = dict(seed=0, device="cuda", use_unsloth=True, load_in_4bit=sys.argv[3:] == ["4bit"], max_seq_length=512, lora_r=8, lora_alpha=16,
         save_steps=50, sft_batch_size=2, sft_grad_accum=1, sft_epochs=1, sft_lr=1e-3, grpo_batch_size=4,
         num_generations=4, max_completion_length=32, grpo_steps=2, grpo_lr=1e-4, grpo_beta=0.0, temperature=1.0)
state = {}


@stage("unsloth_load_lora")
def _():
    import gtalign_lite as gl
    import unsloth

    model, tok = gl.load_model(tiny, P)
    state["model"], state["tok"] = model, tok
    return {"unsloth": unsloth.__version__, "class": type(model).__name__, "device": str(next(model.parameters()).device),
            "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad)}


@stage("generate")
def _():
    import gtalign_lite as gl
    from gtalign_lite.generate import generate

    items = gl.offline_items("test", 1, prompt_style="compact")
    out = generate(state["model"], state["tok"], [it["prompt"] for it in items], max_new_tokens=16, batch_size=4, progress=False)
    return {"n": len(out), "first": out[0][:80]}


@stage("sft")
def _():
    import gtalign_lite as gl
    from gtalign_lite import train as tr

    items = gl.offline_items("train", 1, prompt_style="compact")
    t = tr.sft(state["model"], state["tok"], gl.sft_dataset(items), "/tmp/gpu-sft", P, resume=False)
    return tr.log_frame(t)[["step", "loss"]].to_dict("records")


@stage("grpo")
def _():
    import gtalign_lite as gl
    from gtalign_lite import train as tr

    ds = tr.grpo_dataset(gl.offline_items("train", 2, prompt_style="compact"), gl.RuleJudge())
    t = tr.grpo(state["model"], state["tok"], ds, gl.RewardFunctions(gl.RuleJudge()), "/tmp/gpu-grpo", P, resume=False)
    log = tr.log_frame(t)
    return log[[c for c in ("step", "loss", "reward", "completions/mean_length", "step_time") if c in log]].to_dict("records")


@stage("transformers_path_on_gpu")
def _():
    import gtalign_lite as gl

    model, tok = gl.load_model(tiny, {**P, "use_unsloth": False})
    return {"class": type(model).__name__, "device": str(next(model.parameters()).device)}


with open(out_json, "w") as f:
    json.dump(report, f, indent=2, default=str)
