"""Batched generation that can continue a prefilled assistant turn (used by evaluation and pricing)."""
from __future__ import annotations

import torch
from tqdm.auto import tqdm


def chat_text(tok, messages: list[dict], prefill: str = "") -> str:
    """The chat template up to the assistant's turn, plus text the assistant has already 'said'."""
    return tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True) + prefill


@torch.no_grad()
def generate(model, tok, prompts: list[list[dict]], prefills: list[str] | None = None, max_new_tokens: int = 256,
             batch_size: int = 8, stop: str | None = None, temperature: float = 0.0, seed: int = 0,
             progress: bool = True, desc: str = "generate") -> list[str]:
    """Assistant text for each prompt: its prefill followed by what the model adds (greedy by default)."""
    prefills = prefills or [""] * len(prompts)
    if len(prefills) != len(prompts):
        raise ValueError(f"{len(prefills)} prefills for {len(prompts)} prompts")
    torch.manual_seed(seed)
    model.eval()
    device = next(model.parameters()).device
    out = []
    bar = tqdm(range(0, len(prompts), batch_size), desc=desc, disable=not progress)
    for start in bar:
        texts = [chat_text(tok, p, f) for p, f in zip(prompts[start:start + batch_size], prefills[start:start + batch_size])]
        enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(device)
        kwargs = dict(max_new_tokens=max_new_tokens, pad_token_id=tok.pad_token_id)
        kwargs.update(do_sample=True, temperature=temperature) if temperature > 0 else kwargs.update(do_sample=False)
        if stop:
            kwargs.update(stop_strings=[stop], tokenizer=tok)
        ids = model.generate(**enc, **kwargs)[:, enc["input_ids"].shape[1]:]
        for f, new in zip(prefills[start:start + batch_size], tok.batch_decode(ids, skip_special_tokens=True)):
            out.append(f + new)
    return out


def close_response(text: str) -> str:
    """Cut at the first </response> (what follows is not part of the turn), or add it if generation ran out."""
    i = text.find("</response>")
    if i >= 0:
        return text[: i + len("</response>")]
    return text + "</response>" if "<response>" in text else text
