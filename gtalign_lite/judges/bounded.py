"""A hard time bound for a judgement: the call runs in a worker process that is killed when it runs over.

A thread cannot be stopped and a signal cannot interrupt C code (sympy expanding (10^{10})!), so a rule
judgement runs in one long-lived child process per parent; an over-run kills the child (a fresh one starts on
the next call) and raises JudgeTimeout, which Judge.score counts as a failure with its reason."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
from multiprocessing.connection import Listener

STARTUP_LIMIT = 300.0  # seconds a fresh worker may take to import the judges (not counted in the bound)


class JudgeTimeout(TimeoutError):
    """A judgement ran past its time bound."""


class WorkerError(RuntimeError):
    """An error raised by the judgement in the worker; its text is the worker's 'Type: message'."""


def _serve(port: int, authkey: str) -> None:
    """The worker's loop: connect back, then receive (function, args) and send (ok, value or error text)."""
    from multiprocessing.connection import Client

    import gtalign_lite.judges  # noqa: F401  (import once, before the first judgement's clock starts)

    conn = Client(("127.0.0.1", port), authkey=bytes.fromhex(authkey))
    conn.send("ready")
    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, KeyboardInterrupt):  # the parent closed the pipe, or its kernel is shutting down
            return
        try:
            conn.send((True, fn(*args)))
        except Exception as e:  # noqa: BLE001  the parent turns it into a counted failure
            conn.send((False, f"{type(e).__name__}: {e}"))


class Worker:
    """One child process that runs module-level functions under a time bound (thread-safe, fork-aware)."""

    def __init__(self):
        self.proc = self.conn = None
        self.pid = os.getpid()
        self.lock = threading.Lock()

    def _start(self) -> None:
        # A plain subprocess, not multiprocessing: it does not re-run the caller's __main__ (scripts, notebooks).
        key = secrets.token_hex(16)
        with Listener(("127.0.0.1", 0), authkey=bytes.fromhex(key)) as listener:
            code = f"from gtalign_lite.judges.bounded import _serve; _serve({listener.address[1]}, {key!r})"
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
            self.proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdin=subprocess.DEVNULL)
            accepted = []
            waiter = threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True)
            waiter.start()
            waiter.join(STARTUP_LIMIT)
            if not accepted:
                self.stop()
                raise RuntimeError(f"the judge worker did not connect within {STARTUP_LIMIT:.0f} s; run "
                                   f"`{sys.executable} -c 'import gtalign_lite.judges'` to see why it cannot start")
            self.conn = accepted[0]
        if not self.conn.poll(STARTUP_LIMIT) or self.conn.recv() != "ready":
            self.stop()
            raise RuntimeError(f"the judge worker did not start within {STARTUP_LIMIT:.0f} s")

    def stop(self) -> None:
        """Kill the child (if any); the next call starts a fresh one."""
        if self.proc is not None and self.pid == os.getpid():
            self.proc.kill()
            self.proc.wait(5)
            if self.conn is not None:
                self.conn.close()
        self.proc = self.conn = None

    def call(self, fn, args: tuple, timeout: float):
        """fn(*args) in the child; JudgeTimeout after `timeout` seconds, RuntimeError carrying the child's error."""
        with self.lock:
            if self.pid != os.getpid():  # a forked copy of the parent: the pipe belongs to the original process
                self.proc = self.conn = None
                self.pid = os.getpid()
            if self.proc is None or self.proc.poll() is not None:
                self._start()
            self.conn.send((fn, args))
            if not self.conn.poll(timeout):
                self.stop()
                raise JudgeTimeout(f"timed out after {timeout:g} s (worker killed)")
            try:
                ok, value = self.conn.recv()
            except EOFError:  # the child died (out of memory, a crash in C)
                self.stop()
                raise RuntimeError("the judge worker died during the judgement") from None
        if not ok:
            raise WorkerError(value)
        return value


WORKER = Worker()  # shared by every judge in this process


def call_bounded(fn, args: tuple, timeout: float | None):
    """fn(*args) with a hard bound of `timeout` seconds (None: in this process, unbounded)."""
    return fn(*args) if timeout is None else WORKER.call(fn, args, timeout)
