"""RuleJudge: scores every source offline by its family's rules (one module per family)."""
from __future__ import annotations

from . import ambiguity, maths, safety, writing
from .base import Judge, JudgeResult, source_kind

FAMILIES = {"math": maths, "ambiguity": ambiguity, "safety": safety, "writing": writing}


class RuleJudge(Judge):
    """Scores offline-suite rows (by family) and the paper's rows (by data_source) with fixed rules."""

    name = "rules"
    family_columns = {kind: module.COLUMNS for kind, module in FAMILIES.items()}

    def _score(self, item: dict, response: str) -> JudgeResult:
        return FAMILIES[source_kind(item)].score(item, response or "")
