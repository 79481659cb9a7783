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
        seen.update(runtime=runtime, port=port, serving=thread is not None and thread.is_alive())

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
