"""A loopback server in a child process, so that measuring a client does not share its interpreter
lock with the server (for benches; tests use the in-process servers)."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
from typing import Any

from .server import LoopbackServer


def _serve(cls: type[LoopbackServer], kwargs: dict[str, Any], conn) -> None:
    server = cls(**kwargs).start()
    conn.send(server.url)
    try:
        while True:
            command = conn.recv() if conn.poll(server.lifetime_s) else "stop"
            if command == "count":
                conn.send(server.count)
            elif command == "faults":
                conn.send(server.faults_injected)
            else:
                break
    except (EOFError, OSError):  # the parent is gone
        pass
    finally:
        server.stop()
        conn.close()


class ServerProcess:
    """`with ServerProcess(OpenAIServer, latency=0.02) as server:` -> server.url, server.count."""

    def __init__(self, cls: type[LoopbackServer], **kwargs: Any):
        self._ctx = mp.get_context("fork")
        self._parent, child = self._ctx.Pipe()
        self._process = self._ctx.Process(target=_serve, args=(cls, kwargs, child), daemon=True)
        self._child = child
        self.url = ""

    def __enter__(self) -> ServerProcess:
        self._process.start()
        self._child.close()
        if not self._parent.poll(30):
            self._process.kill()
            raise RuntimeError("the loopback server process did not start")
        self.url = self._parent.recv()
        return self

    @property
    def count(self) -> int:
        self._parent.send("count")
        return self._parent.recv()

    @property
    def faults_injected(self) -> int:
        self._parent.send("faults")
        return self._parent.recv()

    def __exit__(self, *exc) -> None:
        with contextlib.suppress(OSError):  # the child may be gone already
            self._parent.send("stop")
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._parent.close()
