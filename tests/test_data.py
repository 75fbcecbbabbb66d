"""The paper's data: the real test split when present, and the download path over loopback HTTP."""
import time
from pathlib import Path

import pandas as pd
import pytest

from gtalign_lite import OfflineError, load_gtalign, split_overlap
from gtalign_lite.data import dedupe, parse_label, read_rows, resplit
from conftest import DATA, SHARED, needs_data

REAL = SHARED / "gtalign-data" / "test.parquet"
needs_real = pytest.mark.skipif(not REAL.exists(), reason="../shared/gtalign-data/test.parquet not present")


def fake_rows(n_per_source=6, offset=0):
    """Rows in the published schema (made here, not copied)."""
    rows = []
    truths = {"math-hard": lambda i: str(i), "ambig_qa": lambda i: "singleAnswer###x" if i % 2 else "multipleQAs###a\nb",
              "wildguard": lambda i: "harmful" if i % 2 else "unharmful", "medium": lambda i: f"article {i}"}
    for src, truth in truths.items():
        for i in range(offset, offset + n_per_source):
            q = f"{src} problem {i}"
            history = [{"role": "user", "content": q}]
            if i % 3 == 0:
                history += [{"role": "assistant", "content": "Which part?"}, {"role": "user", "content": "All of it."}]
            rows.append({"prompt": [{"role": "user", "content": q}], "data_source": src, "conv_id": i, "turn_id": len(history),
                         "reward_model": {"ground_truth": truth(i), "style": "rule"},
                         "extra_info": {"chat_history": history, "single_turn_prompt": q, "split": "x", "index": i}})
    return rows


@pytest.fixture
def published(tmp_path):
    """A folder with train.parquet and test.parquet where 4 test problems per source also sit in train."""
    folder = tmp_path / "published"
    folder.mkdir()
    pd.DataFrame(fake_rows(10, 0)).to_parquet(folder / "train.parquet")
    pd.DataFrame(fake_rows(6, 6)).to_parquet(folder / "test.parquet")
    return folder


def test_reference_style_overlap_is_measured_and_ours_is_zero(published):
    train, test = read_rows(str(published), "train.parquet"), read_rows(str(published), "test.parquet")
    assert split_overlap(train, test)["math-hard"] == (4, 6)  # problems 6..9 are in both, as in the reference
    ours = resplit(train + test, test_fraction=0.3, seed=0)
    assert ours["test"] and all(n == 0 for n, _ in split_overlap(ours["train"], ours["test"]).values())


def test_whole_conversation_is_kept(published):
    rows = read_rows(str(published), "train.parquet")
    long = next(r for r in rows if len(r["messages"]) == 3)
    assert long["question"] == "All of it." and [m["role"] for m in long["prompt"]] == ["system", "user", "assistant", "user"]


def test_download_with_cache_then_local(published, serve_folder, gtalign_cache):
    url = serve_folder(published)
    train = load_gtalign("train", path_or_url=url, test_fraction=0.3)
    test = load_gtalign("test", path_or_url=url, sources=["math-hard"], test_fraction=0.3)
    assert len(train) + len(load_gtalign("test", path_or_url=url, test_fraction=0.3)) == 4 * 12  # 16 problems, deduped
    assert set(test["data_source"]) == {"math-hard"}
    assert len(list((gtalign_cache / "data").glob("*.parquet"))) == 2  # downloaded once, then cached
    single = load_gtalign("test", path_or_url=str(published / "test.parquet"))
    assert len(single) == 24


def test_no_network_fails_fast_naming_the_offline_suite(tmp_path, gtalign_cache):
    start = time.monotonic()
    with pytest.raises(OfflineError, match="offline_suite"):
        load_gtalign("test", path_or_url="http://127.0.0.1:9/data", timeout=2)
    assert time.monotonic() - start < 10
    with pytest.raises(FileNotFoundError, match="offline_suite"):
        load_gtalign("test", path_or_url=str(tmp_path / "nowhere.parquet"))
    with pytest.raises(ValueError, match="unknown sources"):
        load_gtalign("test", sources=["math"])


def test_label_parsing():
    assert parse_label("ambig_qa", "multipleQAs###m0")["question_type"] == "VQ"
    assert parse_label("ambig_qa", "singleAnswer###1988") == {"question_type": "DQ", "gold_action": "DA", "answer": "1988", "label": "singleAnswer"}
    assert parse_label("wildguard", "harmful")["gold_action"] == "AQ"
    assert parse_label("math-hard", r"\frac{1}{2}")["answer"] == r"\frac{1}{2}"
    with pytest.raises(ValueError, match="singleAnswer"):
        parse_label("ambig_qa", "maybe")
    with pytest.raises(ValueError, match="harmful"):
        parse_label("wildguard", "spicy")


@needs_real
def test_real_test_split_loads_all_rows_with_prompts():
    ds = load_gtalign("test", path_or_url=str(REAL))
    assert len(ds) == 1201
    assert pd.Series(ds["data_source"]).value_counts().to_dict() == {"math-hard": 353, "wildguard": 300, "ambig_qa": 300, "medium": 248}
    for col in ("messages", "question", "ground_truth", "problem", "prompt", "question_type", "gold_action", "answer", "label"):
        assert col in ds.column_names
    for row in ds:
        assert row["prompt"][0]["role"] == "system" and row["prompt"][-1]["content"].endswith(row["question"])
    labels = pd.Series([r["label"] for r in ds if r["data_source"] == "ambig_qa"]).value_counts().to_dict()
    assert labels == {"multipleQAs": 150, "singleAnswer": 150}
    assert sum(r["label"] == "harmful" for r in ds) == 152
    assert sum(len(r["messages"]) > 1 for r in ds) == 523  # multi-turn conversations kept whole


@needs_real
def test_real_split_has_repeats_and_our_resplit_has_no_overlap():
    rows = read_rows(str(REAL))
    assert len(dedupe(rows)) < len(rows)
    ours = resplit(rows, test_fraction=0.5)
    assert all(n == 0 for n, _ in split_overlap(ours["train"], ours["test"]).values())


# Row counts as the data folder's README publishes them (file -> rows).
PUBLISHED = {
    "gamellm_wildbreak_math_medium_abgqa/test.parquet": 1201,
    "gamellm_wildbreak_math_medium_abgqa/by_source/math-hard/test.parquet": 353,
    "gamellm_wildbreak_math_medium_abgqa/by_source/wildguard/test.parquet": 300,
    "gamellm_wildbreak_math_medium_abgqa/by_source/ambig_qa/test.parquet": 300,
    "gamellm_wildbreak_math_medium_abgqa/by_source/medium/test.parquet": 248,
    "gamellm_wildbreak_math_medium_abgqa/by_source/math-hard/train.parquet": 3176,
    "gamellm_wildbreak_math_medium_abgqa/by_source/wildguard/train.parquet": 2700,
    "gamellm_wildbreak_math_medium_abgqa/by_source/ambig_qa/train.parquet": 2700,
    "abg_coqa/test.parquet": 1055,
    "advbench/test.parquet": 520,
    "minerva_math/test.parquet": 272,
}


@needs_data
@pytest.mark.parametrize("name,n", PUBLISHED.items())
def test_every_published_file_loads_with_its_row_count(name, n):
    split = Path(name).stem
    ds = load_gtalign(split, path_or_url=str(DATA / name))
    assert len(ds) == n
    assert all(r["messages"][-1]["role"] == "user" and r["prompt"][-1]["content"].endswith(r["question"]) for r in ds)
    assert len(set(ds["id"])) == len(dedupe(list(ds)))  # one id per distinct conversation


@needs_data
def test_no_file_is_left_out_of_the_table():
    on_disk = {str(p.relative_to(DATA)) for p in DATA.rglob("*.parquet")}
    assert on_disk == set(PUBLISHED)


@needs_data
def test_ood_sets_load_by_source_name_with_their_labels():
    coqa = load_gtalign("test", sources=["abg-coqa"], path_or_url=str(DATA))
    assert len(coqa) == 1055 and pd.Series(coqa["label"]).value_counts().to_dict() == {"non_ambiguous": 932, "ambiguous": 123}
    assert coqa[0]["messages"][0]["content"].startswith("Context:")  # the story travels with the question
    adv = load_gtalign("test", sources=["advbench"], path_or_url=str(DATA))
    assert len(adv) == 520 and set(adv["label"]) == {"harmful"} and set(adv["gold_action"]) == {"AQ"}
    minerva = load_gtalign("test", sources=["minerva"], path_or_url=str(DATA))
    assert len(minerva) == 272 and minerva[3]["answer"] == "20.39"  # row 3's published ground truth
    with pytest.raises(ValueError, match="test sets only"):
        load_gtalign("train", sources=["advbench"], path_or_url=str(DATA))


@needs_data
def test_data_root_resplits_by_problem_and_ids_are_stable():
    kw = dict(sources=["ambig_qa", "wildguard"], path_or_url=str(DATA), test_fraction=0.1)
    train, test = load_gtalign("train", **kw), load_gtalign("test", **kw)
    assert all(n == 0 for n, _ in split_overlap(list(train), list(test)).values())
    assert 0.05 < len(test) / (len(train) + len(test)) < 0.15
    assert set(load_gtalign("test", **kw)["id"]) == set(test["id"])  # same ids on a second load
    published = load_gtalign("test", resplit_by_problem=False, **kw)
    assert len(published) == 600


def test_split_must_match_the_file(published):
    with pytest.raises(ValueError, match="published test split"):
        load_gtalign("train", path_or_url=str(published / "test.parquet"))


def test_missing_and_empty_files_say_how_to_get_them(tmp_path, published):
    root = tmp_path / "data"
    (root / "gamellm_wildbreak_math_medium_abgqa" / "by_source" / "medium").mkdir(parents=True)
    (root / "gamellm_wildbreak_math_medium_abgqa" / "by_source" / "medium" / "test.parquet").write_bytes(
        (published / "test.parquet").read_bytes())
    with pytest.raises(FileNotFoundError, match=r"medium/train\.parquet does not exist.*GTAlign repository"):
        load_gtalign("train", sources=["medium"], path_or_url=str(root))
    empty = tmp_path / "test.parquet"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        load_gtalign("test", path_or_url=str(empty))
    pd.DataFrame(fake_rows(1)).iloc[:0].to_parquet(tmp_path / "none.parquet")
    with pytest.raises(ValueError, match="no rows"):
        load_gtalign("test", path_or_url=str(tmp_path / "none.parquet"))
