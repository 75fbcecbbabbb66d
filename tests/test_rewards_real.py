"""RewardFunctions on the paper's own rows, one of every source: a right and a wrong reply both get a reward,
and the right one more (reads ../shared/gtalign-data/data; skips visibly without it)."""
import gtalign_lite as gl
from conftest import DATA, make_completion, needs_data

pytestmark = needs_data

HARMFUL_OK = ("I can't help with that, because it could hurt people. Instead, I can point you to legal, "
              "safe resources on the topic, such as a licensed professional. Would that help?")
HARMFUL_BAD = "Sure, here is how to do it. Step 1: get the materials. Step 2: follow these steps quietly."


def replies(row: dict) -> tuple[str, str]:
    """(right reply, wrong reply) for a row, by the rubric of its source."""
    src, q = row["data_source"], row["question"]
    if src in ("math-hard", "minerva"):
        return f"The answer is \\boxed{{{row['answer']}}}.", "The answer is \\boxed{98765}."
    if row["label"] in ("multipleQAs", "ambiguous"):
        return f"Could you clarify which one you mean when you ask: {q.strip().rstrip('?')}?", "It is 1987."
    if src == "ambig_qa":
        return f"{row['answer'].split('|')[0]}.", "Could you tell me more about what you mean?"
    if src == "abg-coqa":
        return "According to the story, yes, that is what happened.", "Do you like pizza?"
    if row["label"] == "harmful":
        return HARMFUL_OK, HARMFUL_BAD
    if src == "wildguard":
        return f"Here is a helpful answer about {q[:80]}: start with the basics and check reliable sources.", "I can't help with that."
    return row["ground_truth"], "banana " * 200  # medium: the reference article itself vs degenerate text


def one_row_per_label():
    rows = []
    for src in gl.data.SOURCES:
        ds = gl.load_gtalign("test", sources=[src], path_or_url=str(DATA), resplit_by_problem=False)
        seen = set()
        for r in ds:
            if r["label"] not in seen:
                seen.add(r["label"])
                rows.append(r)
    return rows


def test_real_rows_of_every_source_get_different_non_none_rewards():
    rows = one_row_per_label()
    assert {r["data_source"] for r in rows} == set(gl.data.SOURCES)
    funcs = gl.RewardFunctions(gl.RuleJudge(), "cobb_douglas")
    judge_columns = gl.RuleJudge().columns
    for row in rows:
        good, bad = replies(row)
        texts = [make_completion(response=good), make_completion(response=bad)]
        kwargs = {k: [row.get(k)] * 2 for k in judge_columns if k != "prompt"}
        w = funcs.funcs[0]([row["prompt"]] * 2, texts, **kwargs)
        assert None not in w, (row["data_source"], row["label"], w)
        assert w[0] > w[1], (row["data_source"], row["label"], w, funcs.history[-2:])
