"""GTAlign's rewards: user utility U, LLM utility L and the social welfare W that training maximises.

Every weight lives in the tables below, and the welfare formulas in WELFARE: one line each.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Callable

from .game import pareto_front
from .parse import Completion, parse_completion

BASE = 1e-4  # every utility starts at this (the reference's epsilon), so W = sqrt(U·L) is never a product with 0
USER_WEIGHTS = {"answer": 0.5, "len_user": 0.2, "brevity": 0.3}
LLM_WEIGHTS = {"format": 0.2, "payoff_score": 0.2, "answer": 0.4, "len_llm": 0.2}
LLM_PARETO_WEIGHTS = {"pareto": 0.2, "payoff_score": 0.2, "format": 0.2, "answer": 0.35, "len_llm": 0.05}
USER_LENGTH = (20, 500)  # words of the response; the term peaks midway, at 260 words
LLM_LENGTH = (500, 1000)  # words of the whole completion
LENGTH_SLOPE = 0.005
BREVITY_CHARS = 500.0  # brevity = exp(-chars(reasoning) / 500)

WELFARE = {  # the training scalar from the two utilities: change a formula here, in one line
    "cobb_douglas": lambda u, l: math.sqrt(u * l),  # the paper's main reward
    "linear": lambda u, l: (u + l) / 2,
    "llm": lambda u, l: l,
    "user": lambda u, l: u,
}


@dataclass(frozen=True)
class Variant:
    """A named reward: the welfare of (U, L) and the weights L is built from."""

    name: str
    welfare: Callable[[float, float], float]
    llm_weights: dict = field(default_factory=lambda: LLM_WEIGHTS)


DECISION_MARGIN = 0.4  # the positive control's reward: + when the reply asks on a vague request or answers a clear one


def decision_reward(item: dict, text: str) -> float:
    """±DECISION_MARGIN on the decision alone, read off the reply (the whole text when there is no <response>), with
    no format gate: the positive control of the second pre-registered experiment."""
    from .behaviour import asks

    c = parse_completion(text)
    asked = asks(c.response if c.response is not None else text)
    return DECISION_MARGIN if asked == (item.get("question_type") == "VQ") else -DECISION_MARGIN


VARIANTS = {name: Variant(name, f) for name, f in WELFARE.items()}
VARIANTS["pareto"] = Variant("pareto", WELFARE["cobb_douglas"], LLM_PARETO_WEIGHTS)  # L checks the Pareto pick


def resolve_variant(variant) -> Variant:
    """A registered name, a Variant, or any callable welfare(u, l) -> float (named by its __name__)."""
    if isinstance(variant, Variant):
        return variant
    if isinstance(variant, str):
        if variant not in VARIANTS:
            raise ValueError(f"unknown reward variant {variant!r}; valid: {', '.join(VARIANTS)}, or a callable (u, l) -> float")
        return VARIANTS[variant]
    if callable(variant):
        name = getattr(variant, "__name__", "") or type(variant).__name__
        if name == "<lambda>":
            raise ValueError("give a custom welfare a name (def my_welfare(u, l): ...): logs and plots show it by name")
        return Variant(name, variant)
    raise TypeError(f"reward variant must be a name or a callable (u, l) -> float, got {type(variant).__name__}")


# How a judge's score s on its source's scale becomes the answer terms (a_U, a_L), as the reference maps it.
# s_llm is a judge's separate LLM-side score (writing: the 0-4 rating / 4); harmful says the request is harmful.
ANSWER_PAIRS = {
    "math": lambda s, s_llm, harmful: (s, s),
    "ambiguity": lambda s, s_llm, harmful: (s, s),
    # harmful: 0 unsafe, 0.5 refusal + safe alternative, 1 plain refusal; benign: 1 helpful, 0 not, graded in between
    # (the suite's 0.5 for a question that names nothing of a vague request is half the credit, not all of it)
    "safety": lambda s, s_llm, harmful: (float(s < 1), float(s > 0)) if harmful else (s, s),
    "writing": lambda s, s_llm, harmful: (s, s if s_llm is None else s_llm),  # character BLEU, judge rating
}


def answer_pair(item: dict, result) -> tuple[float, float]:
    """(a_U, a_L) of one judge result for this row's source, via ANSWER_PAIRS; NaN for a failed judgement."""
    from .judges import is_harmful, source_kind

    if result.failed:
        return math.nan, math.nan
    s_llm = None if result.score_llm is None else float(result.score_llm)
    return ANSWER_PAIRS[source_kind(item)](float(result.score), s_llm, is_harmful(item))


def sigmoid(x: float) -> float:
    """Numerically safe logistic function."""
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def word_count(text: str) -> int:
    """Whitespace word count, as the reference counts."""
    return len(text.split())


def length_score(text: str, lo: float, hi: float) -> float:
    """σ(0.005·(words − lo)) · σ(0.005·(hi − words)): near 1 inside [lo, hi], falling off outside."""
    n = word_count(text)
    return sigmoid(LENGTH_SLOPE * (n - lo)) * sigmoid(LENGTH_SLOPE * (hi - n))


def brevity(reasoning: str) -> float:
    """exp(−chars/500) of the text before <response>: the user pays for reading long reasoning."""
    return math.exp(-len(reasoning) / BREVITY_CHARS)


def payoff_score(matrix) -> float:
    """Per cell, 1/12 if user ≠ LLM and 1/12 more if they differ by over 10% of the larger magnitude."""
    hits = 0
    for cell in matrix.cells.values():
        u, l = cell.user, cell.llm
        hits += (u != l) + (abs(u - l) / max(abs(u), abs(l), 1e-8) > 0.1)
    return hits / 12


def says_something(matrix) -> bool:
    """Whether the matrix ranks the actions: each side's six values are not all equal. A matrix that gives both sides
    one value everywhere ({"LLM": 1, "user": 2} in every cell) says nothing about what to do."""
    cells = list(matrix.cells.values())
    return len({c.user for c in cells}) > 1 and len({c.llm for c in cells}) > 1


def pareto_check(c: Completion) -> float:
    """1 if the chosen key is on the model's own Pareto front of all six cells, 0.5 if only of its row, else 0."""
    if c.payoff is None or c.chosen_key is None:
        return 0.0
    if c.chosen_key in pareto_front(c.payoff):
        return 1.0
    return 0.5 if c.chosen_key in pareto_front(c.payoff, c.chosen_key[:2]) else 0.0


@dataclass
class RewardBreakdown:
    """Every named component of one completion's reward, ready to log or plot."""

    user: float
    llm: float
    welfare: float
    format: float
    payoff_score: float
    len_user: float
    len_llm: float
    brevity: float
    gated: bool
    pareto: float
    answer_user: float
    answer_llm: float
    variant: str

    def as_dict(self) -> dict:
        return asdict(self)


def _weighted(weights: dict, parts: dict) -> float:
    return BASE + sum(w * parts[name] for name, w in weights.items())


def reward_breakdown(completion, answer_user: float, answer_llm: float | None = None,
                     variant="cobb_douglas") -> RewardBreakdown:
    """U, L and W of one completion (text or Completion) given the judged answer scores in [0, 1].

    Hard gate: no extractable <response> or <payoff>, or a payoff that does not parse, gives U = L = W = 0.
    A NaN answer score (a failed judge) gives NaN rewards, so the caller can count and drop it.
    """
    v = resolve_variant(variant)
    c = completion if isinstance(completion, Completion) else parse_completion(completion)
    a_llm = answer_user if answer_llm is None else answer_llm
    parts = {
        "format": float(c.format_ok),
        "payoff_score": payoff_score(c.payoff) if c.payoff and says_something(c.payoff) else 0.0,
        "len_user": length_score(c.response or "", *USER_LENGTH),
        "len_llm": length_score(c.text, *LLM_LENGTH),
        "brevity": brevity(c.reasoning),
        "pareto": pareto_check(c),
    }
    gated = c.response is None or c.payoff is None
    if gated:
        u = l = w = 0.0
    else:
        u = _weighted(USER_WEIGHTS, {**parts, "answer": answer_user})
        l = _weighted(v.llm_weights, {**parts, "answer": a_llm})
        w = v.welfare(u, l) if not (math.isnan(u) or math.isnan(l)) else math.nan
    return RewardBreakdown(user=u, llm=l, welfare=w, gated=gated, answer_user=answer_user,
                           answer_llm=a_llm, variant=v.name, **parts)


def completion_text(completion) -> str:
    """Plain text of a TRL completion: a string, or a list of chat messages (assistant content joined)."""
    if isinstance(completion, str):
        return completion
    return "".join(m.get("content", "") for m in completion if m.get("role", "assistant") == "assistant")


def off_topic_reply(item: dict, response: str) -> str | None:
    """The topic guard: why a reply cannot serve this request (it shares no content word with it, or only copies it),
    or None. It applies to the paper's benign wildguard, ambiguity and medium rows. Not to harmful requests (a good
    win-win may share no word with the request: "shoplift" / "I can't help with stealing"), maths (the answer is
    checked), or the suite, whose rule judge has its own guard on the item's topic words (judges.rules.suite_guard)."""
    from .judges import is_harmful, source_kind
    from .judges.ambiguity import topic_of
    from .judges.base import off_topic, request_text, unwrap_response

    kind = source_kind(item)
    if item.get("family") or kind == "math" or is_harmful(item):
        return None
    request = request_text(item)
    topic = topic_of(item) if kind == "ambiguity" else request
    return off_topic(unwrap_response(response), request, topic)


def guarded_pair(item: dict, result, response: str) -> tuple[float, float]:
    """answer_pair, then the topic guard: an off-topic reply earns no answer credit."""
    if not result.failed and off_topic_reply(item, response):
        return 0.0, 0.0
    return answer_pair(item, result)


def score_completion(item: dict, completion, judge, variant="cobb_douglas") -> RewardBreakdown:
    """Parse (text or an already parsed Completion), judge the response when there is one, combine (guarded_pair).

    No <response> block: nothing was answered, so both answer terms are 0 (not the judge scale's mapping, which
    would call a missing reply to a harmful request a win for the user); the hard gate zeroes U, L and W anyway.
    """
    c = completion if isinstance(completion, Completion) else parse_completion(completion)
    if c.response is None:
        return reward_breakdown(c, 0.0, 0.0, variant)
    a_user, a_llm = guarded_pair(item, judge.score(item, c.response), c.response)
    return reward_breakdown(c, a_user, a_llm, variant)


def context(item: dict, text: str) -> dict:
    """What a logged reward row needs besides its components: the item's cell and what the reply did."""
    from .behaviour import behaviour
    from .judges import SOURCE_KIND, is_harmful

    source = item.get("family") or item.get("data_source")
    return {"family": source, "question_type": item.get("question_type"),
            "harmful": is_harmful(item) if source in SOURCE_KIND else None,  # an unknown source: its judge failed
            "behaviour": behaviour(parse_completion(text).response)}


LOGGED = ("welfare", "user", "llm", "format", "answer_user")  # components TRL logs per step


class RewardFunctions:
    """TRL GRPOTrainer reward functions: the scalar is the variant, the other components log at weight 0.

    Use: funcs = RewardFunctions(judge, "cobb_douglas"); GRPOConfig(reward_weights=funcs.weights);
    GRPOTrainer(reward_funcs=funcs.funcs, …). TRL logs each as rewards/<name>/mean: the scalar under the
    variant's own name (rewards/cobb_douglas/mean, rewards/my_welfare/mean for a custom callable) and again
    as rewards/welfare/mean, so logs of every variant share a column. The batch is scored once and shared
    by all functions; a failed judge gives None, which TRL skips.
    """

    def __init__(self, judge, variant="cobb_douglas", components=LOGGED, shadows=None):
        self.shadows = shadows or {}  # name -> f(item, text): other rewards logged per completion as reward_<name>
        self.decision = variant == "decision"  # decision_reward as the scalar; U, L and W logged as for Cobb-Douglas
        self.judge, self.variant = judge, resolve_variant("cobb_douglas" if self.decision else variant)
        name = "decision" if self.decision else self.variant.name
        if name in components and name != "welfare" and self.variant is not VARIANTS.get(name):
            raise ValueError(f"a custom welfare named {name!r} would share its log column with the {name!r} "
                             f"component; rename the function (components: {', '.join(components)})")
        self.history: list[dict] = []  # every scored completion's breakdown, for plots
        self._batch_key, self._batch = None, None
        # the scalar first (weight 1), then the components (weight 0); a built-in user/llm variant's scalar
        # is that component itself, so it is not logged twice
        rest = [c for c in ("welfare",) + tuple(components) if c != name]
        self.funcs = [self._make(name, "reward")] + [self._make(c, c) for c in dict.fromkeys(rest)]
        self.weights = [1.0] + [0.0] * (len(self.funcs) - 1)

    @property
    def log_columns(self) -> dict:
        """TRL log column -> plot label of every function, the scalar first under its own name."""
        labels = {"welfare": "welfare W", "user": "user utility U", "llm": "LLM utility L", "format": "format rate",
                  "answer_user": "answer score"}
        cols = {f"rewards/{f.__name__}/mean": labels.get(f.__name__, f.__name__) for f in self.funcs}
        first = next(iter(cols))
        cols[first] = f"{self.funcs[0].__name__} (the reward)"
        return cols

    def _score_batch(self, prompts, completions, kwargs) -> list[RewardBreakdown]:
        texts = [completion_text(c) for c in completions]
        key = (id(completions), tuple(texts))
        if key != self._batch_key:
            n = len(texts)
            skip = {"completion_ids", "trainer_state", "log_extra", "log_metric"}
            cols = {k: v for k, v in kwargs.items() if k not in skip and isinstance(v, (list, tuple)) and len(v) == n}
            items = [{**{k: v[i] for k, v in cols.items()}, "prompt": prompts[i]} for i in range(n)]
            self._batch = [score_completion(it, t, self.judge, self.variant) for it, t in zip(items, texts)]
            # the scalar GRPO maximises: the variant's welfare, or (positive control) the decision reward
            self._rewards = [decision_reward(it, t) if self.decision else b.welfare
                             for b, it, t in zip(self._batch, items, texts)]
            self.history.extend({**b.as_dict(), "reward": r, **context(it, t),
                                 **{f"reward_{name}": f(it, t) for name, f in self.shadows.items()}}
                                for it, t, b, r in zip(items, texts, self._batch, self._rewards))
            self._batch_key = key
        return self._batch

    def _make(self, name: str, field_name: str):
        """A reward function that TRL logs as rewards/<name>/mean, returning the breakdown's `field_name` (or, for
        "reward", the scalar GRPO maximises)."""
        def reward(prompts, completions, **kwargs):
            batch = self._score_batch(prompts, completions, kwargs)
            values = self._rewards if field_name == "reward" else [getattr(b, field_name) for b in batch]
            return [None if isinstance(v, float) and math.isnan(v) else float(v) for v in values]

        reward.__name__ = name
        reward.owner = self  # train.train_or_load keeps self.history across a resume
        return reward
