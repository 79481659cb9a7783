"""The HTTP ingress over the group committer: concurrent clients, a store failure as 503, and
authentication of a known token without the store lock."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from csqm.settings import Settings
from csqm.store import Store
from tests.realtime.conftest import ended, started, turn
from tests.web.conftest import Api, make_api


@pytest.fixture
def rt(settings: Settings, duck: Store) -> Iterator[Api]:
    yield from make_api(settings, duck)


def post(api: Api, events: Any) -> Any:
    return api.client.post("/api/v1/events", json=events, headers={"Authorization": f"Bearer {api.tokens['admin']}"})


def runtime(api: Api) -> Any:
    return api.client.app.state.csqm_realtime  # type: ignore[attr-defined]


def test_concurrent_http_clients_each_get_their_own_outcome(rt: Api) -> None:
    replies: dict[str, list[dict[str, Any]]] = {}

    def client(cid: str) -> None:
        batches = [[started(cid, team_id="T1")], [turn(cid, 1, "customer", "我要投诉"), turn(cid, 2, "agent", "好的")]]
        batches.append([turn(cid, 3, "customer", "谢谢"), ended(cid, utterances=3)])
        replies[cid] = [post(rt, events).json() for events in batches]

    threads = [threading.Thread(target=client, args=(f"h{k}",)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for cid, (start, turns, end) in replies.items():
        assert [start["accepted"], turns["accepted"], end["accepted"]] == [1, 2, 2]
        assert not (start["errors"] or turns["errors"] or end["errors"])
        assert [(a["kind"], a["subject_id"]) for a in turns["alerts"]] == [("threat_words", cid)]
        assert start["alerts"] == end["alerts"] == [] and end["inspected"] == [cid]
    assert runtime(rt).ingress.requests == 18
    assert rt.store.scalar('SELECT count(*) FROM "realtime_alerts"') == 6


def test_a_store_failure_is_a_503_and_keeps_nothing(rt: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    assert post(rt, [started("f0")]).json()["accepted"] == 1  # the runtime exists

    def broken(raw: Any, *, received_at: Any = None) -> Any:
        raise OSError("disk full")

    monkeypatch.setattr(runtime(rt).processor, "process", broken)
    r = post(rt, [started("f1"), turn("f1", 1, "customer", "13812345678")])
    assert r.status_code == 503
    assert r.json()["error"] == (
        "The events could not be stored (OSError); nothing of this request was kept, send it again."
    )
    assert "13812345678" not in r.text
    monkeypatch.undo()
    assert post(rt, [started("f1")]).json()["accepted"] == 1


def test_a_known_token_is_authenticated_without_the_store_lock(rt: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    assert post(rt, [started("l0")]).json()["accepted"] == 1  # the token is now in the cache
    state, rtm = rt.client.app.state.csqm, runtime(rt)  # type: ignore[attr-defined]
    submitted = threading.Event()
    submit = rtm.submit

    def spy(raw: list[object]) -> Any:
        submitted.set()
        return submit(raw)

    monkeypatch.setattr(rtm, "submit", spy)
    result: dict[str, Any] = {}
    with state.lock:  # as if a long request held the store
        sender = threading.Thread(target=lambda: result.update(r=post(rt, [started("l1")])))
        sender.start()
        assert submitted.wait(10)  # authenticated and handed to the committer while the store was held
        time.sleep(0.05)
        assert "r" not in result  # the committer waits for the store
    sender.join(10)
    assert result["r"].json()["accepted"] == 1


def test_a_store_failure_on_the_websocket_is_an_error_reply_and_the_stream_goes_on(
    rt: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    with rt.client.websocket_connect(f"/api/v1/events/ws?token={rt.tokens['admin']}") as ws:
        ws.send_json(started("w1"))
        assert ws.receive_json()["accepted"] == 1
        process = runtime(rt).processor.process

        def broken(raw: Any, *, received_at: Any = None) -> Any:
            raise OSError("disk full")

        monkeypatch.setattr(runtime(rt).processor, "process", broken)
        ws.send_json(turn("w1", 1, "customer", "我要投诉"))
        assert ws.receive_json() == {
            "error": "The events could not be stored (OSError); nothing of this request was kept, send it again."
        }
        monkeypatch.setattr(runtime(rt).processor, "process", process)
        ws.send_json(turn("w1", 1, "customer", "我要投诉"))
        reply = ws.receive_json()
        assert reply["accepted"] == 1 and [a["kind"] for a in reply["alerts"]] == ["threat_words"]
