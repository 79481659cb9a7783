"""The console app runs the real-time background step while it serves, and stops it on shutdown."""

from __future__ import annotations

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
