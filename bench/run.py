"""Speed of gtalign_lite's generation, training and GRPO steps, each figure printed next to its target as a ratio
against a bound measured in the same run (the machine may be shared: bounds and figures are timed side by side).

Bounds: weight read = time to read every weight tensor of the model once (a norm of each: the floor of a decode
step, which must stream all weights); matmul = FLOP rate of a 2048^3 fp32 matmul (the floor for prefill/training).

Run: python bench/run.py              (embedded SmolLM2-135M on this machine; about 3-5 minutes on 2 cores)
     python bench/run.py --only decode prefill      (some sections)
     python bench/run.py --random-model qwen2.5-3b --device cuda   (random weights in the colab_t4 model's shapes)
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import torch
from transformers import StoppingCriteria, StoppingCriteriaList

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gtalign_lite.generate import chat_text, fast_generate, generate, layout, prefill_shared  # noqa: E402
from gtalign_lite.prompts import build_messages  # noqa: E402

SECTIONS = ("decode", "prefill", "prefix", "grpo", "eval")
QUESTIONS = ["What is the capital of France?", "Write a haiku about rain on a tin roof.",
             "Explain in detail how a bicycle gear system changes the effort needed to climb a steep hill, "
             "and what a rider should shift to on a long descent.", "Help?",
             "How do I sort a list of dictionaries by a key in Python?", "Is it safe to eat raw cookie dough?",
             "Plan a three-day trip to Rome for a family with two children who like history and gelato.",
             "What should I do?"]


def sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def best(fn, reps: int = 3, device: str = "cpu") -> float:
    """Fastest of `reps` timed calls (other jobs only ever add time)."""
    out = float("inf")
    for _ in range(reps):
        sync(device)
        t = time.perf_counter()
        fn()
        sync(device)
        out = min(out, time.perf_counter() - t)
    return out


def weight_read_s(model, device) -> float:
    """Seconds to read every weight tensor once (a norm of each; one fused kernel on a GPU), as a decode step must."""
    params = [p.detach() for p in model.parameters()]
    return best(lambda: torch._foreach_norm(params), 5, device)


def matmul_flops(device, dtype=torch.float32, n: int = 2048) -> float:
    """FLOP/s of an n^3 matmul in `dtype`."""
    a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
    a @ b
    return 2 * n ** 3 / best(lambda: a @ b, 3, device)


def row(name: str, value: str, target: str = "", ok: bool | None = None):
    mark = "" if ok is None else ("  OK" if ok else "  MISSED")
    print(f"  {name:<52} {value:<34} {target}{mark}", flush=True)


def fwd_flops_per_token(model, seq: int) -> float:
    """2 x parameters (embedding counted once: it is the tied lm_head) + causal attention."""
    c = model.config
    n = sum(p.numel() for p in model.parameters())
    return 2 * n + 2 * c.num_hidden_layers * seq * c.hidden_size


# Shapes for --random-model (random weights; speed depends on shapes only). Written out: no Hub access needed.
SHAPES = {
    "smollm2-135m": dict(model_type="llama", hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                         num_attention_heads=9, num_key_value_heads=3, vocab_size=49152, tie_word_embeddings=True,
                         rope_theta=100000.0, max_position_embeddings=8192, rms_norm_eps=1e-5),
    "qwen2.5-3b": dict(model_type="qwen2", hidden_size=2048, intermediate_size=11008, num_hidden_layers=36,
                       num_attention_heads=16, num_key_value_heads=2, vocab_size=151936, tie_word_embeddings=True,
                       rope_theta=1000000.0, max_position_embeddings=32768, rms_norm_eps=1e-6),
}


def load(args):
    from gtalign_lite.models import embedded_model_dir, load_model

    if args.random_model:
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

        shape = dict(SHAPES[args.random_model])
        config = AutoConfig.for_model(shape.pop("model_type"), **shape)
        tok = AutoTokenizer.from_pretrained(args.tokenizer or embedded_model_dir())
        tok.padding_side = "left"
        torch.manual_seed(0)
        dtype = torch.bfloat16 if args.device == "cuda" else torch.float32
        with torch.device(args.device):  # initialise in place: a 3B model is slow to initialise on a CPU
            model = AutoModelForCausalLM.from_config(config, dtype=dtype)
        model.generation_config.eos_token_id, model.generation_config.pad_token_id = tok.eos_token_id, tok.pad_token_id
        return model.to(args.device).eval(), tok
    model, tok = load_model("embedded", {"device": args.device, "dtype": "float32"}, lora=False)
    return model.eval(), tok


class StepClock(StoppingCriteria):
    """Records the time of every decode step (never stops generation)."""

    def __init__(self):
        self.times = []

    def __call__(self, input_ids, scores, **kwargs):
        self.times.append(time.perf_counter())
        return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)


def decode(model, tok, args, dtypes):
    """Per-token time of the package's generation path at batch 1/4/16, against the weight-read bound."""
    k = args.decode_tokens
    print(f"\n[decode] greedy, compact prompt, gtalign_lite.generate.fast_generate; step = median interval of {k} "
          "decode steps; bound timed just before and after; min of 2 runs")
    steps = {}
    for dtype in dtypes:
        m = model.to(dtype)
        for b in (1, 4, 16):
            rows = [tok(chat_text(tok, build_messages(q)), add_special_tokens=False)["input_ids"] for q in (QUESTIONS * 2)[:b]]
            ids, mask, _ = layout(rows, tok.pad_token_id, share_prefix=False)
            ids, mask = ids.to(args.device), mask.to(args.device)
            step = bound = float("inf")
            for _ in range(2):
                bound = min(bound, weight_read_s(m, args.device))
                clock = StepClock()
                with torch.no_grad():
                    fast_generate(m, tok, ids, mask, max_new_tokens=k + 1, min_new_tokens=k + 1, do_sample=False,
                                  pad_token_id=tok.pad_token_id, stopping_criteria=StoppingCriteriaList([clock]))
                step = min(step, statistics.median(b - a for a, b in zip(clock.times, clock.times[1:])))
                bound = min(bound, weight_read_s(m, args.device))
            steps[(dtype, b)] = step
            ok = step / bound <= 2 if b == 4 else None
            row(f"{str(dtype)[6:]} batch {b:>2}: ms/token, x weight read",
                f"{step * 1e3:6.1f} ms = {step / bound:4.2f} x {bound * 1e3:5.1f} ms",
                "target <= 2x at batch 4" if b == 4 else "", ok)
    model.to(dtypes[0])  # back to the loaded dtype (timings only: a bf16 round trip changes fp32 weights slightly)
    if args.device == "cpu":
        steps["folded"] = folded_vs_repeated(model, tok, args)
    return steps


def folded_vs_repeated(model, tok, args, batch: int = 16, context: int = 448) -> float:
    """Decode step at a GRPO rollout's size (16 rows, a 448-token context, half the rows 32 tokens shorter and
    left-padded, as prompts of different lengths are) with the query heads folded onto their KV heads (fast_generate
    on a CPU) against transformers' sdpa, which copies the KV cache per head whenever there is padding to mask."""
    k = args.decode_tokens
    ids = torch.randint(100, tok.vocab_size - 100, (batch, context))
    mask = torch.ones_like(ids)
    ids[::2, :32], mask[::2, :32] = tok.pad_token_id, 0
    kw = dict(max_new_tokens=k + 1, min_new_tokens=k + 1, do_sample=False, pad_token_id=tok.pad_token_id)
    timed = {}
    for name, run in (("repeat_kv", lambda **a: type(model).generate(model, input_ids=ids, attention_mask=mask, **a)),
                      ("folded", lambda **a: fast_generate(model, tok, ids, mask, share_prefix=False, **a))):
        timed[name] = float("inf")
        for _ in range(2):
            clock = StepClock()
            with torch.no_grad():
                run(stopping_criteria=StoppingCriteriaList([clock]), **kw)
            timed[name] = min(timed[name], statistics.median(b - a for a, b in zip(clock.times, clock.times[1:])))
    ratio = timed["repeat_kv"] / timed["folded"]
    row(f"batch {batch}, {context}-token context: repeat_kv / folded GQA step",
        f"{timed['repeat_kv'] * 1e3:6.1f} / {timed['folded'] * 1e3:6.1f} ms = {ratio:4.2f}x", "target >= 1x", ratio >= 1)
    return ratio


def prefill_train(model, tok, args, dtypes):
    """Forward and forward+backward tokens/s (LoRA and full) on packed rows (no padding) vs the fp32 matmul rate."""
    from peft import LoraConfig, get_peft_model

    from gtalign_lite.models import LORA_TARGETS

    b, s = args.train_batch, args.train_seq
    print(f"\n[prefill / training] {b} x {s} tokens, no padding; model FLOPs / fp32 {2048}^3 matmul rate, the best "
          "rate timed after every figure (a shared CPU only ever slows it)")
    rates = {torch.float32: 0.0, torch.bfloat16: 0.0}

    def bound():
        for dt in rates:
            rates[dt] = max(rates[dt], matmul_flops(args.device, dt))

    ids = torch.randint(100, tok.vocab_size - 100, (b, s), device=args.device)
    per_tok = fwd_flops_per_token(model, s)
    if args.device == "cpu":
        threads = torch.get_num_threads()
        for n in sorted({1, os.cpu_count()}):
            torch.set_num_threads(n)
            with torch.no_grad():
                t = best(lambda: model(input_ids=ids, use_cache=False), 2, args.device)
            row(f"thread setting: {n} thread(s), fp32 forward", f"{b * s / t:7.0f} tok/s, matmul "
                f"{matmul_flops(args.device) / 1e9:5.0f} GFLOP/s")
        torch.set_num_threads(threads)
    figures = []  # (name, tokens/s, model FLOP/s, dtype)
    for dtype in dtypes:
        ctx = (lambda: torch.autocast(args.device, dtype=dtype)) if dtype != torch.float32 else torch.enable_grad

        def fwd():
            with torch.no_grad(), ctx():
                model(input_ids=ids, use_cache=False)

        t = best(fwd, 2, args.device)
        figures.append((f"prefill (forward) {str(dtype)[6:]}", b * s / t, per_tok * b * s / t, dtype))
        bound()
        for kind in ("full", "lora"):
            model.requires_grad_(kind == "full")  # LoRA: peft freezes the base and trains the adapters
            m = model if kind == "full" else get_peft_model(model, LoraConfig(r=16, lora_alpha=32, target_modules=LORA_TARGETS))
            m.train()

            def fwd_bwd():
                with ctx():
                    loss = m(input_ids=ids, labels=ids, use_cache=False).loss
                loss.backward()
                m.zero_grad(set_to_none=True)

            t = best(fwd_bwd, 2, args.device)
            factor = 3 if kind == "full" else 2  # backward: input grads (+ weight grads when full)
            figures.append((f"forward+backward {kind} {str(dtype)[6:]}", b * s / t, factor * per_tok * b * s / t, dtype))
            bound()
            if kind == "lora":
                m.unload()  # back to the plain model, LoRA layers removed
            model.eval()
            model.requires_grad_(False)
    row("fp32 matmul rate (the bound)", f"{rates[torch.float32] / 1e9:7.0f} GFLOP/s")
    row("bf16 matmul rate (the bf16 rows' own bound, in brackets)", f"{rates[torch.bfloat16] / 1e9:7.0f} GFLOP/s")
    for name, tps, flops, dtype in figures:
        mfu = flops / rates[torch.float32]
        own = "" if dtype == torch.float32 else f" ({flops / rates[torch.bfloat16]:4.0%})"
        row(name, f"{tps:7.0f} tok/s = {mfu:5.0%}{own} of bound", "target >= 50%", mfu >= .5)
    return figures


def prefix(model, tok, args, decode_steps):
    """Prefill time with and without the shared-prefix cache: 4 rollouts of one prompt, 4 eval prompts."""
    print("\n[shared prefix] prefill seconds without / with KV reuse; end-to-end = adding "
          f"{args.rollout_tokens} decode steps at batch 4 (fp32 step measured above)")
    step = decode_steps.get((torch.float32, 4))
    for style in ("paper", "compact"):
        rows = [tok(chat_text(tok, build_messages(q, style=style)), add_special_tokens=False)["input_ids"] for q in QUESTIONS[:4]]
        for case, batch in (("rollouts x4 of one prompt", [rows[2]] * 4), ("eval, 4 prompts", rows)):
            def run(share):
                ids, mask, shared = layout(batch, tok.pad_token_id, share)
                ids, mask = ids.to(args.device), mask.to(args.device)
                upto = ids.shape[1] - 1 if case.startswith("rollouts") else shared

                def go():
                    with torch.no_grad():
                        cache = prefill_shared(model, ids, mask, upto) if share else None
                        model.generate(input_ids=ids, attention_mask=mask, past_key_values=cache, max_new_tokens=1,
                                       do_sample=False, pad_token_id=tok.pad_token_id)
                return go

            plain, reuse = best(run(False), 2, args.device), best(run(True), 2, args.device)
            e2e = ""
            if step:
                decode_s = args.rollout_tokens * step
                e2e = f"e2e {(plain + decode_s) / (reuse + decode_s):4.2f}x"
            row(f"{style:<7} {case} ({len(batch[0])} tok)", f"{plain:5.2f} / {reuse:5.2f} s = {plain / reuse:4.2f}x",
                e2e)


def grpo_overhead(model, tok, args):
    """GRPO step time / (generation alone + forward/backward alone for the same tokens), and the cap share."""
    from peft import LoraConfig, get_peft_model
    from transformers import TrainerCallback

    from gtalign_lite import train as tr
    from gtalign_lite.models import LORA_TARGETS

    n_gen, b, k = 4, args.grpo_batch, args.grpo_tokens
    print(f"\n[GRPO] TRL GRPOTrainer through gtalign_lite.train.grpo, batch {b} ({b // n_gen} prompts x {n_gen}), "
          f"{k} completion tokens forced (min = max) so that the alone-timings see the same tokens")
    m = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, target_modules=LORA_TARGETS))
    items = [{"prompt": build_messages(q)} for q in QUESTIONS[:b // n_gen] * 4]
    from datasets import Dataset

    ds = Dataset.from_list([{"prompt": it["prompt"]} for it in items])

    def length_reward(completions, **kw):
        return [float(len(c[0]["content"] if isinstance(c, list) else c)) for c in completions]

    times = []

    class Clock(TrainerCallback):
        def on_step_begin(self, *a, **kw):
            times.append(-time.perf_counter())

        def on_step_end(self, *a, **kw):
            times[-1] += time.perf_counter()

    P = dict(seed=0, save_steps=10_000, grpo_batch_size=b, num_generations=n_gen, max_completion_length=k,
             grpo_steps=args.grpo_steps, grpo_lr=1e-5, grpo_beta=0.0, temperature=1.0, device=args.device,
             generation_kwargs={"min_new_tokens": k})
    # alone: the same rollouts (through the package's rollout path) and one forward+backward over prompt +
    # completion with the trainer's precision and gradient checkpointing; timed before, between and after the
    # trainers and the fastest kept, so that a burst of other jobs cannot make the ratio look good
    rows = [tok(chat_text(tok, it["prompt"]), add_special_tokens=False)["input_ids"] for it in items[:b // n_gen]]
    rows = [r for r in rows for _ in range(n_gen)]
    ids, mask, _ = layout(rows, tok.pad_token_id, share_prefix=False)
    ids, mask = ids.to(args.device), mask.to(args.device)
    full = torch.cat([ids, torch.randint(100, 1000, (len(rows), k), device=args.device)], 1)
    full_mask = torch.cat([mask, torch.ones(len(rows), k, dtype=mask.dtype, device=args.device)], 1)
    with tempfile.TemporaryDirectory() as out:
        bf16 = tr._common(P, out)["bf16"]
    alone = {"gen": float("inf"), "fwd/bwd": float("inf")}

    def time_alone():
        def gen():
            with torch.no_grad():
                fast_generate(m, tok, ids, mask, max_new_tokens=k, min_new_tokens=k, do_sample=True,
                              pad_token_id=tok.pad_token_id)

        def fwd_bwd():
            m.train()
            with torch.autocast(args.device, dtype=torch.bfloat16, enabled=bf16):
                loss = m(input_ids=full, attention_mask=full_mask, labels=full, use_cache=False).loss
            loss.backward()
            m.zero_grad(set_to_none=True)

        m.base_model.model.gradient_checkpointing_enable({"use_reentrant": False})  # as TRL's default config
        alone["gen"] = min(alone["gen"], best(gen, 1, args.device))  # rollouts run without autocast, as in train.grpo
        alone["fwd/bwd"] = min(alone["fwd/bwd"], best(fwd_bwd, 1, args.device))

    time_alone()
    if args.grpo_plain:  # before: TRL's trainer as it comes (fp32 on a CPU, plain generate), same shapes
        from trl import GRPOConfig, GRPOTrainer

        with tempfile.TemporaryDirectory() as out:
            plain = GRPOConfig(output_dir=out, seed=0, logging_steps=1, report_to="none", save_strategy="no",
                               use_cpu=args.device == "cpu", bf16=args.device != "cpu", per_device_train_batch_size=b,
                               num_generations=n_gen, max_completion_length=k, max_steps=args.grpo_steps,
                               learning_rate=1e-5, beta=0.0, temperature=1.0, generation_kwargs={"min_new_tokens": k})
            GRPOTrainer(model=m, args=plain, train_dataset=ds, processing_class=tok, reward_funcs=[length_reward],
                        callbacks=[Clock()]).train()
        before, times[:] = min(times[1:]) if len(times) > 1 else times[0], []
        time_alone()
    with tempfile.TemporaryDirectory() as out:
        tr.grpo(m, tok, ds, SimpleNamespace(funcs=[length_reward], weights=[1.0]), out, P, resume=False,
                callbacks=[Clock()])
    step = min(times[1:]) if len(times) > 1 else times[0]
    time_alone()
    t_gen, t_fb = alone["gen"], alone["fwd/bwd"]
    ratio = step / (t_gen + t_fb)
    row(f"step {step:.2f} s / (gen {t_gen:.2f} s + fwd/bwd {t_fb:.2f} s)", f"{ratio:5.2f}", "target <= 1.2", ratio <= 1.2)
    if args.grpo_plain:
        row("step time before (plain TRL GRPOTrainer) / after", f"{before:.2f} / {step:.2f} s = {before / step:4.2f}x")
    m.unload()
    model.requires_grad_(False)
    model.eval()
    # share of rollouts that hit the cap: sampled at the profile temperature, stop at </response> or EOS
    cap = args.cap_tokens
    rows = [tok(chat_text(tok, build_messages(q)), add_special_tokens=False)["input_ids"] for q in QUESTIONS[:2]]
    rows = [r for r in rows for _ in range(n_gen)]
    ids, mask, _ = layout(rows, tok.pad_token_id, share_prefix=False)
    ids, mask = ids.to(args.device), mask.to(args.device)
    torch.manual_seed(0)
    with torch.no_grad():
        out = fast_generate(model, tok, ids, mask, stop="</response>", max_new_tokens=cap, do_sample=True,
                            temperature=0.9, pad_token_id=tok.pad_token_id)[:, ids.shape[1]:]
    eos = model.generation_config.eos_token_id
    eos = set(eos if isinstance(eos, list) else [eos])
    capped = sum(not (set(r) & eos) for r in out.tolist()) / len(out)
    row(f"rollouts hitting the {cap}-token cap (embedded, no SFT)", f"{capped:5.0%} of {len(out)}",
        "stop at </response> or EOS")


def eval_throughput(model, tok, args):
    """Batched, length-sorted greedy generation vs one item at a time."""
    n, k = len(QUESTIONS), args.eval_tokens
    print(f"\n[evaluation] {n} prompts, greedy, {k} new tokens at most, stop at </response>")
    msgs = [build_messages(q) for q in QUESTIONS]
    one = best(lambda: generate(model, tok, msgs, max_new_tokens=k, batch_size=1, stop="</response>", progress=False),
               1, args.device)
    batched = best(lambda: generate(model, tok, msgs, max_new_tokens=k, batch_size=n, stop="</response>",
                                    progress=False), 2, args.device)
    row(f"one at a time {one:.1f} s / batched+sorted {batched:.1f} s", f"{one / batched:5.2f}x", "target >= 3x",
        one / batched >= 3)
    if args.bf16 and args.eval_dtype_tokens:  # what gen_dtype=auto picks on hardware with native bf16 matmuls
        import copy

        k = args.eval_dtype_tokens
        half = copy.deepcopy(model).to(torch.bfloat16)
        texts = {}
        run = lambda m: texts.setdefault(m.dtype, generate(m, tok, msgs, max_new_tokens=k, batch_size=n,
                                                             stop="</response>", progress=False))
        fp32, bf16 = best(lambda: run(model), 1, args.device), best(lambda: run(half), 1, args.device)
        same = sum(a == b for a, b in zip(texts[torch.float32], texts[torch.bfloat16]))
        row(f"batched, {k} tokens at most: fp32 {fp32:.1f} s / bf16 weights {bf16:.1f} s", f"{fp32 / bf16:5.2f}x",
            f"same text {same} of {n}")
        del half


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="*", default=list(SECTIONS), choices=SECTIONS)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--random-model", default=None, choices=sorted(SHAPES), help="random weights in these shapes")
    ap.add_argument("--tokenizer", default=None, help="tokenizer folder for --random-model (default: the embedded one)")
    ap.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=True, help="also time bfloat16")
    ap.add_argument("--threads", type=int, default=0,
                    help="torch threads (default: torch's choice, or 1 when the load average shows other jobs)")
    ap.add_argument("--decode-tokens", type=int, default=16)
    ap.add_argument("--train-batch", type=int, default=4)
    ap.add_argument("--train-seq", type=int, default=256)
    ap.add_argument("--rollout-tokens", type=int, default=256, help="decode steps assumed for the e2e prefix figure")
    ap.add_argument("--grpo-batch", type=int, default=8)
    ap.add_argument("--grpo-tokens", type=int, default=32)
    ap.add_argument("--grpo-steps", type=int, default=3)
    ap.add_argument("--grpo-plain", action=argparse.BooleanOptionalAction, default=True,
                    help="also time plain TRL GRPOTrainer (the path before these optimisations)")
    ap.add_argument("--cap-tokens", type=int, default=64)
    ap.add_argument("--eval-tokens", type=int, default=32)
    ap.add_argument("--eval-dtype-tokens", type=int, default=320, help="cap of the fp32 vs bf16 evaluation figure (0: skip)")
    args = ap.parse_args(argv)
    start = time.time()
    model, tok = load(args)
    busy = os.getloadavg()[0] > 0.5 * os.cpu_count()
    if args.threads or (busy and args.device == "cpu"):
        # other jobs on the cores: 2 OpenMP threads that spin-wait for each other then run 2-10x slower than 1
        torch.set_num_threads(args.threads or 1)
    print(f"device {args.device}, torch {torch.__version__}, threads {torch.get_num_threads()}, OMP_WAIT_POLICY "
          f"{os.environ.get('OMP_WAIT_POLICY', 'unset')}, {sum(p.numel() for p in model.parameters()) / 1e6:.1f} M "
          f"parameters, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    base = model.dtype
    dtypes = [base] + ([torch.bfloat16] if args.bf16 and base != torch.bfloat16 else [])
    steps = {}
    if "decode" in args.only:
        steps = decode(model, tok, args, dtypes)
    if "prefill" in args.only:
        prefill_train(model, tok, args, dtypes)
    if "prefix" in args.only:
        prefix(model, tok, args, steps)
    if "grpo" in args.only:
        grpo_overhead(model, tok, args)
    if "eval" in args.only:
        eval_throughput(model, tok, args)
    if args.device == "cuda":
        print(f"\npeak GPU memory {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")
    print(f"\nbench wall time {time.time() - start:.0f} s, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
