"""Prompt builders: the paper-style prompt (long system message) and a compact one for small models.

The wording is ours; the meaning follows the method: classify DQ/VQ, write the payoff matrix, pick the
action best for both, then act.
"""
from __future__ import annotations

SYSTEM_PAPER = (
    "You are an assistant that aims to be useful, forward-looking and conversational.\n\n"
    "Read the whole conversation and keep track of what the user has already said. When a request is "
    "missing something you need, ask for it instead of guessing; for instance, when a task is only "
    "half-specified, ask the user which detail they have in mind.\n\n"
    "Make follow-up questions specific to what the user is doing, and suggest concrete next steps, "
    "above all for multi-step work such as writing, analysis, programming and factual questions.\n\n"
    "Respect the user's time: say only what is needed, do not repeat yourself, and keep answers "
    "well organised and correct. When you ask the user to choose, offer short options they can pick "
    "from quickly.\n\n"
    "Match the user's tone and mood. When you do not know something, say so plainly and point to "
    "where the answer could be found.\n\n"
    "Be accurate, clear and on topic, and keep inviting feedback so the conversation keeps improving."
)

SYSTEM_COMPACT = "You are a helpful assistant. Think about what is best for both you and the user."

INSTRUCTIONS_PAPER = (
    "Reply to the user's latest message. Your whole output must be exactly four tagged blocks in this "
    "order and nothing else: <thinking>...</thinking><payoff>...</payoff><analyze>...</analyze>"
    "<response>...</response>. No markdown, no code fences, no text outside the tags.\n"
    "<thinking>: in 2-5 sentences and without numbers, decide whether the question is DQ (definite, "
    "clear) or VQ (vague, ambiguous), and weigh three strategies for this turn, DA (answer directly), "
    "CQ (ask one clarifying question only) and AQ (answer briefly and ask one follow-up question), by "
    "what each does for the assistant and for the user: risk of a wrong answer, resolving ambiguity, "
    "the user's time and effort, token cost, satisfaction and chance of success.\n"
    "<payoff>: one strict JSON object (no comments, no trailing commas) with exactly the keys DQ_AQ, "
    "DQ_CQ, DQ_DA, VQ_AQ, VQ_CQ, VQ_DA; each maps to {\"LLM\": number, \"user\": number}. Higher is "
    "better, 0 is neutral, costs are negative, values lie roughly between -5.0 and 5.0 with one "
    "decimal, and they follow from your thinking.\n"
    "<analyze>: treat each cell as a point (LLM, user), list the cells that no other cell dominates, "
    "then choose one by the highest LLM + user, ties going to the higher user value, then the higher "
    "LLM value. Name the chosen key, for example DQ_DA, and say why in 1-3 sentences.\n"
    "<response>: do what the chosen strategy says. DA: a concise direct answer. CQ: exactly one "
    "clarifying question and no answer yet. AQ: a short answer plus exactly one focused follow-up "
    "question. Never mention payoffs, strategies or tags here."
)

INSTRUCTIONS_COMPACT = (
    "Answer in four blocks: <thinking> say if the question is DQ (clear) or VQ (vague) and what each "
    "action DA (direct answer), CQ (clarifying question), AQ (answer plus one question) does for you "
    "and the user</thinking><payoff> JSON with keys DQ_AQ, DQ_CQ, DQ_DA, VQ_AQ, VQ_CQ, VQ_DA, each "
    "{\"LLM\": x, \"user\": y}</payoff><analyze> pick the key with the highest LLM+user in your "
    "question type's row</analyze><response> carry out that action</response>."
)

# "decision": the request alone, for a model whose SFT taught the format (gtalign_lite.twins): ~150 tokens fewer
PROMPT_STYLES = {"paper": (SYSTEM_PAPER, INSTRUCTIONS_PAPER), "compact": (SYSTEM_COMPACT, INSTRUCTIONS_COMPACT),
                 "decision": (SYSTEM_COMPACT, "")}


def build_messages(question: str, history: list[dict] | None = None, style: str = "compact") -> list[dict]:
    """Chat messages: system, the earlier turns (kept whole), then the instructions with the last question."""
    if style not in PROMPT_STYLES:
        raise ValueError(f"prompt style must be one of {sorted(PROMPT_STYLES)}, got {style!r}")
    system, instructions = PROMPT_STYLES[style]
    earlier = [{"role": m["role"], "content": m["content"]} for m in (history or [])]
    return [{"role": "system", "content": system}, *earlier,
            {"role": "user", "content": f"{instructions}\n\nQuestion: {question}" if instructions else question}]
