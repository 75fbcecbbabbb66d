"""OpenAIJudge with the authors' prompts against a REAL OpenAI-compatible server on localhost: `transformers serve`
running the embedded SmolLM2-135M model, judging real rows and responses of each source (the authors' published
generations). What is checked is the plumbing: real replies read, ratings parsed or counted as failures, the cache,
a time limit, failures when the server is gone. A 135M model's verdicts are beside the point."""
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from gtalign_lite import reference_runs as rr
from gtalign_lite import reward_0910 as r0910
from gtalign_lite.judges import OpenAIJudge, source_kind
from conftest import LABELS, RUNS

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def rows():
    """One judged generation per source (its shortest response, to keep a CPU server quick): the row as the judge
    sees it and the response the reference judged."""
    if not (RUNS.exists() and LABELS.exists()):
        pytest.skip(f"the authors' generations are not at {RUNS} (see the README's data section)")
    df = rr.load_reference_runs(RUNS, steps=["last"], rewards=["cobb"], labels=str(LABELS))
    df["response"] = [r0910.first_block(o, "response") for o in df["output"]]
    df = df[df["response"].str.len().fillna(0) > 40]
    shortest = df.loc[df.groupby("source")["response"].apply(lambda s: s.str.len().idxmin())]
    multi = df[(df["source"] == "math-hard") & (df["problem"].str.strip() != df["question"].str.strip())]
    multi_turn = multi.loc[[multi["response"].str.len().idxmin()]]  # a maths row whose last turn is not the problem
    return [(rr.judge_item(r), r["response"]) for _, r in pd.concat([shortest, multi_turn]).iterrows()]


@pytest.fixture(scope="module")
def server():
    """`transformers serve` on a free port, pinned to the embedded model; stopped after the module."""
    pytest.importorskip("fastapi", reason="needs transformers[serving]: pip install 'transformers[serving]'")
    pytest.importorskip("uvicorn", reason="needs transformers[serving]: pip install 'transformers[serving]'")
    from gtalign_lite.models import ModelSetupError, embedded_model_dir

    try:
        model = str(embedded_model_dir())
    except ModelSetupError as e:
        pytest.skip(str(e))
    cli = shutil.which("transformers", path=str(Path(sys.executable).parent)) or shutil.which("transformers")
    if cli is None:
        pytest.skip("the `transformers` command is not installed next to this Python")
    port = _free_port()
    proc = subprocess.Popen([cli, "serve", model, "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/v1"
    import requests

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"transformers serve exited: {proc.stderr.read()[-2000:]}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).ok:
                break
        except requests.RequestException:
            time.sleep(1)
    else:
        proc.kill()
        pytest.fail("transformers serve did not answer /health within 180 s")
    yield {"url": url, "model": model, "proc": proc}
    proc.kill()
    proc.wait(10)


# transformers serve rejects top_k; a short, greedy reply keeps a CPU test quick (the authors' sampling otherwise)
SAMPLING = {"top_k": None, "max_tokens": 24, "temperature": 0.0}


def test_real_server_judges_real_rows_with_the_authors_prompts(server, rows, tmp_path):
    assert {it["data_source"] for it, _ in rows} == {"ambig_qa", "math-hard", "medium", "wildguard"}
    judge = OpenAIJudge(server["url"], server["model"], cache_dir=tmp_path, sampling=SAMPLING, timeout=400,
                        max_retries=0)
    item, response = rows[-1]  # the multi-turn maths row: the prompt's question slot holds the problem, as theirs does
    assert item["problem"].strip() != item["question"].strip()
    assert f"Target Question: {item['problem']}" in judge.prompt(item, response)
    items, responses = [it for it, _ in rows], [resp for _, resp in rows]
    first = judge.score_many(items, responses, workers=4)
    assert judge.calls == len(rows) and judge.failures == sum(r.failed for r in first)
    for (item, _), r in zip(rows, first):
        if r.failed:  # the model gave no rating in the authors' format: counted, with the reply quoted
            assert r.rationale.startswith(("no integer <abg> rating in reply:", "no \\boxed{<digits>} rating")), r
        else:  # a rating was read from the real reply and mapped to [0, 1] (medium: /4, into score_llm)
            value = r.score_llm if source_kind(item) == "writing" else r.score
            assert 0.0 <= value <= 1.0 and r.rationale, r
    cached = list(tmp_path.iterdir())
    assert len(cached) == sum(not r.failed for r in first)  # successes cached, failures never

    # a time limit shorter than one real generation: a counted failure, returned on time
    slow = OpenAIJudge(server["url"], server["model"], sampling={**SAMPLING, "max_tokens": 400}, timeout=400,
                       time_limit=0.3, max_retries=3, backoff=0.0)
    start = time.monotonic()
    r = slow.score(items[0], responses[0] + " (asked again)")
    assert r.failed and time.monotonic() - start < 3 and slow.failures == 1, r

    # with the server gone, cached judgements still answer and the others fail, counted
    server["proc"].kill()
    server["proc"].wait(10)
    again = judge.score_many(items, responses, workers=4)
    for r0, r1 in zip(first, again):
        assert (r1.score == r0.score and not r1.failed) if not r0.failed else (r1.failed and "Connection" in r1.rationale)
    assert judge.calls == 2 * len(rows) and judge.failures == 2 * sum(r.failed for r in first)
