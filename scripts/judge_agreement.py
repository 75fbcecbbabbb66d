"""How often RuleJudge agrees with the labelled judge cases (tests/judge_cases/cases.jsonl), per source; with --runs,
how often it agrees with the paper's own judge on the authors' published generations.

Each case names a published file and a row index in it, a response and the expected score on the source's
scale. Math, ambiguity and safety agree when the score is exactly the expected one; writing (medium) agrees
when the LLM-side rating and the expected score fall on the same side of 0.5.

    .venv/bin/python scripts/judge_agreement.py [--data ../shared/gtalign-data/data] [--show]
writes figures/judge_agreement.csv and figures/judge_agreement.md and prints the table. The second, held-out set
(labelled after the rules were written, by someone who had seen neither them nor the first set):
    .venv/bin/python scripts/judge_agreement.py --cases tests/judge_cases/holdout.jsonl --name judge_agreement_holdout

Against the paper's judge (Qwen3-32B; its recorded answer scores), on one half of the test questions
(gtalign_lite/data/question_split.json, hashes of the question text): rules are tuned on the dev half only, and the
report half is what README and docs/judges.md show:
    .venv/bin/python scripts/judge_agreement.py --runs --half dev|report [--runs-dir ../shared/gtalign-runs]
writes figures/judge_agreement_runs_<half>.csv and .md (aggregate only): per source, questions and generations the
reference judged, our rule judge's agreement on the reference's binary scale with a 95% bootstrap interval over
questions, Cohen's kappa, the constant-1 baseline (medium: Pearson of our LLM-side rating with the judge's rating / 4),
and the reference judge's agreement with itself on identical responses (the ceiling: it sampled at temperature 0.6),
here and on all 138 published step files.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "judge_cases" / "cases.jsonl"
DATA = ROOT.parent / "shared" / "gtalign-data" / "data"
TARGET = 0.9  # the agreement every source must reach
RUNS = ROOT.parent / "shared" / "gtalign-runs"
LABELS = DATA / "gamellm_wildbreak_math_medium_abgqa" / "test.parquet"  # the test split the 0910 runs validated on
RUN_TARGETS = {"math-hard": 0.92, "wildguard": 0.92, "ambig_qa": 0.82}  # agreement with the paper's judge, report half
N_BOOT = 2000  # bootstrap resamples of the questions


def load_cases(path=CASES) -> list[dict]:
    """The labelled cases, one JSON object a line."""
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def case_items(cases: list[dict], data_root=DATA) -> list[dict]:
    """Each case's published row (file, positional index), normalised as the loader does."""
    import pandas as pd

    from gtalign_lite.data import normalise_row

    frames, items = {}, []
    for c in cases:
        path = Path(data_root) / c["file"]
        if path not in frames:
            if not path.exists():
                raise FileNotFoundError(f"{path} is missing: point --data at a copy of the GTAlign repository's data/ folder")
            frames[path] = pd.read_parquet(path)
        items.append(normalise_row(frames[path].iloc[int(c["index"])].to_dict()))
    return items


def agrees(kind: str, result, expected: float) -> bool:
    """Exact score for math, ambiguity and safety; same side of 0.5 (LLM-side rating) for writing."""
    if result.failed:
        return False
    if kind == "writing":
        return (result.score_llm >= 0.5) == (float(expected) >= 0.5)
    return float(result.score) == float(expected)


def agreement(cases: list[dict], items: list[dict], judge=None):
    """(per-source table as a DataFrame, the disagreeing cases with the judge's rationale)."""
    import pandas as pd

    from gtalign_lite.judges import RuleJudge, source_kind

    judge = judge or RuleJudge(rubric="gold")  # the cases were labelled to the stricter rubric (gold answers checked)
    rows, misses = [], []
    for c, item in zip(cases, items):
        result = judge.score(item, c["response"])
        ok = agrees(source_kind(item), result, c["expected"])
        rows.append({"source": item["data_source"], "agree": ok})
        if not ok:
            misses.append({**c, "got": result.score, "got_llm": result.score_llm, "rationale": result.rationale})
    df = pd.DataFrame(rows)
    table = df.groupby("source")["agree"].agg(n="size", agreement=lambda s: round(100 * s.mean(), 1)).reset_index()
    table["rule"] = table["source"].map(lambda s: "score_llm>=0.5 vs expected>=0.5" if s == "medium" else "exact score")
    return table, misses


def analysed_runs(runs_dir=RUNS, labels=LABELS, sources=None, half=None):
    """The authors' generations of one half of the questions (dev, report; None: both), judged by our rules."""
    from gtalign_lite import reference_runs as rr
    from gtalign_lite.judges import RuleJudge

    df = rr.load_reference_runs(runs_dir, sources=sources, labels=str(labels))
    df = df.assign(half=rr.question_half(df))
    if half is not None:
        df = df[df["half"] == half].reset_index(drop=True)
    return rr.analyse(df, RuleJudge(rubric="paper"))


def _bootstrap(g, stat, n_resamples=N_BOOT, seed=0):
    """(point, lo, hi) of stat(weights per generation) over resamples of the questions (clusters), 95%."""
    from gtalign_lite.stats import _interval, cluster_weights

    codes, uniq = g["question"].factorize()
    w = cluster_weights(len(uniq), n_resamples, seed)[:, codes]
    return _interval(np.array([stat(row) for row in w]))


def _weighted_pearson(x, y, w):
    mx, my = np.average(x, weights=w), np.average(y, weights=w)
    cov = np.average((x - mx) * (y - my), weights=w)
    return cov / np.sqrt(np.average((x - mx) ** 2, weights=w) * np.average((y - my) ** 2, weights=w))


def half_table(d, self_d=None):
    """Per source, on generations the reference judged: questions, generations, our agreement with its recorded
    score with a bootstrap interval over questions, kappa, the constant-1 baseline, and its self-agreement
    (self_d: the frame to measure it on, default d). Medium: Pearson of our LLM-side rating with the judge's / 4."""
    import pandas as pd

    from gtalign_lite import reference_runs as rr
    from gtalign_lite.stats import cohen_kappa

    rows = []
    for src, g in d[d["judged_by_reference"] & d["rule_score"].notna()].groupby("source"):
        if src == "medium":
            x, y = g["rule_score_llm"].astype(float).to_numpy(), g["re_a_llm"].astype(float).to_numpy()
            point, lo, hi = _bootstrap(g, lambda w: _weighted_pearson(x, y, w) if w.sum() else np.nan)
            kappa = const = np.nan
        else:
            rec = g["answer_reward"].astype(float).clip(0, 1).to_numpy()
            hit = (g["rule_binary"].to_numpy() == rec).astype(float)
            point, lo, hi = _bootstrap(g, lambda w: w @ hit / w.sum())
            kappa, const = cohen_kappa(g["rule_binary"], pd.Series(rec, index=g.index)), float(rec.mean())
        rows.append({"source": src, "questions": g["question"].nunique(), "generations": len(g), "agreement": point,
                     "lo": lo, "hi": hi, "kappa": kappa, "constant_1": const})
    out = pd.DataFrame(rows).set_index("source").join(rr.self_agreement(d if self_d is None else self_d))
    out["self_agreement_full_set"] = pd.Series(rr.SELF_AGREEMENT_ALL_FILES)
    out["target"] = pd.Series(RUN_TARGETS)
    out["measure"] = ["Pearson (LLM-side rating vs judge / 4)" if s == "medium" else "agreement on 0/1" for s in out.index]
    return out.reset_index().round(3)


def runs_agreement(runs_dir=RUNS, labels=LABELS, sources=None, half="dev"):
    """(half_table of one half of the questions, judgements that failed)."""
    d = analysed_runs(runs_dir, labels, sources, half)
    return half_table(d), int(d["rule_failed"].sum())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(DATA), help="the GTAlign data/ folder (default: ../shared/gtalign-data/data)")
    ap.add_argument("--cases", default=str(CASES))
    ap.add_argument("--out", default=str(ROOT / "figures"))
    ap.add_argument("--name", default="judge_agreement", help="output file stem (holdout: judge_agreement_holdout)")
    ap.add_argument("--show", action="store_true", help="print every disagreeing case")
    ap.add_argument("--runs", action="store_true", help="agreement with the paper's judge on the 0910 generations")
    ap.add_argument("--runs-dir", default=str(RUNS), help="folder of 0910_* runs (default: ../shared/gtalign-runs)")
    ap.add_argument("--half", choices=("dev", "report"), default="dev",
                    help="which half of the questions (gtalign_lite/data/question_split.json): tune on dev, report on report")
    args = ap.parse_args()
    if args.runs:
        table, failed = runs_agreement(args.runs_dir, Path(args.data) / LABELS.relative_to(DATA), half=args.half)
        out = Path(args.out)
        table.to_csv(out / f"judge_agreement_runs_{args.half}.csv", index=False)
        md = table.to_markdown(index=False)
        (out / f"judge_agreement_runs_{args.half}.md").write_text(md + "\n")
        print(md, f"\n\n{failed} judgements failed (counted, not scored)")
        return
    cases = load_cases(args.cases)
    table, misses = agreement(cases, case_items(cases, args.data))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / f"{args.name}.csv", index=False)
    md = table.rename(columns={"agreement": "agreement %"}).to_markdown(index=False)
    (out / f"{args.name}.md").write_text(md + "\n")
    print(md)
    print(f"\n{len(cases) - len(misses)}/{len(cases)} cases agree; target {TARGET:.0%} per source")
    for m in misses if args.show else []:
        print(f"\n[{m['source']} #{m['index']}] expected {m['expected']}, got {m['got']} (llm {m['got_llm']}): "
              f"{m['rationale']}\n  why: {m.get('why')}\n  response: {m['response'][:300]!r}")


if __name__ == "__main__":
    main()
