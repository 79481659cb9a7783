"""A small FAQ chat bot (stdlib HTTP server) to probe in tests and the demo: ``POST /chat`` with
``{"session": "...", "message": "..."}`` answers ``{"reply": "..."}`` from the first FAQ entry whose
keyword the message contains, else the fallback; the first reply of a session starts with the
greeting. ``GET /health`` answers ``{"ok": true}``.

``delay`` makes it slow (to test time-outs); ``mode="garbage"`` makes it answer something that is not
JSON (to test a broken endpoint).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

from csqm.testcalls.loading import load_faq
from csqm.testcalls.model import FaqFile

Mode = Literal["normal", "garbage"]


class FaqBot:
    """The answering logic, independent of HTTP."""

    def __init__(self, faq: FaqFile | None = None) -> None:
        self.faq = faq or load_faq()

    def answer(self, message: str) -> str:
        for entry in self.faq.entries:
            if any(k.lower() in message.lower() for k in entry.keywords):
                return entry.answer
        return self.faq.fallback


class BotServer:
    """The bot on ``host:port`` (port 0: a free port) in a background thread; use as a context manager."""

    def __init__(
        self,
        faq: FaqFile | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        delay: float = 0.0,
        mode: Mode = "normal",
    ) -> None:
        bot = FaqBot(faq)
        server_delay, server_mode = delay, mode
        greeted: set[str] = set()
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return  # messages may contain personal data: never log them

            def _send(self, status: int, body: bytes, ctype: str = "application/json; charset=utf-8") -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path == "/health":
                    self._send(200, b'{"ok": true}')
                else:
                    self._send(404, b'{"error": "not found"}')

            def do_POST(self) -> None:
                if self.path != "/chat":
                    self._send(404, b'{"error": "not found"}')
                    return
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                    data = json.loads(self.rfile.read(length) or b"{}")
                    message = str(data.get("message", ""))
                    session = str(data.get("session", ""))
                except (ValueError, AttributeError):
                    self._send(400, b'{"error": "send JSON {\\"message\\": ...}"}')
                    return
                if server_delay:
                    time.sleep(server_delay)
                if server_mode == "garbage":
                    self._send(200, "<html>¿?%$ 服务繁忙</html>".encode(), "text/html; charset=utf-8")
                    return
                with lock:
                    first = session not in greeted
                    greeted.add(session)
                reply = bot.answer(message)
                if first:
                    reply = f"{bot.faq.greeting}{reply}"
                self._send(200, json.dumps({"reply": reply}, ensure_ascii=False).encode())

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/chat"

    def start(self) -> BotServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="csqm-faq-bot", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> BotServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
