"""Pricing changes the game, not the model: rewrite the payoff matrix and choose again.

Price-based policy (ours). Let t_a be the expected tokens of action a (DA, CQ, AQ), p the price per
1k tokens that the user pays the provider, c what 1k tokens cost the provider to serve, and k the payoff
units per unit of money. Then for every cell with action a:

    user' = user − k·p·t_a/1000
    LLM'  = LLM  + k·(p − c)·t_a/1000
    (LLM' + user') − (LLM + user) = −k·c·t_a/1000

The price p is a pure transfer: it moves payoff from the user to the LLM and leaves LLM+user unchanged,
so the welfare rule's pick can only change through the serving cost c (or a tie). The Nash, user and LLM
rules do move with p. `payer="provider"` means the user pays nothing per token (a flat plan): p is
ignored and the provider bears c alone.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from .payoff import ACTIONS, PayoffMatrix

DEFAULT_TOKENS = {"DA": 300.0, "CQ": 40.0, "AQ": 220.0}  # rough expected response tokens per action


@dataclass(frozen=True)
class PricingPolicy:
    """Who pays per token and how much: prices in money per 1k tokens, k = payoff units per money unit."""

    name: str = "per_token"
    payer: str = "user"  # "user": pays price_per_1k to the provider; "provider": flat plan, price ignored
    price_per_1k: float = 0.0
    cost_per_1k: float = 0.0
    payoff_per_money: float = 1.0

    def __post_init__(self):
        if self.payer not in ("user", "provider"):
            raise ValueError(f"payer must be 'user' or 'provider', got {self.payer!r}")

    def apply(self, matrix: PayoffMatrix, expected_tokens: Mapping[str, float] | None = None) -> PayoffMatrix:
        """Shift each cell by the money that its action's tokens move (module docstring has the maths)."""
        tokens = _tokens(expected_tokens)
        p = self.price_per_1k if self.payer == "user" else 0.0
        k, c = self.payoff_per_money, self.cost_per_1k

        def shift(key, cell):
            t = tokens[key[3:]] / 1000.0
            return cell.llm + k * (p - c) * t, cell.user - k * p * t

        return matrix.map(shift)


@dataclass(frozen=True)
class ReferenceShift:
    """The reference code's transform: a constant on one side plus fixed per-action bonuses to the other.

    side="llm": LLM += shift; user gets AQ +1, CQ +0.5. side="user": user += shift; LLM gets DA +1, AQ +0.5.
    """

    name: str = "reference_shift"
    side: str = "llm"
    shift: float = 1.0
    bonus: Mapping[str, float] | None = field(default=None)

    def __post_init__(self):
        if self.side not in ("llm", "user"):
            raise ValueError(f"side must be 'llm' or 'user', got {self.side!r}")

    def apply(self, matrix: PayoffMatrix, expected_tokens=None) -> PayoffMatrix:
        """Ignore tokens; add the constant and the bonuses."""
        default = {"AQ": 1.0, "CQ": 0.5} if self.side == "llm" else {"DA": 1.0, "AQ": 0.5}
        bonus = dict(self.bonus or default)

        def shift(key, cell):
            b = bonus.get(key[3:], 0.0)
            if self.side == "llm":
                return cell.llm + self.shift, cell.user + b
            return cell.llm + b, cell.user + self.shift

        return matrix.map(shift)


def _tokens(expected_tokens: Mapping[str, float] | None) -> dict[str, float]:
    """Expected tokens per action; missing actions raise so a typo cannot silently price at zero."""
    tokens = dict(DEFAULT_TOKENS if expected_tokens is None else expected_tokens)
    missing = [a for a in ACTIONS if a not in tokens]
    if missing:
        raise ValueError(f"expected_tokens lacks {missing}; give tokens for each of {ACTIONS}")
    return {a: float(tokens[a]) for a in ACTIONS}


def apply_pricing(matrix: PayoffMatrix, policy, expected_tokens: Mapping[str, float] | None = None) -> PayoffMatrix:
    """A new matrix under `policy` (PricingPolicy or ReferenceShift); the input is not changed."""
    return policy.apply(matrix, expected_tokens)
