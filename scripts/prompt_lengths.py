"""Prompt lengths of the paper's rows in tokens, per split and source, and the share that does not fit a
max_seq_length once a completion of up to COMPLETION tokens is added: what params/colab_t4.yaml is sized from.

Run: python scripts/prompt_lengths.py DATA_ROOT --tokenizer QWEN_TOKENIZER_DIR [--completion 512] [--style paper]
DATA_ROOT is a local copy of the GTAlign repository's data/ folder. Prints an aggregate table (Markdown), no rows.
"""
import argparse

import numpy as np
import pandas as pd
from transformers import AutoTokenizer

from gtalign_lite.data import IN_DIST_SOURCES, OOD_SOURCES, load_gtalign

LIMITS = (1536, 2048, 2560, 3072)


def lengths(tok, rows) -> np.ndarray:
    """Tokens of each row's chat prompt up to the assistant's turn (what generation starts from)."""
    texts = [tok.apply_chat_template(r["prompt"], tokenize=False, add_generation_prompt=True) for r in rows]
    return np.array([len(ids) for ids in tok(texts, add_special_tokens=False)["input_ids"]])


def table(root: str, tok, completion: int, style: str) -> pd.DataFrame:
    """One line per (split, source) and one per split: rows, token quantiles, % over each limit."""
    here = [s for s in IN_DIST_SOURCES if s != "medium"]  # medium's train file is not in every local copy
    parts = {("train", s): load_gtalign("train", [s], root, style) for s in here}
    parts |= {("test", s): load_gtalign("test", [s], root, style) for s in here}
    parts |= {("ood", s): load_gtalign("test", [s], root, style) for s in OOD_SOURCES}
    out, by_split = [], {}
    for (split, source), rows in parts.items():
        n = lengths(tok, list(rows))
        by_split.setdefault(split, []).append(n)
        out.append(_line(split, source, n, completion))
    for split, ns in by_split.items():
        out.append(_line(split, "all", np.concatenate(ns), completion))
    return pd.DataFrame(out)


def _line(split, source, n, completion) -> dict:
    line = {"split": split, "source": source, "rows": len(n), "median": int(np.median(n)),
            "p95": int(np.percentile(n, 95)), "max": int(n.max())}
    for limit in LIMITS:
        line[f"% > {limit} with +{completion}"] = round(100 * float(np.mean(n + completion > limit)), 1)
    return line


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("root")
    ap.add_argument("--tokenizer", required=True, help="a local folder with a Qwen2.5 tokenizer (tokenizer.json)")
    ap.add_argument("--completion", type=int, default=512, help="completion tokens added (colab_t4: 512)")
    ap.add_argument("--style", default="paper", choices=("paper", "compact"), help="system prompt (colab_t4: paper)")
    args = ap.parse_args()
    tok = AutoTokenizer.from_pretrained(args.tokenizer)
    print(table(args.root, tok, args.completion, args.style).to_markdown(index=False))
