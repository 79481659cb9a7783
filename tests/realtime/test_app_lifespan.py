"""The console app runs the real-time background step while it serves, and stops it on shutdown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from csqm.realtime.runtime import Runtime
from csqm.settings import Settings
from csqm.store import Store
from csqm.web.app import create_app


def test_app_owning_its_store_starts_and_stops_the_runtime(settings: Settings) -> None:
    from csqm.web.auth import create_user_with_token

    app = create_app(settings)  # opens the settings' store, as `csqm serve` does
    with TestClient(app) as client:
        runtime = app.state.csqm_realtime
        assert isinstance(runtime, Runtime)
        thread = runtime._thread
        assert thread is not None and thread.is_alive() and thread.daemon
        assert runtime.processor.inline_inspection is False  # the thread inspects ended conversations
        with app.state.csqm.lock:
            token = create_user_with_token(app.state.csqm.store, username="feed", role="admin")[1]
        event = {"type": "conversation_started", "event_id": "s1", "conversation_id": "c1", "channel": "chat"}
        answer = client.post("/api/v1/events", json=[event], headers={"Authorization": f"Bearer {token}"})
        assert answer.json()["accepted"] == 1 and runtime.ingress.active
    assert runtime._thread is None and not thread.is_alive()
    assert not runtime.ingress.active  # the committer thread ended with the app


def test_app_on_a_given_store_leaves_it_off_unless_asked(settings: Settings, duck: Store) -> None:
    app = create_app(settings, store=duck)
    with TestClient(app):
        assert getattr(app.state, "csqm_realtime", None) is None
    asked = create_app(settings, store=duck)
    asked.state.csqm_realtime_autostart = True
    with TestClient(asked):
        thread = asked.state.csqm_realtime._thread
        assert thread is not None and thread.is_alive()
    assert not thread.is_alive()
    assert duck.scalar("SELECT 1") == 1  # a store the caller passed stays open


def test_realtime_serve_runs_the_runtime_while_uvicorn_serves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    import uvicorn
    from click.testing import CliRunner

    from csqm.cli.main import cli
    from csqm.realtime.engine import Processor

    seen: dict[str, Any] = {}

    def serve(app: Any, host: str, port: int, log_level: str) -> None:
        runtime = app.state.csqm_realtime
        thread = runtime._thread
        threads = runtime.state.store.scalar("SELECT current_setting('threads')")
        seen.update(runtime=runtime, port=port, serving=thread is not None and thread.is_alive(), threads=threads)

    frozen: list[int] = []
    warmed: list[int] = []
    monkeypatch.setattr(uvicorn, "run", serve)
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(1))  # a test process must not freeze its objects
    monkeypatch.setattr(Processor, "warm_up", lambda self: warmed.append(1))
    env = {"CSQM_DATA_DIR": str(tmp_path / "data"), "CSQM_SECRET": "serve-secret-0123456789"}
    result = CliRunner().invoke(cli, ["realtime", "serve", "--port", "8123"], env=env)
    assert result.exit_code == 0, result.output
    runtime = seen["runtime"]
    assert seen["port"] == 8123 and seen["serving"] and runtime.freeze_seconds == 10.0
    assert frozen == [1] and warmed == [1]  # warmed up, then what was loaded frozen, before serving
    assert runtime._thread is None and not runtime.ingress.active  # stopped when uvicorn returned
    assert seen["threads"] == 1  # the embedded store's default in this server (--store-threads)
    again = CliRunner().invoke(cli, ["realtime", "serve", "--port", "8123", "--store-threads", "2"], env=env)
    assert again.exit_code == 0, again.output
    assert seen["threads"] == 2
    wrong = CliRunner().invoke(cli, ["realtime", "serve", "--store-threads", "0"], env=env)
    assert wrong.exit_code == 2 and "--store-threads" in wrong.output


def test_the_live_stream_sends_an_alert_as_it_is_raised(settings: Settings) -> None:
    """A real server: a client on the server-sent-events stream (not ``once``) gets the alert that a
    request raises while it listens, and the stream goes on after it."""
    import http.client
    import json
    import socket
    import threading
    import time

    import uvicorn

    from csqm.web.auth import create_user_with_token

    app = create_app(settings)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        began = time.monotonic()
        while not server.started:
            assert time.monotonic() - began < 30, "the server did not start"
            time.sleep(0.05)
        with app.state.csqm.lock:
            token = create_user_with_token(app.state.csqm.store, username="feed", role="admin")[1]
        board = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        board.request("GET", f"/api/v1/alerts/stream?token={token}")
        stream = board.getresponse()
        assert stream.status == 200 and stream.readline().startswith(b": connected")
        events = [
            {"type": "conversation_started", "event_id": "s1", "conversation_id": "c1", "channel": "chat"},
            {"type": "utterance", "event_id": "u1", "conversation_id": "c1", "seq": 1, "speaker": "customer",
             "text": "我要去12315投诉你们"},
        ]  # fmt: skip
        sender = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        sender.request(
            "POST",
            "/api/v1/events",
            body=json.dumps(events),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        assert json.loads(sender.getresponse().read())["accepted"] == 2
        lines: list[bytes] = []
        while not lines or not lines[-1].startswith(b"data: "):
            lines.append(stream.readline())  # the socket's timeout ends a stream that never comes
        assert b"event: alert\n" in lines
        alert = json.loads(lines[-1][len(b"data: ") :])
        assert (alert["kind"], alert["subject_id"], alert["event_id"]) == ("threat_words", "c1", "u1")
        board.close()
        sender.close()
    finally:
        server.should_exit = True
        thread.join(15)
    assert not thread.is_alive()


def test_the_server_runs_on_the_c_event_loop_and_http_parser() -> None:
    """uvloop and httptools are dependencies because uvicorn's default ("auto") uses them when they
    are installed: the real-time ingress did 5,200–5,700 utterances/s without them, 6,800–7,200 with
    (docs/benchmarks.md, session 5). A clone whose install lost them would serve on the slow path."""
    from uvicorn.config import Config

    async def app(scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover - never called
        return None

    config = Config(app=app, loop="auto", http="auto")
    config.load()
    assert config.http_protocol_class.__name__ == "HttpToolsProtocol"
    factory = config.get_loop_factory()
    assert factory is not None
    loop = factory()
    try:
        assert type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()
