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
