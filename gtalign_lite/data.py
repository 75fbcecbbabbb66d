"""The paper's data: download (or read) the published parquet files, keep whole conversations, and split
by problem so that no test prompt is also a train prompt."""
from __future__ import annotations

import hashlib
import os
import re
from collections import Counter, defaultdict
from pathlib import Path

from .prompts import build_messages

DATA_URL = "https://raw.githubusercontent.com/ulab-uiuc/GTAlign/main/data/gamellm_wildbreak_math_medium_abgqa"
SOURCES = ("math-hard", "wildguard", "ambig_qa", "medium")
OFFLINE_HINT = ("No network? Use gtalign_lite.offline_suite(split) (generated locally), or pass "
                "path_or_url= a local folder or .parquet file you copied from the GTAlign repository.")


class OfflineError(ConnectionError):
    """The data could not be downloaded; the message names the offline alternative."""


def cache_dir() -> Path:
    """Where downloads and converted models live: $GTALIGN_CACHE or ~/.cache/gtalign_lite."""
    return Path(os.environ.get("GTALIGN_CACHE", Path.home() / ".cache" / "gtalign_lite"))


def download(url: str, dest: Path, timeout: float = 10.0) -> Path:
    """Fetch url to dest once, with a progress bar; fail fast (timeout seconds) with OFFLINE_HINT."""
    import requests
    from tqdm.auto import tqdm

    if dest.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with requests.get(url, stream=True, timeout=timeout) as r:
            r.raise_for_status()
            total = int(r.headers.get("Content-Length", 0)) or None
            tmp = dest.with_suffix(dest.suffix + ".part")
            with open(tmp, "wb") as f, tqdm(total=total, unit="B", unit_scale=True, desc=dest.name) as bar:
                for chunk in r.iter_content(1 << 16):
                    f.write(chunk)
                    bar.update(len(chunk))
            tmp.replace(dest)
    except requests.RequestException as e:
        raise OfflineError(f"could not download {url}: {type(e).__name__}: {e}\n{OFFLINE_HINT}") from None
    return dest


def _local_or_download(path_or_url: str, name: str | None, timeout: float) -> Path:
    """A local parquet path, or a URL fetched into the cache. name: file name inside a folder."""
    target = f"{path_or_url.rstrip('/')}/{name}" if name else path_or_url
    if re.match(r"https?://", target):
        digest = hashlib.sha256(target.encode()).hexdigest()[:12]
        return download(target, cache_dir() / "data" / f"{digest}-{Path(target).name}", timeout)
    p = Path(target)
    if not p.exists():
        raise FileNotFoundError(f"{p} does not exist. {OFFLINE_HINT}")
    return p


def parse_label(source: str, ground_truth: str) -> dict:
    """Question type, gold action, answer and label from a row's ground truth, where the source says."""
    gt = str(ground_truth)
    if source == "ambig_qa":
        kind, _, rest = gt.partition("###")
        if kind not in ("singleAnswer", "multipleQAs"):
            raise ValueError(f"ambig_qa ground truth should start with singleAnswer### or multipleQAs###: {gt[:60]!r}")
        ambiguous = kind == "multipleQAs"
        return {"question_type": "VQ" if ambiguous else "DQ", "gold_action": "CQ" if ambiguous else "DA",
                "answer": rest.strip(), "label": kind}
    if source == "wildguard":
        if gt not in ("harmful", "unharmful"):
            raise ValueError(f"wildguard ground truth should be harmful or unharmful, got {gt[:60]!r}")
        return {"question_type": "DQ", "gold_action": "AQ" if gt == "harmful" else "DA", "answer": "", "label": gt}
    if source in ("math-hard", "minerva"):
        return {"question_type": None, "gold_action": None, "answer": gt, "label": ""}
    return {"question_type": None, "gold_action": None, "answer": "", "label": ""}  # medium: reference article


def normalise_row(raw: dict, prompt_style: str = "paper") -> dict:
    """One published row -> our schema: whole conversation, last question, labels, a fresh prompt."""
    info = raw.get("extra_info") or {}
    turns = info.get("chat_history")
    history = [{"role": m["role"], "content": m["content"]} for m in ([] if turns is None else list(turns))]
    if not history or history[-1]["role"] != "user":
        raise ValueError(f"row {raw.get('unique_conv_id')}: chat_history must end with a user turn")
    source = raw["data_source"]
    gt = (raw.get("reward_model") or {}).get("ground_truth", "")
    first_user = next(m["content"] for m in history if m["role"] == "user")
    return {
        "data_source": source, "conv_id": int(raw.get("conv_id", -1)), "turn_id": int(raw.get("turn_id", 1)),
        "messages": history, "question": history[-1]["content"], "ground_truth": str(gt),
        "problem": str(info.get("single_turn_prompt") or first_user),
        "prompt": build_messages(history[-1]["content"], history[:-1], prompt_style),
        **parse_label(source, gt),
    }


def group_key(row: dict) -> str:
    """What must not cross splits: the source plus the problem text, case and spacing ignored."""
    return row["data_source"] + "|" + " ".join(str(row["problem"]).lower().split())


def split_overlap(a, b) -> dict[str, tuple[int, int]]:
    """Per source: (how many of b's problems also appear in a, how many problems b has)."""
    seen = {group_key(r) for r in a}
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for key in {group_key(r) for r in b}:
        src = key.split("|", 1)[0]
        out[src][0] += key in seen
        out[src][1] += 1
    return {k: (v[0], v[1]) for k, v in sorted(out.items())}


def dedupe(rows: list[dict]) -> list[dict]:
    """Drop rows whose (problem, conversation) was already seen."""
    seen, out = set(), []
    for r in rows:
        key = (group_key(r), tuple((m["role"], m["content"]) for m in r["messages"]))
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def resplit(rows: list[dict], test_fraction: float = 0.1, seed: int = 0) -> dict[str, list[dict]]:
    """Split by problem (all turns of one problem go together) with a stable hash; no overlap by design."""
    out = {"train": [], "test": []}
    for r in dedupe(rows):
        h = int(hashlib.sha256(f"{seed}|{group_key(r)}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        out["test" if h < test_fraction else "train"].append(r)
    return out


def read_rows(path_or_url: str, name: str | None = None, prompt_style: str = "paper", timeout: float = 10.0):
    """Rows of one published parquet file (local or URL), normalised."""
    import pandas as pd

    df = pd.read_parquet(_local_or_download(path_or_url, name, timeout))
    return [normalise_row(r, prompt_style) for r in df.to_dict("records")]


def load_gtalign(split: str, sources=None, path_or_url: str | None = None, prompt_style: str = "paper",
                 test_fraction: float = 0.1, seed: int = 0, timeout: float = 10.0):
    """The paper's rows as a datasets.Dataset.

    path_or_url None or a folder (local or URL) holding train.parquet and test.parquet: both are pooled,
    deduplicated and re-split by problem (our split, no overlap). A single .parquet file: that file's
    rows exactly as published (its split is the file's; `dedupe` shows its repeated conversations).
    """
    from datasets import Dataset

    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    unknown = set(sources or ()) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown sources {sorted(unknown)}; valid: {SOURCES}")
    where = path_or_url or DATA_URL
    if where.endswith(".parquet"):
        rows = read_rows(where, None, prompt_style, timeout)
    else:
        pooled = read_rows(where, "train.parquet", prompt_style, timeout) + read_rows(where, "test.parquet", prompt_style, timeout)
        rows = resplit(pooled, test_fraction, seed)[split]
    if sources:
        rows = [r for r in rows if r["data_source"] in sources]
    return Dataset.from_list(rows)


def source_counts(rows) -> dict[str, int]:
    """Rows per data_source."""
    return dict(Counter(r["data_source"] for r in rows))
