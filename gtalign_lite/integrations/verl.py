"""verl custom reward: the same welfare reward for a multi-GPU verl PPO/GRPO run.

In a verl config:
    custom_reward_function.path=<path of this file>
    custom_reward_function.name=compute_score
Set GTALIGN_VARIANT (cobb_douglas, linear, llm, user, pareto) to pick the scalar; default cobb_douglas.
"""
from __future__ import annotations

import os

from ..rewards import score_completion
from ..rule_judges import RuleJudge

_JUDGE = RuleJudge()


def compute_score(data_source, solution_str, ground_truth, extra_info=None) -> dict:
    """verl's reward signature; returns {"score": W, ...components} so verl logs U, L and the rest."""
    item = {"data_source": data_source, "ground_truth": ground_truth, **dict(extra_info or {})}
    item.setdefault("label", ground_truth if data_source == "wildguard" else "")
    variant = os.environ.get("GTALIGN_VARIANT", "cobb_douglas")
    b = score_completion(item, solution_str, _JUDGE, variant)
    out = {"score": b.welfare, **{k: float(v) for k, v in b.as_dict().items() if k not in ("variant", "welfare")}}
    out["judge_failed"] = float(b.welfare != b.welfare)  # NaN when the judge failed
    return out
