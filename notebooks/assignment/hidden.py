"""The assignment's graded cases, asked of each submission by scripts/grade_class.py outside otter.

Each case is an expression evaluated in the submission's namespace after its notebook ran (`DATA` bound to the
case's inputs, `cells(d)` turning JSON pairs back into tuples); only its value, as plain JSON, leaves the
submission's process. The grader then judges it in its own process: "same" compares with the answer the solution
notebook gave when `make assignment` built dist/autograder/hidden.json (exact types, floats within 1e-6), any other
check is a function of CHECKS below. A question's points are shared equally by its cases; the first case of each
question repeats the public check students see. This file is the teacher's: students get neither it nor the answers.
"""
from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass

KEYS = ("DQ_AQ", "DQ_CQ", "DQ_DA", "VQ_AQ", "VQ_CQ", "VQ_DA")
POINTS = {"q1": 2, "q2": 3, "q3": 2, "q4": 3, "q5": 2, "q6": 3, "q7": 3}


@dataclass(frozen=True)
class Case:
    """One graded case: an expression over the submission's names, its inputs, and how its answer is judged."""

    question: str
    name: str
    expr: str
    data: object = None
    check: str = "same"


EXAMPLE = """<thinking>The user asks for the boiling point of water at sea level: a clear question (DQ). A direct answer
saves the user time; a clarifying question would only annoy them.</thinking>
<payoff>{"DQ_AQ": {"LLM": 2.0, "user": 2.5}, "DQ_CQ": {"LLM": 1.5, "user": 1.0},
 "DQ_DA": {"LLM": 3.0, "user": 2.0}, "VQ_AQ": {"LLM": 1.0, "user": 1.5},
 "VQ_CQ": {"LLM": 2.0, "user": 2.0}, "VQ_DA": {"LLM": 0.5, "user": 0.5}}</payoff>
<analyze>Non-dominated in DQ: DQ_AQ, DQ_DA. DQ_DA has the highest LLM + user. Choose DQ_DA.</analyze>
<response>Water boils at 100 °C (212 °F) at sea level.</response>"""
ODD = ('<thinking>t</thinking>\n<payoff>\n {"DQ_AQ": {"LLM": -1.5, "user": 4}, "DQ_CQ": {"LLM": 0.5, "user": 2.5}, '
       '"DQ_DA": {"LLM": 3.25, "user": -2.0}, "VQ_AQ": {"LLM": 0, "user": 1}, "VQ_CQ": {"LLM": 2, "user": 0}, '
       '"VQ_DA": {"LLM": 1, "user": 1}}\n</payoff><analyze>a</analyze><response>r</response>')
PRICING_MATRIX = {"DQ_AQ": (2.0, 3.0), "DQ_CQ": (1.0, 1.0), "DQ_DA": (3.0, 2.6),
                  "VQ_AQ": (1.5, 2.0), "VQ_CQ": (2.0, 2.5), "VQ_DA": (1.0, 0.5)}
TOKENS = {"DA": 300, "CQ": 40, "AQ": 220}
PICKS = '[[list(pareto(cells(m), q)), welfare_pick(cells(m), q)] for m in DATA for q in ("DQ", "VQ")]'


def _matrices(seed: int, n: int, draw) -> list[dict]:
    rng = random.Random(seed)
    return [{k: [draw(rng), draw(rng)] for k in KEYS} for _ in range(n)]


def cases() -> list[Case]:
    """Every graded case, in question order (inputs drawn from fixed seeds: the same cases for every build)."""
    texts = [f"<thinking>x</thinking><payoff>{json.dumps({k: {'LLM': l, 'user': u} for k, (l, u) in m.items()})}"
             "</payoff><analyze>y</analyze><response>z</response>"
             for m in _matrices(11, 50, lambda r: round(r.uniform(-5, 5), 1))]
    ties = {"DQ_AQ": [1.0, 4.0], "DQ_CQ": [1.0, 4.0], "DQ_DA": [4.0, 1.0], "VQ_AQ": [3.0, 1.0], "VQ_CQ": [3.0, 2.0],
            "VQ_DA": [-1.0, 5.0]}
    rng = random.Random(44)
    utilities = [[rng.random(), rng.randint(0, 1500), rng.randint(0, 3000), rng.randint(0, 2000), rng.random(),
                  rng.randint(0, 1)] for _ in range(200)]
    rng = random.Random(77)
    priced = [[{k: [rng.uniform(-5, 5), rng.uniform(-5, 5)] for k in KEYS}, rng.uniform(0, 20), rng.uniform(0, 10),
               {a: rng.uniform(10, 600) for a in ("DA", "CQ", "AQ")}] for _ in range(100)]
    grid = [i / 10 for i in range(11)]
    return [
        Case("q1", "public", '[parse_payoff(DATA)["DQ_DA"], parse_payoff(DATA)["VQ_AQ"]]', EXAMPLE),
        Case("q1", "no payoff block; newlines, ints, negatives", "[parse_payoff(t) for t in DATA]",
             ["<thinking>no payoff here</thinking><response>hi</response>", ODD]),
        Case("q1", "50 random matrices", "[parse_payoff(t) for t in DATA]", texts),
        Case("q2", "public", '[list(pareto(cells(DATA), "DQ")), welfare_pick(cells(DATA), "DQ")]',
             {"DQ_AQ": [2.0, 2.5], "DQ_CQ": [1.5, 1.0], "DQ_DA": [3.0, 2.0], "VQ_AQ": [1.0, 1.5], "VQ_CQ": [2.0, 2.0],
              "VQ_DA": [0.5, 0.5]}),
        Case("q2", "ties", PICKS, [ties, {**ties, "VQ_CQ": [2.0, 2.0], "VQ_DA": [0.0, 4.0]}]),
        Case("q2", "300 random integer matrices", PICKS,
             _matrices(22, 300, lambda r: float(r.randint(-3, 3)))),
        Case("q3", "public", 'nash_pick(cells(DATA), "DQ")',
             {"DQ_AQ": [2.0, 4.0], "DQ_CQ": [0.0, 0.0], "DQ_DA": [5.0, 1.5], "VQ_AQ": [1.0, 1.0], "VQ_CQ": [2.0, 2.0],
              "VQ_DA": [0.0, 0.0]}),
        Case("q3", "hand-worked rows and 300 random matrices", '[nash_pick(cells(m), q) for m in DATA for q in ("DQ", "VQ")]',
             [{"DQ_AQ": [2.0, 3.0], "DQ_CQ": [1.0, 1.0], "DQ_DA": [5.4, 0.2], "VQ_AQ": [-2.0, 1.0], "VQ_CQ": [1.0, -1.0],
               "VQ_DA": [0.0, 0.5]}] + _matrices(33, 300, lambda r: r.uniform(-5, 5))),
        Case("q3", "NASH_EXAMPLE", "NASH_EXAMPLE", check="nash_differs"),
        Case("q4", "public", "[length_term(260, 20, 500), user_utility(1.0, 260, 0)]"),
        Case("q4", "hand-worked values",
             "[user_utility(0.5, 20, 500), llm_utility(1.0, 1, 1.0, 750), llm_utility(0.0, 1, 0.5, 100), "
             "cobb_douglas(0.918226, 0.920939), cobb_douglas(0.0, 0.9)]"),
        Case("q4", "200 random inputs",
             "[[user_utility(a, rw, rc), llm_utility(a, f, ps, cw), cobb_douglas(user_utility(a, rw, rc), "
             "llm_utility(a, f, ps, cw))] for a, rw, rc, cw, ps, f in DATA]", utilities),
        Case("q5", "public", "[list(BALANCED), list(GAMED)]", check="linear_prefers_gamed"),
        Case("q5", "the product prefers BALANCED", "[list(BALANCED), list(GAMED)]", check="product_prefers_balanced"),
        Case("q6", "public", "[my_welfare(0.0, 0.8), my_welfare(0.8, 0.0), my_welfare(0.5, 0.5)]",
             check="welfare_edges"),
        Case("q6", "grid", "[[my_welfare(u, l) for l in DATA] for u in DATA]", grid, check="welfare_grid"),
        Case("q6", "a name the logs can show", "[my_welfare.__name__, my_welfare(0.3, 0.6)]", check="welfare_name"),
        Case("q7", "public", "[list(v) for v in reprice(cells(DATA[0]), 8, 0, DATA[1]).values()]",
             [PRICING_MATRIX, TOKENS]),
        Case("q7", "hand-worked and 100 random matrices",
             "[{k: list(v) for k, v in reprice(cells(m), p, c, t).items()} for m, p, c, t in DATA]",
             [[PRICING_MATRIX, 0, 8, TOKENS], [PRICING_MATRIX, 4, 2, TOKENS]] + priced),
        Case("q7", "PREDICT", "PREDICT"),
    ]


def same(expected, got, tol: float = 1e-6) -> bool:
    """Equal in value and in plain type: a float must be a float (not an int, a bool or a subclass), a list a list."""
    if type(expected) is not type(got):
        return False
    if type(expected) is float:
        return math.isfinite(got) and abs(expected - got) <= tol
    if type(expected) is list:
        return len(expected) == len(got) and all(same(e, g, tol) for e, g in zip(expected, got))
    if type(expected) is dict:
        return expected.keys() == got.keys() and all(same(expected[k], got[k], tol) for k in expected)
    return expected == got


def _number(x) -> bool:
    return type(x) in (int, float) and math.isfinite(x)


def _matrix(got):
    """A PayoffMatrix from a plain {key: [LLM, user]} answer, or None when it is not one."""
    import gtalign_lite as gl

    if type(got) is not dict or set(got) != set(KEYS):
        return None
    if not all(type(v) is list and len(v) == 2 and all(_number(x) for x in v) for v in got.values()):
        return None
    return gl.PayoffMatrix.from_dict({k: {"LLM": float(l), "user": float(u)} for k, (l, u) in got.items()})


def nash_differs(got) -> bool:
    import gtalign_lite as gl

    m = _matrix(got)
    return m is not None and gl.select_action(m, "DQ", "nash") != gl.select_action(m, "DQ", "welfare")


def _two_cases(got):
    """[(text, a_user, a_llm), ...] when `got` is two well-formed cases with scores in [0, 1], else None."""
    import gtalign_lite as gl

    if type(got) is not list or len(got) != 2:
        return None
    for case in got:
        if type(case) is not list or len(case) != 3 or type(case[0]) is not str:
            return None
        if not all(_number(a) and 0 <= a <= 1 for a in case[1:]) or not gl.parse_completion(case[0]).format_ok:
            return None
    return got


def _welfare(case, variant: str) -> float:
    import gtalign_lite as gl

    return gl.reward_breakdown(case[0], case[1], case[2], variant).welfare


def linear_prefers_gamed(got) -> bool:
    cases = _two_cases(got)
    return cases is not None and _welfare(cases[1], "linear") > _welfare(cases[0], "linear")


def product_prefers_balanced(got) -> bool:
    cases = _two_cases(got)
    return (cases is not None and _welfare(cases[1], "linear") > _welfare(cases[0], "linear")
            and _welfare(cases[1], "cobb_douglas") < _welfare(cases[0], "cobb_douglas"))


def welfare_edges(got) -> bool:
    """0 when either side is 0 (an int 0 will do there, as in the public check), a positive float in between."""
    return (type(got) is list and len(got) == 3 and all(_number(v) for v in got[:2]) and type(got[2]) is float
            and got[0] == 0 and got[1] == 0 and math.isfinite(got[2]) and got[2] > 0)


def welfare_grid(got) -> bool:
    """Floats, 0 on both edges, never decreasing in U or L, and neither sqrt(U L) nor (U + L) / 2."""
    grid = [i / 10 for i in range(11)]
    if type(got) is not list or len(got) != 11 or not all(type(r) is list and len(r) == 11 for r in got):
        return False
    if not all(type(v) is float and math.isfinite(v) for r in got for v in r):
        return False
    edges = all(got[0][i] == 0 and got[i][0] == 0 for i in range(11))
    rising = all(got[i + 1][j] >= got[i][j] - 1e-12 and got[j][i + 1] >= got[j][i] - 1e-12
                 for i in range(10) for j in range(11))
    other = [(abs(got[i][j] - math.sqrt(u * l)), abs(got[i][j] - (u + l) / 2))
             for i, u in enumerate(grid) for j, l in enumerate(grid)]
    return edges and rising and any(a > 1e-6 for a, _ in other) and any(b > 1e-6 for _, b in other)


def welfare_name(got) -> bool:
    """A def's own name, not one of the logged components, and a positive float inside the square."""
    if type(got) is not list or len(got) != 2 or type(got[0]) is not str or type(got[1]) is not float:
        return False
    name, value = got
    return name.isidentifier() and name not in ("user", "llm", "format", "answer_user") and math.isfinite(value) \
        and value > 0


CHECKS = {f.__name__: f for f in (nash_differs, linear_prefers_gamed, product_prefers_balanced, welfare_edges,
                                  welfare_grid, welfare_name)}
