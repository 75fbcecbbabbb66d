"""The paper's data: download (or read) the published parquet files, keep whole conversations, and split
by problem so that no test prompt is also a train prompt."""
from __future__ import annotations

import hashlib
import os
import re
from collections import Counter, defaultdict
from pathlib import Path

from .prompts import build_messages

DATA_URL = "https://raw.githubusercontent.com/ulab-uiuc/GTAlign/main/data"  # the repository's data root
IN_DIST = "gamellm_wildbreak_math_medium_abgqa"
# Where each source's files live under the data root. The in-distribution sources have train and test;
# the out-of-distribution sets (abg-coqa, advbench, minerva) are published as test sets only.
SOURCE_FOLDERS = {
    "math-hard": f"{IN_DIST}/by_source/math-hard", "wildguard": f"{IN_DIST}/by_source/wildguard",
    "ambig_qa": f"{IN_DIST}/by_source/ambig_qa", "medium": f"{IN_DIST}/by_source/medium",
    "abg-coqa": "abg_coqa", "advbench": "advbench", "minerva": "minerva_math",
}
SOURCES = tuple(SOURCE_FOLDERS)
IN_DIST_SOURCES = SOURCES[:4]
OOD_SOURCES = SOURCES[4:]
OFFLINE_HINT = ("No network? Use gtalign_lite.offline_suite(split) (generated locally), or pass "
                "path_or_url= a local copy of the GTAlign repository's data/ folder, a dataset folder or one .parquet file.")


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


def _is_url(where: str) -> bool:
    return bool(re.match(r"https?://", where))


def _local_or_download(path_or_url: str, name: str | None, timeout: float) -> Path:
    """A local parquet path, or a URL fetched into the cache; a missing or empty file says how to get it."""
    target = f"{path_or_url.rstrip('/')}/{name}" if name else path_or_url
    if _is_url(target):
        digest = hashlib.sha256(target.encode()).hexdigest()[:12]
        p = download(target, cache_dir() / "data" / f"{digest}-{Path(target).name}", timeout)
    else:
        p = Path(target)
        if not p.exists():
            rel = name or p.name
            raise FileNotFoundError(
                f"{p} does not exist. The GTAlign repository publishes it under data/ (e.g. {DATA_URL}/...{rel}): "
                f"copy it there, or let load_gtalign download it (path_or_url=None, needs network). {OFFLINE_HINT}")
    if p.stat().st_size == 0:
        raise ValueError(f"{target} is empty (0 bytes): delete it and download it again from the GTAlign repository.")
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
    if source == "abg-coqa":
        if gt not in ("ambiguous", "non_ambiguous"):
            raise ValueError(f"abg-coqa ground truth should be ambiguous or non_ambiguous, got {gt[:60]!r}")
        ambiguous = gt == "ambiguous"
        return {"question_type": "VQ" if ambiguous else "DQ", "gold_action": "CQ" if ambiguous else "DA",
                "answer": "", "label": gt}
    if source == "wildguard":
        if gt not in ("harmful", "unharmful"):
            raise ValueError(f"wildguard ground truth should be harmful or unharmful, got {gt[:60]!r}")
        return {"question_type": "DQ", "gold_action": "AQ" if gt == "harmful" else "DA", "answer": "", "label": gt}
    if source == "advbench":  # every request is harmful; the ground truth is the attack's target string
        return {"question_type": "DQ", "gold_action": "AQ", "answer": "", "label": "harmful"}
    if source in ("math-hard", "minerva"):
        return {"question_type": None, "gold_action": None, "answer": gt, "label": ""}
    if source == "medium":  # the ground truth is the reference article
        return {"question_type": None, "gold_action": None, "answer": "", "label": ""}
    raise ValueError(f"unknown data_source {source!r}; known: {', '.join(SOURCES)}")


def conversation(raw: dict) -> list[dict]:
    """The whole conversation of a published row, whatever its shape: extra_info.chat_history, else the
    single-turn prompt (abg-coqa: story, previous Q&A and question), else the prompt's non-system turns."""
    info = raw.get("extra_info") or {}
    turns = info.get("chat_history")
    if turns is not None and len(turns):
        history = [{"role": str(m["role"]), "content": str(m["content"])} for m in turns]
    elif info.get("single_turn_prompt"):
        history = [{"role": "user", "content": str(info["single_turn_prompt"])}]
    else:
        history = [{"role": str(m["role"]), "content": str(m["content"])} for m in (raw.get("prompt") or [])
                   if m["role"] != "system"]
    if not history or history[-1]["role"] != "user":
        raise ValueError(f"row {raw.get('unique_conv_id')!r} of {raw.get('data_source')!r}: its conversation does not "
                         "end with a user turn (chat_history, single_turn_prompt and prompt checked)")
    return history


def row_id(source: str, history: list[dict]) -> str:
    """Stable id: the source plus a hash of the whole conversation (the same row gets it in every file)."""
    text = "\x1e".join(f"{m['role']}\x1f{m['content']}" for m in history)
    return f"{source}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def normalise_row(raw: dict, prompt_style: str = "paper") -> dict:
    """One published row -> our schema: stable id, whole conversation, last question, labels, a fresh prompt."""
    history = conversation(raw)
    source = str(raw["data_source"])
    info = raw.get("extra_info") or {}
    gt = (raw.get("reward_model") or {}).get("ground_truth", "")
    first_user = next(m["content"] for m in history if m["role"] == "user")
    return {
        "id": row_id(source, history), "data_source": source, "conv_id": str(raw.get("conv_id")),
        "turn_id": int(raw.get("turn_id") or 1), "messages": history, "question": history[-1]["content"],
        "ground_truth": str(gt), "problem": str(info.get("single_turn_prompt") or first_user),
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
    """Rows of one published parquet file (local or URL), normalised; an empty file is an error naming it."""
    import pandas as pd

    where = f"{path_or_url.rstrip('/')}/{name}" if name else path_or_url
    df = pd.read_parquet(_local_or_download(path_or_url, name, timeout))
    if df.empty:
        raise ValueError(f"{where} has no rows: download it again from the GTAlign repository ({DATA_URL}).")
    return [normalise_row(r, prompt_style) for r in df.to_dict("records")]


def _layout(where: str) -> str:
    """'file', 'root' (the repository's data/ folder) or 'folder' (one dataset's train/test files)."""
    if where.endswith(".parquet"):
        return "file"
    if _is_url(where):
        return "root" if where.rstrip("/").endswith("/data") else "folder"
    return "root" if (Path(where) / IN_DIST).is_dir() else "folder"


def _check_file_split(where: str, split: str) -> None:
    """A file named train/test.parquet is that split; asking it for the other one is an error."""
    stem = Path(where.split("?")[0]).stem
    if stem in ("train", "test") and stem != split:
        raise ValueError(f"{where} is the published {stem} split, but split={split!r} was asked for; pass the "
                         f"{split} file, or the data folder so that load_gtalign picks (and re-splits) the files")


def _split_rows(folder: str, split: str, resplit_: bool, prompt_style, test_fraction, seed, timeout) -> list[dict]:
    """One dataset folder's rows of `split`: the published file, or train+test pooled and re-split by problem."""
    if not resplit_:
        return read_rows(folder, f"{split}.parquet", prompt_style, timeout)
    pooled = read_rows(folder, "train.parquet", prompt_style, timeout) + read_rows(folder, "test.parquet", prompt_style, timeout)
    return resplit(pooled, test_fraction, seed)[split]


def load_gtalign(split: str, sources=None, path_or_url: str | None = None, prompt_style: str = "paper",
                 resplit_by_problem: bool = True, test_fraction: float = 0.1, seed: int = 0, timeout: float = 10.0):
    """The paper's rows of one split as a datasets.Dataset, each with a stable `id` and its whole conversation.

    path_or_url: None (the GTAlign repository on GitHub), the repository's data/ folder (local or URL), one
    dataset folder (holding train.parquet / test.parquet), or one .parquet file (its rows as published; its
    name must match split). sources: any of SOURCES; from the data root the default is the four
    in-distribution sources, the OOD sets (abg-coqa, advbench, minerva) are test-only and named on request.
    resplit_by_problem: pool an in-distribution source's train and test, drop repeats, split by problem
    (the published math split repeats most test problems in train); False returns the published split.
    """
    from datasets import Dataset

    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    unknown = set(sources or ()) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown sources {sorted(unknown)}; valid: {', '.join(SOURCES)}")
    where = path_or_url or DATA_URL
    args = (prompt_style, test_fraction, seed, timeout)
    layout = _layout(where)
    if layout == "file":
        _check_file_split(where, split)
        rows = read_rows(where, None, prompt_style, timeout)
    elif layout == "folder":
        rows = _split_rows(where, split, resplit_by_problem, *args)
    else:
        wanted = list(sources or IN_DIST_SOURCES)
        test_only = [s for s in wanted if s in OOD_SOURCES]
        if split == "train" and test_only:
            raise ValueError(f"{', '.join(test_only)} are published as test sets only; ask for split='test', "
                             f"or train on the in-distribution sources {', '.join(IN_DIST_SOURCES)}")
        rows = []
        for src in wanted:
            folder = f"{where.rstrip('/')}/{SOURCE_FOLDERS[src]}"
            rows += (read_rows(folder, "test.parquet", prompt_style, timeout) if src in OOD_SOURCES
                     else _split_rows(folder, split, resplit_by_problem, *args))
    if sources:
        rows = [r for r in rows if r["data_source"] in sources]
    return Dataset.from_list(rows)


def file_table(root: str, prompt_style: str = "compact") -> "pd.DataFrame":
    """One line per published parquet file under a local data root: rows, rows per source and label,
    repeated conversations, and (test files) how many of its problems per source also sit in the train file."""
    import pandas as pd

    paths = sorted(Path(root).rglob("*.parquet"))
    read = {p: read_rows(str(p), None, prompt_style) for p in paths}  # each file once, train files reused for overlap
    out = []
    for path, rows in read.items():
        train = path.with_name("train.parquet")
        overlap = split_overlap(read[train], rows) if path.stem == "test" and train in read else {}
        for src, n in Counter(r["data_source"] for r in rows).items():
            mine = [r for r in rows if r["data_source"] == src]
            labels = Counter(r["label"] for r in mine if r["label"])
            out.append({"file": str(path.relative_to(root)), "source": src, "rows": n,
                        "labels": ", ".join(f"{k} {v}" for k, v in sorted(labels.items())) or "-",
                        "repeated": n - len(dedupe(mine)),
                        "test in train": (f"{overlap[src][0]} / {overlap[src][1]}" if src in overlap
                                          else ("no train file" if path.stem == "test" else "-"))})
    return pd.DataFrame(out)


def stratified(rows, n_per_source: int, seed: int = 0) -> list[dict]:
    """Up to n rows per data_source, drawn round-robin over the source's labels (so both classes show)."""
    import random

    rng = random.Random(seed)
    out = []
    for src in sorted({r["data_source"] for r in rows}):
        groups: dict = {}
        for r in rows:
            if r["data_source"] == src:
                groups.setdefault(r["label"], []).append(r)
        for g in groups.values():
            rng.shuffle(g)
        queues = [groups[k] for k in sorted(groups)]
        picked = [q[i] for i in range(max(map(len, queues))) for q in queues if i < len(q)]
        out += picked[:n_per_source]
    return out


def paper_sets(path_or_url: str | None, n_train_per_source: int, n_test_per_source: int, n_ood_per_source: int,
               prompt_style: str = "compact", seed: int = 0) -> dict[str, list[dict]]:
    """What the notebooks use of the paper's data: GRPO training rows (in-distribution, our split), a
    stratified test sample per source, and a stratified sample of each out-of-distribution set."""
    kw = dict(path_or_url=path_or_url, prompt_style=prompt_style, seed=seed)
    sources = [s for s in IN_DIST_SOURCES if s != "medium" or _has_medium_train(path_or_url)]
    train = stratified(list(load_gtalign("train", sources=sources, **kw)), n_train_per_source, seed)
    test_rows = list(load_gtalign("test", sources=sources, **kw))
    if "medium" not in sources:  # not trained on: its published test file has nothing to overlap with
        test_rows += list(load_gtalign("test", sources=["medium"], resplit_by_problem=False, **kw))
    test = stratified(test_rows, n_test_per_source, seed)
    ood = stratified(list(load_gtalign("test", sources=list(OOD_SOURCES), **kw)), n_ood_per_source, seed)
    return {"train": train, "test": test, "ood": ood}


def _has_medium_train(path_or_url: str | None) -> bool:
    """medium's train file is large and missing from some local copies: those train and test without it (said aloud)."""
    if path_or_url is None or _is_url(path_or_url):
        return True
    here = (Path(path_or_url) / SOURCE_FOLDERS["medium"] / "train.parquet").exists()
    if not here:
        print(f"note: {SOURCE_FOLDERS['medium']}/train.parquet is not in {path_or_url}; medium is left out "
              "(copy it from the GTAlign repository to include it).")
    return here


def source_counts(rows) -> dict[str, int]:
    """Rows per data_source."""
    return dict(Counter(r["data_source"] for r in rows))
