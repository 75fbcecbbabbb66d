"""The game the model plays with itself: Pareto dominance and front, and the action pick, as the prompt states it."""
from __future__ import annotations

from .pareto import dominates, pareto_points  # noqa: F401 (the front of a payoff matrix is a set of points)
from .payoff import KEYS, PayoffMatrix

RULES = ("welfare", "nash", "user", "llm", "reference_product")


def pareto_front(matrix: PayoffMatrix, question_type: str | None = None) -> list[str]:
    """Keys of the row (or all six) that no other cell beats on one side without losing on the other."""
    keys = matrix.row(question_type)
    point = {k: (matrix[k].user, matrix[k].llm) for k in keys}
    return [k for k in keys if not any(dominates(point[o], point[k]) for o in keys if o != k)]


def _nash_product(matrix: PayoffMatrix, keys, k: str) -> float:
    """(LLM − d_LLM)·(user − d_user) with the row minimum as disagreement point d, so negatives behave."""
    d_llm = min(matrix[o].llm for o in keys)
    d_user = min(matrix[o].user for o in keys)
    return (matrix[k].llm - d_llm) * (matrix[k].user - d_user)


def select_action(matrix: PayoffMatrix, question_type: str | None = None, rule: str = "welfare") -> str:
    """Pick one key: 'welfare' is the prompt's rule (Pareto set, then max LLM+user, user, LLM, key order).

    'nash' maximises the Nash bargaining product on the Pareto set; 'user' / 'llm' are one side's best;
    'reference_product' is the reference inference code's max LLM·user over all six cells (kept only to
    show how it goes wrong with negative payoffs: two negatives multiply to a large positive).
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    order = {k: -i for i, k in enumerate(KEYS)}  # earlier key wins the final tie
    if rule == "reference_product":
        return max(KEYS, key=lambda k: (matrix[k].llm * matrix[k].user, order[k]))
    keys = matrix.row(question_type)
    front = pareto_front(matrix, question_type)

    def welfare_key(k):
        c = matrix[k]
        return (c.llm + c.user, c.user, c.llm, order[k])

    if rule == "welfare":
        return max(front, key=welfare_key)
    if rule == "nash":
        return max(front, key=lambda k: (_nash_product(matrix, keys, k), *welfare_key(k)))
    if rule == "user":
        return max(keys, key=lambda k: (matrix[k].user, matrix[k].llm, order[k]))
    return max(keys, key=lambda k: (matrix[k].llm, matrix[k].user, order[k]))
