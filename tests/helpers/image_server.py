"""A loopback HTTP server of images for the missing-image tests (fixture `image_server`).

Paths: /404/... not found; /junk/... HTML; /redirect/... a redirect to /img/target.png;
/slow/... an image after 1.5 s; /hang/... never answers (until the server stops);
/distinct/... an image of its own for every path; anything else the demo's PNG.
The server counts requests (`requests`) and the most it served at once (`peak`).
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from smmile.data import DEMO_DIR

PNG = (DEMO_DIR / "images" / "lesion_4.png").read_bytes()


def distinct_png(path: str) -> bytes:
    """A small PNG whose colour comes from `path`."""
    from PIL import Image

    r, g, b = hashlib.sha256(path.encode()).digest()[:3]
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (r, g, b)).save(buf, format="PNG")
    return buf.getvalue()


class ImageServer(ThreadingHTTPServer):
    block_on_close = False
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[str] = []
        self.active = 0
        self.peak = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    server: ImageServer

    def do_GET(self):  # noqa: N802 (http.server's name)
        srv = self.server
        with srv.lock:
            srv.requests.append(self.path)
            srv.active += 1
            srv.peak = max(srv.peak, srv.active)
        try:
            self._answer()
        finally:
            with srv.lock:
                srv.active -= 1

    def _answer(self):
        if self.path.startswith("/hang"):
            self.server.stopping.wait(120)
            return
        if self.path.startswith("/404"):
            status, body, ctype = 404, b"not found", "text/plain"
        elif self.path.startswith("/junk"):
            status, body, ctype = 200, b"<html>not an image</html>", "text/html"
        elif self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", "/img/target.png")
            self.end_headers()
            return
        elif self.path.startswith("/distinct"):
            status, body, ctype = 200, distinct_png(self.path), "image/png"
        else:
            if self.path.startswith("/slow"):
                time.sleep(1.5)
            status, body, ctype = 200, PNG, "image/png"
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def image_server(monkeypatch):
    """(server, base URL) of a loopback image server, no proxy in the way."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    srv = ImageServer()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv, f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.stopping.set()
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=5)
