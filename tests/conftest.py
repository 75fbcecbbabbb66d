"""Shared fixtures: a sample matrix and a well-formed completion builder."""
import json

import pytest

from gtalign_lite import PayoffMatrix

SAMPLE = {
    "DQ_AQ": {"LLM": 2.2, "user": 1.9}, "DQ_CQ": {"LLM": 3.1, "user": 3.5}, "DQ_DA": {"LLM": 4.2, "user": 4.3},
    "VQ_AQ": {"LLM": 2.0, "user": 2.1}, "VQ_CQ": {"LLM": 1.3, "user": 1.2}, "VQ_DA": {"LLM": 2.0, "user": 1.8},
}


@pytest.fixture
def sample_matrix():
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
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

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
