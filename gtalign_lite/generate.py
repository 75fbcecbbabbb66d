"""Batched generation for evaluation, pricing and GRPO rollouts: length-sorted batches, each sequence stopped
at a stop string or EOS, and the prompt part that rows share prefilled once (its KV cache reused)."""
from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path

import torch
from tqdm.auto import tqdm
from transformers import AttentionInterface, DynamicCache, LogitsProcessor, LogitsProcessorList
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

MIN_SHARED = 16  # tokens: below this a shared prefix is not worth a separate prefill
FOLDED_SDPA = "sdpa_folded_gqa"  # the attention name CPU decoding switches to (folded_gqa)


def sdpa_folded_gqa(module, query, key, value, attention_mask, dropout=0.0, scaling=None, **kwargs):
    """transformers' sdpa attention, except in a one-token decode step of a grouped-query model: there the query
    heads that share a key/value head become SDPA's query axis, instead of repeat_kv copying the whole KV cache
    per head in every layer at every step (a fifth of CPU rollout time in py-spy). The same sums, same tokens."""
    b, heads, q, d = query.shape
    kv_heads = key.shape[1]
    if q != 1 or heads == kv_heads or dropout or kwargs.get("position_bias") is not None:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling,
                                      **kwargs)
    out = torch.nn.functional.scaled_dot_product_attention(
        query.reshape(b, kv_heads, heads // kv_heads, d), key, value, attn_mask=attention_mask, scale=scaling)
    return out.reshape(b, heads, 1, d).transpose(1, 2).contiguous(), None


AttentionInterface.register(FOLDED_SDPA, sdpa_folded_gqa)
AttentionMaskInterface.register(FOLDED_SDPA, sdpa_mask)  # without a mask function transformers passes no mask at all


@contextlib.contextmanager
def folded_gqa(model):
    """Inside the block, a grouped-query model on a CPU with sdpa attention decodes through sdpa_folded_gqa
    (bench/run.py --only decode: its speed beside repeat_kv's); other models and devices are left as they are."""
    config = model.config
    swap = (next(model.parameters()).device.type == "cpu" and config._attn_implementation == "sdpa"
            and getattr(config, "num_key_value_heads", None) not in (None, config.num_attention_heads))
    if swap:
        config._attn_implementation = FOLDED_SDPA
    try:
        yield
    finally:
        if swap:
            config._attn_implementation = "sdpa"


def chat_text(tok, messages: list[dict], prefill: str = "") -> str:
    """The chat template up to the assistant's turn, plus text the assistant has already 'said'."""
    return tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True) + prefill


def common_prefix(rows: list[list[int]]) -> int:
    """Length of the token prefix that every row starts with."""
    n = min(len(r) for r in rows)
    for i in range(n):
        t = rows[0][i]
        if any(r[i] != t for r in rows):
            return i
    return n


def layout(rows: list[list[int]], pad_id: int, share_prefix: bool = True) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(input_ids, attention_mask, shared): rows left-padded; with share_prefix and a common prefix of at least
    MIN_SHARED tokens the padding goes after that prefix (prefix | pads | rest), so its columns are equal in
    every row. Masked pads change no output: position ids come from the mask."""
    shared = min(common_prefix(rows), min(len(r) for r in rows) - 1) if share_prefix and len(rows) > 1 else 0
    shared = shared if shared >= MIN_SHARED else 0
    width = max(len(r) for r in rows) - shared
    ids = torch.full((len(rows), shared + width), pad_id, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for i, r in enumerate(rows):
        ids[i, :shared], mask[i, :shared] = torch.tensor(r[:shared]), 1
        rest = r[shared:]
        ids[i, ids.shape[1] - len(rest):], mask[i, ids.shape[1] - len(rest):] = torch.tensor(rest), 1
    return ids, mask, shared


@torch.no_grad()
def prefill_shared(model, input_ids: torch.Tensor, attention_mask: torch.Tensor, upto: int) -> DynamicCache | None:
    """KV cache of columns [0, upto) computed once per distinct row and copied to the rows that repeat it
    (GRPO: n rollouts of one prompt; evaluation: the shared system prefix). None when nothing repeats."""
    if upto < MIN_SHARED:
        return None
    unique, inverse = torch.unique(input_ids[:, :upto], dim=0, return_inverse=True)
    if len(unique) == len(input_ids):
        return None
    first = torch.empty(len(unique), dtype=torch.long)
    first[inverse] = torch.arange(len(inverse))  # one row standing for each distinct prefix
    mask = attention_mask[first, :upto]
    position_ids = (mask.cumsum(-1) - 1).clamp(min=0)
    cache = DynamicCache(config=model.config)
    model(input_ids=input_ids[first, :upto], attention_mask=mask, position_ids=position_ids,
          past_key_values=cache, use_cache=True)
    cache.batch_select_indices(inverse.to(input_ids.device))
    return cache


class EndAfterStop(LogitsProcessor):
    """Force EOS right after a row's new text contains `stop`, so the sequence ends there with a real EOS
    (what GRPO needs to mask the rest and to count it as finished, not clipped)."""

    def __init__(self, tok, stop: str, eos_id: int, window: int = 8):
        self.tok, self.stop, self.eos_id, self.window, self.start = tok, stop, eos_id, window, None

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        if self.start is None:
            self.start = input_ids.shape[1]
        lo = max(self.start, input_ids.shape[1] - self.window)
        if lo == input_ids.shape[1]:
            return scores
        done = [self.stop in t for t in self.tok.batch_decode(input_ids[:, lo:])]
        if any(done):
            rows = torch.tensor(done, device=scores.device)
            forced = torch.full_like(scores[0], float("-inf"))
            forced[self.eos_id] = 0.0
            scores = torch.where(rows[:, None], forced, scores)
        return scores


def share_by_default(device) -> bool:
    """Shared-prefix prefill pays on a CPU (prefill is compute-bound there); on a GPU the prompt's prefill is
    a few ms and the extra forward call costs more than it saves (bench/run.py: 0.5-0.9x on an H100)."""
    return torch.device(device).type == "cpu"


def fast_generate(model, tok, input_ids, attention_mask, stop: str | None = None, share_prefix: bool | None = None,
                  **kwargs):
    """model.generate with the repeated prompt part prefilled once (default: on a CPU) and, if `stop` is given,
    EOS forced after it."""
    share_prefix = share_by_default(input_ids.device) if share_prefix is None else share_prefix
    if stop:
        eos = model.generation_config.eos_token_id
        eos = eos[0] if isinstance(eos, list) else eos
        kwargs["logits_processor"] = LogitsProcessorList([*kwargs.get("logits_processor", []), EndAfterStop(tok, stop, eos)])
    with folded_gqa(model):
        cache = prefill_shared(model, input_ids, attention_mask, input_ids.shape[1] - 1) if share_prefix else None
        # the class's generate, so that this works while rollouts_via_fast_generate has replaced model.generate
        return type(model).generate(model, input_ids=input_ids, attention_mask=attention_mask, past_key_values=cache,
                                    **kwargs)


def quantised(model) -> bool:
    """Whether the weights are quantised (4-bit, 8-bit): those are never cast to another dtype."""
    return bool(getattr(model, "is_quantized", False) or getattr(model, "is_loaded_in_4bit", False))


def for_generation(model, dtype: str | None = "auto"):
    """The model to generate with: LoRA merged in (same outputs, faster decoding) and the weights cast to
    models.inference_dtype(dtype), unless the base is quantised: there the LoRA stays attached, since merging
    re-quantises the sum and rounds most of a trained update away. Changes `model`: for models loaded to
    generate only."""
    from .models import inference_dtype

    if hasattr(model, "merge_and_unload") and not quantised(model):
        model = model.merge_and_unload()
    if dtype is not None and not quantised(model):
        model = model.to(inference_dtype(dtype, str(next(model.parameters()).device)))
    return model


@torch.no_grad()
def merged_copy(model, dtype: torch.dtype, into=None):
    """A plain copy of `model` (peft LoRA or not) in `dtype` with the LoRA weights merged; `into`, an earlier
    copy, is refreshed in place. GRPO rollouts decode with it (bf16 here: native matmuls, bench/run.py) while
    training keeps its fp32 weights and adapters untouched."""
    from peft.tuners.lora import LoraLayer

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    if into is None:
        into = type(base)._from_config(base.config, dtype=dtype).to(next(base.parameters()).device).eval()
        into.generation_config = base.generation_config
    target = dict(into.named_parameters())
    for name, p in base.named_parameters():
        if "lora_" not in name:
            target[name.replace(".base_layer", "")].copy_(p)
    for name, m in base.named_modules():
        if isinstance(m, LoraLayer) and not m.merged:
            delta = sum(m.get_delta_weight(a) for a in m.active_adapters if a in m.lora_A)
            target[f"{name}.weight"].copy_(m.base_layer.weight + delta)
    return into


@contextlib.contextmanager
def rollouts_via_fast_generate(model, tok, stop: str | None, share_prefix: bool | None = None, generator=None):
    """Inside the block, model.generate (what TRL calls for rollouts) goes through fast_generate, decoding
    with `generator` (e.g. a merged_copy of model) when given."""
    generator = model if generator is None else generator
    model.generate = lambda input_ids=None, attention_mask=None, **kw: fast_generate(
        generator, tok, input_ids, attention_mask, stop, share_prefix, **kw)
    try:
        yield
    finally:
        del model.generate  # back to the class's method


@torch.no_grad()
def generate(model, tok, prompts: list[list[dict]], prefills: list[str] | None = None, max_new_tokens: int = 256,
             batch_size: int = 8, stop: str | None = None, temperature: float = 0.0, seed: int = 0,
             progress: bool = True, desc: str = "generate", share_prefix: bool | None = None, sort: bool = True,
             min_new_tokens: int = 0, journal: Path | None = None, journal_key: dict | None = None) -> list[str]:
    """Assistant text for each prompt: its prefill followed by what the model adds (greedy by default).

    Prompts run longest first in batches of similar length (less padding, fewer finished rows riding along);
    each row stops at `stop` or EOS; the prompt prefix a batch shares is prefilled once (default: on a CPU).
    Output keeps input order. journal (greedy only): each finished batch is appended to this JSONL file, and a run
    with the same prompts, settings and journal_key (the caller's: which model) skips the batches it holds, so a
    stopped evaluation resumes batch by batch with the text it would have produced anyway.
    """
    prefills = prefills or [""] * len(prompts)
    if len(prefills) != len(prompts):
        raise ValueError(f"{len(prefills)} prefills for {len(prompts)} prompts")
    torch.manual_seed(seed)
    model.eval()
    device = next(model.parameters()).device
    share_prefix = share_by_default(device) if share_prefix is None else share_prefix
    rows = [tok(chat_text(tok, p, f), add_special_tokens=False)["input_ids"] for p, f in zip(prompts, prefills)]
    order = sorted(range(len(rows)), key=lambda i: -len(rows[i])) if sort else list(range(len(rows)))
    kwargs = dict(max_new_tokens=max_new_tokens, min_new_tokens=min_new_tokens, pad_token_id=tok.pad_token_id)
    kwargs.update(do_sample=True, temperature=temperature) if temperature > 0 else kwargs.update(do_sample=False)
    if stop:
        kwargs.update(stop_strings=[stop], tokenizer=tok)
    out = [""] * len(rows)
    done = {}
    if journal is not None:
        if temperature > 0:
            raise ValueError("a generation journal resumes greedy decoding only (sampling would draw other text)")
        header = {"key": journal_key, "rows": rows, "prefills": prefills, "batch_size": batch_size, "sort": sort,
                  "kwargs": {k: v for k, v in kwargs.items() if k != "tokenizer"}}
        done = _read_journal(Path(journal), header)
    for start in tqdm(range(0, len(rows), batch_size), desc=desc, disable=not progress):
        idx = order[start:start + batch_size]
        if all(i in done for i in idx):
            for i in idx:
                out[i] = done[i]
            continue
        ids, mask, shared = layout([rows[i] for i in idx], tok.pad_token_id, share_prefix)
        ids, mask = ids.to(device), mask.to(device)
        with folded_gqa(model):
            cache = prefill_shared(model, ids, mask, shared) if shared else None
            new = model.generate(input_ids=ids, attention_mask=mask, past_key_values=cache, **kwargs)[:, ids.shape[1]:]
        for i, text in zip(idx, tok.batch_decode(new, skip_special_tokens=True)):
            out[i] = prefills[i] + text
        if journal is not None:
            with open(journal, "a") as f:
                f.writelines(json.dumps({"i": i, "text": out[i]}) + "\n" for i in idx)
    return out


def _read_journal(path: Path, header: dict) -> dict[int, str]:
    """The texts a journal holds, by prompt index; a journal of other prompts or settings is started afresh."""
    stamp = hashlib.sha256(json.dumps(header, sort_keys=True, default=str).encode()).hexdigest()
    lines = path.read_text().splitlines() if path.exists() else []
    if not lines or json.loads(lines[0]).get("journal") != stamp:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"journal": stamp}) + "\n")
        return {}
    done, good = {}, lines[:1]
    for line in lines[1:]:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:  # the last line of a run stopped while writing: drop it
            path.write_text("\n".join(good) + "\n")
            break
        done[row["i"]] = row["text"]
        good.append(line)
    if done:
        print(f"resuming from {path}: {len(done)} of the texts generated before", flush=True)
    return done


def close_response(text: str) -> str:
    """Cut at the first </response> (what follows is not part of the turn), or add it if generation ran out."""
    i = text.find("</response>")
    if i >= 0:
        return text[: i + len("</response>")]
    return text + "</response>" if "<response>" in text else text
