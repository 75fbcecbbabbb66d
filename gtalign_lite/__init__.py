"""gtalign-lite: GTAlign's payoff-matrix reasoning and social-welfare rewards, small enough to read."""
from .data import OfflineError, load_gtalign, split_overlap
from .game import RULES, pareto_front, select_action
from .judges import DiskCache, Judge, JudgeResult, OpenAIJudge, judge_columns
from .parse import Completion, parse_completion
from .payoff import ACTIONS, KEYS, QUESTION_TYPES, Cell, PayoffError, PayoffMatrix
from .pricing import PricingPolicy, ReferenceShift, apply_pricing
from .prompts import build_messages
from .rewards import VARIANTS, WELFARE, RewardBreakdown, Variant, answer_pair, resolve_variant, RewardFunctions, reward_breakdown, score_completion
from .judges import RuleJudge, response_action
from .suite import FAMILIES, offline_items, offline_suite
from .traces import make_sft_trace, sft_dataset

from . import config, data, runs, schema, suite  # noqa: E402  (light modules; train, evaluate, plots, adapt import torch)

__version__ = "0.1.0"


def load_model(*args, **kwargs):
    """See gtalign_lite.models.load_model (imported on first use: it pulls in torch)."""
    from .models import load_model as _load

    return _load(*args, **kwargs)
