"""Shared fixtures and helpers: repository and ../shared paths (with a skip when the published data is absent), a
sample payoff matrix and a well-formed completion builder, loopback HTTP servers, a run folder, a cache folder and a
pretend GPU."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from gtalign_lite import PayoffMatrix

ROOT = Path(__file__).resolve().parents[1]
"""The repository root."""
NB = ROOT / "notebooks"
"""The notebooks folder."""
ASSIGNMENT = NB / "assignment" / "gtalign_assignment.ipynb"
"""The course assignment's source notebook (what otter assign builds from)."""
SHARED = ROOT.parent / "shared"
"""../shared next to the repository: the published data and the authors' runs, when present."""
DATA = SHARED / "gtalign-data" / "data"
"""The published data folder (the GTAlign repository's parquet files, each split and source)."""
RUNS = SHARED / "gtalign-runs"
"""The authors' 0910 run folders (their generations with recorded rewards)."""
LABELS = DATA / "gamellm_wildbreak_math_medium_abgqa" / "test.parquet"
"""The published test split the authors' runs were generated on."""
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/gtalign-data/data/ not present")
"""Skip (visibly) where the published data folder is absent."""

SAMPLE = {
    "DQ_AQ": {"LLM": 2.2, "user": 1.9}, "DQ_CQ": {"LLM": 3.1, "user": 3.5}, "DQ_DA": {"LLM": 4.2, "user": 4.3},
    "VQ_AQ": {"LLM": 2.0, "user": 2.1}, "VQ_CQ": {"LLM": 1.3, "user": 1.2}, "VQ_DA": {"LLM": 2.0, "user": 1.8},
}


@pytest.fixture
def sample_matrix():
    """SAMPLE as a PayoffMatrix (a fresh copy per test)."""
    return PayoffMatrix.from_dict(json.loads(json.dumps(SAMPLE)))


def make_completion(payoff=None, thinking="The question is clear (DQ).", analyze="Front: DQ_DA. Choose DQ_DA.",
                    response="Paris is the capital.", sep="\n"):
    """A four-block completion with the given parts."""
    payoff = json.dumps(SAMPLE) if payoff is None else payoff
    return sep.join([f"<thinking>{thinking}</thinking>", f"<payoff>{payoff}</payoff>",
                     f"<analyze>{analyze}</analyze>", f"<response>{response}</response>"])


@pytest.fixture
def serve_folder():
    """Serve a local folder over HTTP on loopback; yields a function folder -> base URL."""
    import functools
    from http.server import SimpleHTTPRequestHandler

    servers = []

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    def start(folder):
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


class FakeEndpoint:
    """Serves /v1/chat/completions with scripted replies, one per request (the last repeats)."""

    def __init__(self, replies):
        self.replies, self.requests = list(replies), []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append((self.path, body, self.headers.get("Authorization")))
                reply = outer.replies[min(len(outer.requests), len(outer.replies)) - 1]
                if reply == "sleep":
                    time.sleep(1.0)
                    reply = '{"score": 1}'
                if isinstance(reply, int):
                    self.send_response(reply)
                    self.end_headers()
                    return
                data = json.dumps({"choices": [{"message": {"role": "assistant", "content": reply}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except BrokenPipeError:  # the client timed out first
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_endpoint():
    """Start FakeEndpoints on loopback; yields a function replies -> endpoint, and closes each after the test."""
    started = []

    def start(replies):
        started.append(FakeEndpoint(replies))
        return started[-1]

    yield start
    for ep in started:
        ep.close()


@pytest.fixture
def run_folder(tmp_path):
    """A run folder (gtalign_lite.runs.Run) rooted at the test's tmp_path."""
    from gtalign_lite import runs

    return runs.Run(tmp_path)


@pytest.fixture
def gtalign_cache(tmp_path, monkeypatch):
    """$GTALIGN_CACHE (downloads, converted models) pointed at tmp_path/cache for the test; returns that folder."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("GTALIGN_CACHE", str(folder))
    return folder


@pytest.fixture
def fake_gpu(monkeypatch):
    """Pretend a CUDA GPU is present: a function capability -> None; is_bf16_supported says True, as on a T4."""
    import torch

    def fake(capability):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
        monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: True)
    return fake
