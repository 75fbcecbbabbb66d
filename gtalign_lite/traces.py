"""SFT traces: four-block targets whose payoff follows a stated prior and whose choice the solver makes."""
from __future__ import annotations

import json
import random

from .game import pareto_front, select_action
from .payoff import KEYS, PayoffMatrix
from .rewards import payoff_score

# The prior, as (LLM, user) per cell and situation. Its logic: on a clear question a direct answer pays
# both most and a clarifying question wastes the user's time; on a vague one asking first pays both and
# guessing (DA) costs the user most; on a harmful request complying helps the user a little and hurts the
# LLM badly, a plain refusal leaves the user nothing, and refusing with a safe alternative plus one
# question (AQ) is the win-win. Each situation's gold cell has the highest LLM+user of all six.
PAYOFF_PRIOR = {
    "clear": {"DQ_DA": (3.0, 4.2), "DQ_AQ": (2.4, 1.4), "DQ_CQ": (1.5, -0.5),
              "VQ_DA": (1.0, -0.4), "VQ_AQ": (1.8, 0.6), "VQ_CQ": (0.9, 2.1)},
    "vague": {"DQ_DA": (1.6, -0.6), "DQ_AQ": (1.9, 0.7), "DQ_CQ": (0.4, 1.5),
              "VQ_DA": (0.8, -1.6), "VQ_AQ": (2.2, 1.2), "VQ_CQ": (2.8, 4.0)},
    "harmful": {"DQ_DA": (-4.0, 3.0), "DQ_AQ": (3.4, 2.2), "DQ_CQ": (1.0, -0.5),
                "VQ_DA": (-3.5, 2.0), "VQ_AQ": (2.0, 0.8), "VQ_CQ": (0.8, -0.4)},
}
PRIOR_NOISE = 0.3  # standard deviation added to every number before rounding to one decimal

# One sentence each: the trace must fit the GRPO completion cap with room to spare (issue 10: the earlier
# three-sentence thinking made traces of ~290 tokens against a 256-token cap), and the user's brevity term
# rewards short reasoning anyway. Each sentence states the question type the way read_question_type reads it.
THINKING = {
    "clear": "The request gives everything needed, so it is DQ; a direct answer serves us both at once.",
    "vague": "A detail the answer depends on is missing, so it is VQ; one clarifying question beats a wrong guess.",
    "harmful": "The request is clear, so it is DQ, but it could hurt someone; a refusal with a safe alternative "
               "serves us both.",
}


def situation(item: dict) -> str:
    """Which prior applies: harmful, vague or clear."""
    if str(item.get("label")) == "harmful":
        return "harmful"
    return "vague" if item["question_type"] == "VQ" else "clear"


def gold_key(item: dict) -> str:
    """The cell the trace must choose: the true question type and the gold action."""
    return f"{item['question_type']}_{item['gold_action']}"


def sample_payoff(item: dict, rng: random.Random, noise: float = PRIOR_NOISE, tries: int = 200) -> PayoffMatrix:
    """The prior plus noise, redrawn until the solver still picks the gold cell and every cell is distinct."""
    prior = PAYOFF_PRIOR[situation(item)]
    want, qtype = gold_key(item), item["question_type"]
    for _ in range(tries):
        cells = {k: {"LLM": round(prior[k][0] + rng.gauss(0, noise), 1),
                     "user": round(prior[k][1] + rng.gauss(0, noise), 1)} for k in KEYS}
        m = PayoffMatrix.from_dict(cells)
        if select_action(m) == want and select_action(m, qtype) == want and payoff_score(m) == 1.0:
            return m
    raise RuntimeError(f"no noisy payoff kept {want} on top in {tries} draws; lower the noise ({noise})")


def analyze_text(matrix: PayoffMatrix, question_type: str) -> str:
    """The <analyze> block, written from the solver's own result so it is always consistent."""
    key = select_action(matrix, question_type)
    total = matrix[key].llm + matrix[key].user
    return f"Front: {', '.join(pareto_front(matrix))}. Best LLM+user in the {question_type} row: {total:.1f}, so I choose {key}."


def render(thinking: str, matrix: PayoffMatrix, analyze: str, response: str) -> str:
    """The four blocks, one per line; the payoff as JSON without spaces (about 25 tokens fewer)."""
    payoff = json.dumps(matrix.to_dict(), separators=(",", ":"))
    return (f"<thinking>{thinking}</thinking>\n<payoff>{payoff}</payoff>\n"
            f"<analyze>{analyze}</analyze>\n<response>{response}</response>")


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


def make_sft_trace(item: dict, rng: random.Random, teacher=None) -> str:
    """A four-block target for one suite item: prior payoff + noise, solver's analysis, gold response."""
    matrix = sample_payoff(item, rng)
    if teacher is None:
        thinking, response = THINKING[situation(item)], item["target"]
    else:
        thinking, response = teacher_parts(item, teacher, item["gold_action"])
    return render(thinking, matrix, analyze_text(matrix, item["question_type"]), response)


def sft_dataset(items: list[dict], seed: int = 0, teacher=None):
    """Prompt-completion conversational rows for TRL SFTTrainer (loss on the completion only)."""
    from datasets import Dataset

    rng = random.Random(seed)
    rows = [{"prompt": it["prompt"], "completion": [{"role": "assistant", "content": make_sft_trace(it, rng, teacher)}],
             "family": it["family"], "question_type": it["question_type"], "gold_action": it["gold_action"]}
            for it in items]
    return Dataset.from_list(rows)
