"""Pricing adaptation at inference: stop at </payoff>, re-price the matrix, re-choose, continue the same turn."""
from __future__ import annotations

import pandas as pd

from .game import select_action
from .generate import close_response, generate
from .parse import parse_completion
from .pricing import apply_pricing


def stage_one(model, tok, items: list[dict], max_new_tokens: int = 256, batch_size: int = 8) -> list[str]:
    """The assistant's turn up to and including </payoff> (cut there; later text is dropped)."""
    texts = generate(model, tok, [it["prompt"] for it in items], max_new_tokens=max_new_tokens,
                     batch_size=batch_size, stop="</payoff>", desc="stage 1: to </payoff>")
    return [t[: t.find("</payoff>") + len("</payoff>")] if "</payoff>" in t else t for t in texts]


def reprice(head: str, policy, expected_tokens=None, rule: str = "welfare"):
    """(original matrix, priced matrix, new key) from a stage-one head; None if its payoff does not parse."""
    c = parse_completion(head + "<analyze></analyze><response></response>")
    if c.payoff is None:
        return None
    priced = apply_pricing(c.payoff, policy, expected_tokens)
    qtype = c.question_type if c.question_type in ("DQ", "VQ") else None
    return c.payoff, priced, select_action(priced, qtype, rule)


def analyze_for(priced, key: str) -> str:
    """The <analyze> block the model is made to have written under the new prices."""
    cell = priced[key]
    return f"Under the new prices {key} gives LLM {cell.llm:.1f} and user {cell.user:.1f}, the best for both; I choose {key}."


def stage_two(model, tok, items: list[dict], heads: list[str], priced: list, keys: list[str],
              max_new_tokens: int = 160, batch_size: int = 8) -> list[str]:
    """Continue each turn: the head with the priced payoff, an analyze naming the new key, then <response>."""
    prefills = []
    for head, m, key in zip(heads, priced, keys):
        m = m.map(lambda k, c: (round(c.llm, 1), round(c.user, 1)))  # one decimal, as the model writes it
        start = head.rfind("<payoff>")
        prefills.append(f"{head[:start]}<payoff>{m.to_json()}</payoff>\n<analyze>{analyze_for(m, key)}</analyze>\n<response>")
    texts = generate(model, tok, [it["prompt"] for it in items], prefills, max_new_tokens=max_new_tokens,
                     batch_size=batch_size, stop="</response>", desc="stage 2: continue")
    return [close_response(t) for t in texts]


def price_sweep(matrices: list, question_types: list, policies: dict, expected_tokens=None,
                rules=("welfare", "nash")) -> pd.DataFrame:
    """For each policy (name -> policy) and rule: the chosen action and its LLM+user under the new prices."""
    rows = []
    for name, policy in policies.items():
        for rule in rules:
            for i, (m, q) in enumerate(zip(matrices, question_types)):
                priced = apply_pricing(m, policy, expected_tokens)
                key = select_action(priced, q, rule)
                rows.append({"policy": name, "rule": rule, "item": i, "key": key, "action": key[3:],
                             "welfare": priced[key].llm + priced[key].user, "user": priced[key].user,
                             "llm": priced[key].llm, **getattr(policy, "__dict__", {})})
    return pd.DataFrame(rows)


def pricing_on_model(model, tok, items: list[dict], heads: list[str], settings: list[tuple], expected_tokens=None,
                     rules=("welfare", "nash"), max_new_tokens: int = 160, batch_size: int = 8) -> pd.DataFrame:
    """Reprice the model's own stage-one matrices under each (axis, value, policy) setting and rule: the solver's
    pick (predicted) next to what the model's continued reply then does (replied, read from the reply's text).

    The reply is generated once per item and chosen key, with the first matrix that chose it: what the model
    writes after an <analyze> naming the key depends on the key, and the repriced numbers are alike across
    settings that choose it. Items whose payoff does not parse are left out (count them from `item`)."""
    from .judges import response_action

    rows, todo = [], {}
    for i, head in enumerate(heads):
        c = parse_completion(head + "<analyze></analyze><response></response>")
        if c.payoff is None:
            continue
        qtype = c.question_type if c.question_type in ("DQ", "VQ") else None
        for axis, value, policy in settings:
            priced = apply_pricing(c.payoff, policy, expected_tokens)
            for rule in rules:
                key = select_action(priced, qtype, rule)
                cell = priced[key]
                rows.append({"axis": axis, "value": value, "rule": rule, "item": i, "key": key, "predicted": key[3:],
                             "welfare": cell.llm + cell.user, "user": cell.user, "llm": cell.llm})
                todo.setdefault((i, key), priced)
    if not rows:
        return pd.DataFrame(columns=["axis", "value", "rule", "item", "key", "predicted", "replied", "welfare"])
    pairs = list(todo)
    texts = stage_two(model, tok, [items[i] for i, _ in pairs], [heads[i] for i, _ in pairs], [todo[p] for p in pairs],
                      [k for _, k in pairs], max_new_tokens, batch_size)
    replies = {p: parse_completion(t).response for p, t in zip(pairs, texts)}
    replied = {p: response_action(r) if r and r.strip() else None for p, r in replies.items()}  # empty: no action
    df = pd.DataFrame(rows)
    df["replied"] = [replied[(r.item, r.key)] for r in df.itertuples()]
    return df
