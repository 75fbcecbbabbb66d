"""Judges score a response on its source's scale; a failure is counted, never a silent 0.

One module per family (maths, ambiguity, safety, writing) holds the rules and the columns they read;
rules.RuleJudge dispatches to them offline, llm.OpenAIJudge asks a served LLM the reference's questions."""
from .base import (SOURCE_KIND, DiskCache, Judge, JudgeResult, is_harmful, judge_columns, response_action,
                   source_kind, source_of)
from .llm import WILDGUARD_SCALE, OpenAIJudge, judge_prompt, paper_prompt, parse_judge_reply, parse_paper_reply
from .rules import RuleJudge

__all__ = ["SOURCE_KIND", "WILDGUARD_SCALE", "DiskCache", "Judge", "JudgeResult", "OpenAIJudge", "RuleJudge",
           "is_harmful", "judge_columns", "judge_prompt", "paper_prompt", "parse_judge_reply", "parse_paper_reply",
           "response_action", "source_kind", "source_of"]
