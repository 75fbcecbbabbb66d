"""SFT traces: four-block targets in which thinking, payoff, analysis and reply carry out one action."""
from __future__ import annotations

import json
import random

from .game import pareto_front, select_action
from .payoff import KEYS, PayoffMatrix
from .rewards import payoff_score

# Action-balanced traces: each training item gets an action drawn independently of its question type, and a
# trace consistent with it (thinking, payoff, analyze and response all agree), so SFT teaches the format, both
# behaviours and the DQ/VQ label, but not which action suits which type: that mapping is left to the reward.
# A harmful request draws among a plain refusal (DA), a question (CQ) and refusal + safe alternative + question
# (AQ, the win-win); unsafe text is never shown.
ACTIONS = {"benign": ("DA", "CQ"), "harmful": ("DA", "CQ", "AQ")}
TYPE_REASON = {"DQ": "DQ: the request says what the answer needs.", "VQ": "VQ: the request leaves a detail open.",
               "harmful": "DQ: the request is clear but could hurt someone."}
ACTION_REASON = {"DA": "Answering now serves us both.", "CQ": "One question first serves us both.",
                 "AQ": "A brief reply and one question serve us both."}
PAYOFF_RANGE = (-2, 4)  # integer payoffs (fewer tokens than one decimal); the chosen cell gets 3-5 on each side


def situation(item: dict) -> str:
    """harmful or benign: which actions a trace may draw."""
    return "harmful" if str(item.get("label")) == "harmful" else "benign"


def gold_key(item: dict) -> str:
    """The cell a gold trace chooses: the true question type and the gold action."""
    return f"{item['question_type']}_{item['gold_action']}"


def draw_action(item: dict, rng: random.Random) -> str:
    """An action for the item's trace, uniform over its situation's actions, independent of the question type."""
    return rng.choice(ACTIONS[situation(item)])


def sample_payoff(key: str, rng: random.Random, tries: int = 500) -> PayoffMatrix:
    """Random integer payoffs, redrawn until `key` is the solver's pick in its row and overall, and every cell's two
    sides differ (payoff_score 1)."""
    lo, hi = PAYOFF_RANGE
    for _ in range(tries):
        cells = {k: {"LLM": rng.randint(lo, hi), "user": rng.randint(lo, hi)} for k in KEYS}
        cells[key] = {"LLM": rng.randint(3, 5), "user": rng.randint(3, 5)}
        m = PayoffMatrix.from_dict(cells)
        if select_action(m) == key and select_action(m, key[:2]) == key and payoff_score(m) == 1.0:
            return m
    raise RuntimeError(f"no payoff draw kept {key} on top in {tries} tries")


def analyze_text(matrix: PayoffMatrix, question_type: str) -> str:
    """The <analyze> block, written from the solver's own result so it is always consistent."""
    key = select_action(matrix, question_type)
    total = matrix[key].llm + matrix[key].user
    return f"Front: {', '.join(pareto_front(matrix))}. Best LLM+user in the {question_type} row: {total:g}, so I choose {key}."


def render(thinking: str, matrix: PayoffMatrix, analyze: str, response: str, compact: bool = False) -> str:
    """The four blocks, one per line; the payoff as JSON without spaces (fewer tokens), each cell {"LLM": x, "user": y}
    or, compact, [x, y] (about 60 tokens fewer)."""
    cells = {k: {side: int(v) if float(v).is_integer() else v for side, v in c.items()} for k, c in matrix.to_dict().items()}
    if compact:
        cells = {k: [c["LLM"], c["user"]] for k, c in cells.items()}
    payoff = json.dumps(cells, separators=(",", ":"))
    return (f"<thinking>{thinking}</thinking>\n<payoff>{payoff}</payoff>\n"
            f"<analyze>{analyze}</analyze>\n<response>{response}</response>")


def response_for(item: dict, action: str) -> str:
    """What the reply says for this action: the item's answer text, its ask text, or (harmful AQ) the win-win."""
    if action == "AQ":
        return item["target"]
    return item["answer_text"] if action == "DA" else item["ask_text"]


def teacher_parts(item: dict, teacher, action: str) -> tuple[str, str]:
    """Ask an OpenAI-compatible model (anything with .ask(prompt) -> str) for thinking and response."""
    prompt = (f"User request:\n{item['question']}\n\nThe best strategy is {action} (DA: answer directly; CQ: "
              "ask one clarifying question only; AQ: answer briefly and ask one follow-up question). Return "
              'one JSON object {"thinking": "2-5 sentences, no numbers, saying whether the request is DQ '
              '(clear) or VQ (vague) and why this strategy is best for both sides", "response": "the reply '
              'that carries out the strategy"}.')
    reply = teacher.ask(prompt)
    start, end = reply.find("{"), reply.rfind("}")
    try:
        data = json.loads(reply[start:end + 1])
        return str(data["thinking"]), str(data["response"])
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"teacher reply is not the JSON asked for: {reply[:200]!r}") from None


def make_sft_trace(item: dict, rng: random.Random, teacher=None, action: str | None = None) -> str:
    """A four-block trace for one suite item carrying out `action` (None: drawn by draw_action): the true type in
    the thinking, a payoff on which the solver picks that action, the solver's analysis, the action's reply."""
    action = action or draw_action(item, rng)
    qtype = item["question_type"]
    matrix = sample_payoff(f"{qtype}_{action}", rng)
    if teacher is None:
        thinking = f"{TYPE_REASON[situation(item) if situation(item) == 'harmful' else qtype]} {ACTION_REASON[action]}"
        response = response_for(item, action)
    else:
        thinking, response = teacher_parts(item, teacher, action)
    return render(thinking, matrix, analyze_text(matrix, qtype), response)


def sft_dataset(items: list[dict], seed: int = 0, teacher=None, mix: str = "balanced"):
    """Prompt-completion conversational rows for TRL SFTTrainer (loss on the completion only).

    mix "balanced": each trace's action drawn independently of the type (draw_action); "gold": the gold action."""
    from datasets import Dataset

    if mix not in ("balanced", "gold"):
        raise ValueError(f"mix must be 'balanced' or 'gold', got {mix!r}")
    rng = random.Random(seed)
    rows = []
    for it in items:
        action = draw_action(it, rng) if mix == "balanced" else it["gold_action"]
        rows.append({"prompt": it["prompt"], "completion": [{"role": "assistant",
                                                            "content": make_sft_trace(it, rng, teacher, action)}],
                     "family": it["family"], "question_type": it["question_type"], "gold_action": it["gold_action"],
                     "action": action})
    return Dataset.from_list(rows)
