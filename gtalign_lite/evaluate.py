"""Evaluation: generate on held-out items, score every completion, summarise and compare methods."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .generate import close_response, for_generation, generate
from .parse import parse_completion
from .rewards import score_completion
from .judges import response_action
from .behaviour import ASKS, behaviour

def item_key(item: dict) -> str:
    """An item's id for pairing methods: the paper rows' 'id', else the generated suite's 'uid'."""
    return item.get("id") or item.get("uid")


def score_texts(items: list[dict], texts: list[str], judge, method: str, variant: str = "cobb_douglas",
                tok=None) -> pd.DataFrame:
    """One row per completion: what it chose, how it was formatted, and its rewards (token counts when tok is given)."""
    from .judges import is_harmful

    count = (lambda s: len(tok(s, add_special_tokens=False)["input_ids"])) if tok is not None else (lambda s: None)
    rows = []
    for it, text in zip(items, texts):
        c = parse_completion(text)
        b = score_completion(it, c, judge, variant)
        did = behaviour(c.response)  # a plain refusal carries out a stated DA
        rows.append({
            "method": method, "eval_set": it.get("eval_set", "suite"), "uid": it.get("uid"), "id": item_key(it),
            "question": it.get("question") or str(item_key(it)),  # the distinct prompt: intervals resample these
            "family": it.get("family") or it.get("data_source"),
            "question_type": it.get("question_type"), "gold_action": it.get("gold_action"), "harmful": is_harmful(it),
            "pred_type": c.question_type, "chosen_action": c.action,
            "response_action": response_action(c.response) if c.response is not None else None,
            "behaviour": did, "asks": did in ASKS,
            "stated_matches": c.action is not None and c.action == {"refusal": "DA"}.get(did, did),
            "format_ok": c.format_ok, "gated": b.gated, "user": b.user, "llm": b.llm, "welfare": b.welfare,
            "answer_user": b.answer_user, "answer_llm": b.answer_llm, "judge_failed": math.isnan(b.welfare),
            "reasoning_chars": len(c.reasoning), "response_words": len((c.response or "").split()),
            "reasoning_tokens": count(c.reasoning), "response_tokens": count(c.response or ""), "text": text,
        })
    return pd.DataFrame(rows)


def evaluate(model, tok, items: list[dict], judge, method: str, max_new_tokens: int = 256, batch_size: int = 8,
             variant: str = "cobb_douglas", dtype: str | None = "auto", journal=None,
             journal_key: dict | None = None) -> pd.DataFrame:
    """Greedy completions for every item (batched, with a progress bar), scored by score_texts, with the decision
    token's P("VQ") (type_probability); the model is prepared by generate.for_generation (LoRA merged, weights in
    `dtype`: 'auto', 'float32', 'bfloat16'). journal: see generate (a stopped evaluation resumes batch by batch)."""
    model = for_generation(model, dtype)
    print(f"{method}: greedy evaluation with {str(model.dtype).replace('torch.', '')} weights (gen_dtype={dtype})")
    texts = generate(model, tok, [it["prompt"] for it in items], max_new_tokens=max_new_tokens, batch_size=batch_size,
                     stop="</response>", desc=f"eval {method}", journal=journal, journal_key=journal_key)
    df = score_texts(items, [close_response(t) if "</response>" in t else t for t in texts], judge, method, variant, tok)
    return df.assign(p_vq=type_probability(model, tok, items, batch_size, dtype=None))  # model already prepared


def evaluate_method(run, method: str, items: list[dict], judge, P: dict, load) -> pd.DataFrame:
    """evaluate() for one method of a run folder, kept per evaluation set in eval/methods/<method>-<set>.csv and
    reused while the adapter, items and settings are unchanged: an interrupted evaluation (resumed from its journal
    batch by batch), one more trained variant or one more evaluation set computes only what is new."""
    import json

    from .runs import content_hash

    adapter = run.adapter(method)
    restored = adapter is not None and not adapter.exists() and method in run.restored()
    frames, model, tok = [], None, None
    for name in dict.fromkeys(it.get("eval_set", "suite") for it in items):
        part = [it for it in items if it.get("eval_set", "suite") == name]
        key = {"ids": [item_key(it) for it in part], "seed": P["seed"], "variant": P["reward_variant"],
               "max_new_tokens": P["eval_max_new_tokens"], "dtype": P.get("gen_dtype", "auto"),
               "adapter_sha256": content_hash(adapter) if adapter and not restored else None,  # not mtime
               "table_version": 2}  # 2: behaviour, asks and p_vq columns
        path = run.eval / "methods" / f"{method}-{name}.csv"
        meta = path.with_suffix(".json")
        if path.exists() and meta.exists() and json.loads(meta.read_text()) == key:
            print(f"{method} on {name}: reusing {path} (same adapter, items and settings)")
            frames.append(pd.read_csv(path))
            continue
        if restored:
            raise RuntimeError(f"{method} on {name}: its rows were restored from a committed sweep record, but the "
                               f"items or settings changed since, and its adapter is not here; run the sweep with "
                               f"--fresh to train it again")
        if model is None:
            model, tok = load(None if adapter is None else str(adapter))
        journal = path.with_suffix(".journal.jsonl")  # generated texts so far, if this evaluation is stopped
        df = evaluate(model, tok, part, judge, method, P["eval_max_new_tokens"], P["eval_batch_size"], P["reward_variant"],
                      P.get("gen_dtype", "auto"), journal=journal, journal_key=key)
        df.insert(1, "seed", P["seed"])
        path.parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(path, index=False)
        meta.write_text(json.dumps(key))
        journal.unlink(missing_ok=True)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def type_probability(model, tok, items: list[dict], batch_size: int = 16, dtype: str | None = "auto") -> list[float]:
    """P("VQ") against P("DQ") for the first token of <thinking>, where the traces state the type: the model's
    decision before any sampling (an AUC over items shows conditioning before greedy choices flip)."""
    import torch

    from .generate import chat_text

    model = for_generation(model, dtype)
    ids = [tok(t, add_special_tokens=False)["input_ids"][0] for t in ("VQ", "DQ")]
    out, pad_side = [], tok.padding_side
    tok.padding_side = "left"
    try:
        for i in range(0, len(items), batch_size):
            texts = [chat_text(tok, it["prompt"], "<thinking>") for it in items[i:i + batch_size]]
            enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
            with torch.no_grad():
                logits = model(**enc).logits[:, -1, ids].float()
            out += torch.softmax(logits, -1)[:, 0].tolist()
    finally:
        tok.padding_side = pad_side
    return out


def sampled_format(model, tok, items: list[dict], n: int = 4, temperature: float = 0.9, max_new_tokens: int = 256,
                   batch_size: int = 16, seed: int = 0, dtype: str | None = "auto") -> dict:
    """Share of completions sampled as GRPO samples them (n per prompt, its temperature, cap and weights'
    precision) that close </response> and are well formed: below ~90% most GRPO groups are all gated to 0."""
    model = for_generation(model, dtype)
    prompts = [it["prompt"] for it in items for _ in range(n)]
    texts = generate(model, tok, prompts, max_new_tokens=max_new_tokens, batch_size=batch_size, stop="</response>",
                     temperature=temperature, seed=seed, desc=f"sample x{n} at T={temperature}")
    closed = [t.count("</response>") > 0 for t in texts]
    ok = [cl and parse_completion(close_response(t)).format_ok for cl, t in zip(closed, texts)]
    tokens = [len(tok(t, add_special_tokens=False)["input_ids"]) for t in texts]
    return {"completions": len(texts), "closed": float(np.mean(closed)), "well_formed_and_closed": float(np.mean(ok)),
            "mean_tokens": float(np.mean(tokens)), "max_tokens": int(max(tokens)), "cap": max_new_tokens}


def summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per method: answer score, U, L, W, format rate, lengths, action and type accuracy, judge failures.

    n counts every row, judge failures included; judge_fail_rate is their share of n; answer, U, L and W are
    means over the rows the judge scored (a failed row has no score, so it is not counted as a zero)."""
    g = df.groupby("method", sort=False)
    out = pd.DataFrame({
        "n": g.size(),
        "answer": g["answer_user"].mean(), "U": g["user"].mean(), "L": g["llm"].mean(), "W": g["welfare"].mean(),
        "format_rate": g["format_ok"].mean(),
        "action_acc": g.apply(lambda d: (d["chosen_action"] == d["gold_action"]).mean(), include_groups=False),
        "type_acc": g.apply(lambda d: (d["pred_type"] == d["question_type"]).mean(), include_groups=False),
        "response_words": g["response_words"].mean(), "reasoning_chars": g["reasoning_chars"].mean(),
        "judge_fail_rate": g["judge_failed"].mean(),
    })
    return out


def markdown(df: pd.DataFrame) -> str:
    """A DataFrame as a GitHub Markdown table (no tabulate dependency)."""
    d = df.reset_index()
    head = "| " + " | ".join(map(str, d.columns)) + " |\n|" + "---|" * len(d.columns) + "\n"
    return head + "".join("| " + " | ".join(map(str, r)) + " |\n" for r in d.itertuples(index=False))


CAPABILITY_GATE = 0.6  # pre-registered: share right among direct answers to clear validation items, per family


def capability_gate(df: pd.DataFrame) -> pd.DataFrame:
    """Per family, on clear benign items: how often the reply answers directly, and how often it is right when it
    does; a family under CAPABILITY_GATE is capability-limited (answering is not worth much there)."""
    clear = df[(df.question_type == "DQ") & ~df.harmful.astype(bool)]
    rows = []
    for family, d in clear.groupby("family", sort=True):
        answers = d[d.behaviour == "DA"]
        right = float(answers.answer_user.mean()) if len(answers) else float("nan")
        rows.append({"family": family, "items": len(d), "answers": len(answers), "answer_rate": len(answers) / len(d),
                     "right_when_answering": right, "gate": CAPABILITY_GATE, "passes": bool(right >= CAPABILITY_GATE)})
    return pd.DataFrame(rows)
