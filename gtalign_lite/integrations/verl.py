"""verl custom reward: the same welfare reward for a multi-GPU verl PPO/GRPO run.

In a verl config:
    custom_reward_function.path=<path of this file>
    custom_reward_function.name=compute_score
Set GTALIGN_VARIANT (cobb_douglas, linear, llm, user, pareto) to pick the scalar; default cobb_douglas.
Set GTALIGN_JUDGE_URL (an OpenAI-compatible base URL, e.g. http://localhost:8000/v1) and GTALIGN_JUDGE_MODEL
to judge with a served LLM as the paper does (GTALIGN_JUDGE_KEY, GTALIGN_JUDGE_CACHE optional); else RuleJudge.
"""
from __future__ import annotations

import os

from ..judges import OpenAIJudge, RuleJudge
from ..rewards import score_completion

_JUDGES: dict = {}


def judge_from_env():
    """OpenAIJudge when GTALIGN_JUDGE_URL and GTALIGN_JUDGE_MODEL are both set, else RuleJudge (one per setting)."""
    url, model = os.environ.get("GTALIGN_JUDGE_URL"), os.environ.get("GTALIGN_JUDGE_MODEL")
    if bool(url) != bool(model):
        raise ValueError("set both GTALIGN_JUDGE_URL and GTALIGN_JUDGE_MODEL for an LLM judge, or neither for RuleJudge")
    key = (url, model)
    if key not in _JUDGES:
        _JUDGES[key] = (OpenAIJudge(url, model, api_key=os.environ.get("GTALIGN_JUDGE_KEY"),
                                    cache_dir=os.environ.get("GTALIGN_JUDGE_CACHE")) if url else RuleJudge())
    return _JUDGES[key]


def verl_item(data_source, ground_truth, extra_info=None) -> dict:
    """A verl row (data_source, ground_truth, extra_info) as the judges' item: problem, last question, label."""
    info = dict(extra_info or {})
    history = info.get("chat_history")
    item = {**info, "data_source": data_source, "ground_truth": ground_truth}
    if history is not None and len(history):
        item["question"] = history[-1]["content"]
    if info.get("single_turn_prompt"):
        item["problem"] = info["single_turn_prompt"]
    if data_source == "advbench":
        item["label"] = "harmful"  # its ground truth is the target reply, every request is harmful
    elif data_source == "wildguard":
        item["label"] = ground_truth
    return item


def compute_score(data_source, solution_str, ground_truth, extra_info=None) -> dict:
    """verl's reward signature; returns {"score": W, ...components} so verl logs U, L and the rest."""
    item = verl_item(data_source, ground_truth, extra_info)
    variant = os.environ.get("GTALIGN_VARIANT", "cobb_douglas")
    b = score_completion(item, solution_str, judge_from_env(), variant)
    out = {"score": b.welfare, **{k: float(v) for k, v in b.as_dict().items() if k not in ("variant", "welfare")}}
    out["judge_failed"] = float(b.welfare != b.welfare)  # NaN when the judge failed
    return out
