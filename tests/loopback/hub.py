"""A stand-in for the Hugging Face Hub on 127.0.0.1: every request gets one configured answer
(status, X-Error-* headers, JSON body, optional delay) and is recorded. Point
`huggingface_hub.constants.ENDPOINT` (in-process) or HF_ENDPOINT (a script) at `url`."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class HubAnswer:
    status: int = 200
    error_code: str | None = None  # X-Error-Code, e.g. GatedRepo, RepoNotFound
    message: str | None = None  # X-Error-Message, e.g. "Invalid credentials in Authorization header"
    delay: float = 0.0
    body: dict = field(default_factory=dict)


# What the hub answers in each case (as huggingface_hub's hf_raise_for_status reads it).
GATED = HubAnswer(403, "GatedRepo", "Access to dataset smmile/SMMILE is restricted.")
NO_SUCH_REPO = HubAnswer(401, "RepoNotFound", "Repository not found")
BAD_TOKEN = HubAnswer(401, None, "Invalid credentials in Authorization header")
DOWN = HubAnswer(503, None, "Service Unavailable")


def point_hub_at(monkeypatch, url: str) -> None:
    """Send this process's hub requests (API calls and file downloads) to `url`."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "ENDPOINT", url)
    monkeypatch.setattr(
        constants, "HUGGINGFACE_CO_URL_TEMPLATE", url + "/{repo_id}/resolve/{revision}/{filename}"
    )


class StubHub:
    def __init__(self, answer: HubAnswer | None = None):
        self.answer = answer or HubAnswer()
        self.paths: list[str] = []
        self._stop = threading.Event()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                hub.paths.append(self.path)
                answer = hub.answer
                if answer.delay:
                    hub._stop.wait(answer.delay)
                body = json.dumps(answer.body or ({"error": answer.message} if answer.message else {}))
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                if answer.error_code:
                    self.send_header("X-Error-Code", answer.error_code)
                if answer.message:
                    self.send_header("X-Error-Message", answer.message)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

            do_HEAD = do_GET  # noqa: N815

            def log_message(self, format, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False

        self._httpd = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> StubHub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        time.sleep(0)
        self._httpd.shutdown()
        self._httpd.server_close()
