"""Webhook sink: HMAC signature, retries with exponential backoff, dead letter after N failures."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from csqm.realtime.config import Webhook
from csqm.realtime.engine import Processor
from csqm.realtime.webhook import WebhookSender, sign, verify
from csqm.settings import Settings
from csqm.store import Store
from tests.realtime.conftest import Clock, started, turn

SECRET = b"hook-secret-123"


class Receiver:
    """A local HTTP server that fails the first ``failures`` requests with 500, then answers 204."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(({k: v for k, v in self.headers.items()}, body))
                self.send_response(500 if len(receiver.requests) <= receiver.failures else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hooked(store: Store, settings: Settings, clock: Clock) -> Processor:
    proc = Processor(store, settings=settings, clock=clock, webhook=True)
    out = proc.process([started("c1"), turn("c1", 1, "customer", "我要投诉，电话13812345678")])
    assert [a.kind for a in out.alerts] == ["threat_words"]
    return proc


def sender(proc: Processor, url: str, clock: Clock, attempts: int = 3) -> WebhookSender:
    return WebhookSender(
        proc.store, url=url, secret=SECRET, config=Webhook(max_attempts=attempts, backoff_seconds=1.0), clock=clock
    )


def status(proc: Processor) -> tuple[str, int]:
    row = proc.store.query('SELECT "webhook_status", "webhook_attempts" FROM "realtime_alerts"').iloc[0]
    return str(row["webhook_status"]), int(row["webhook_attempts"])


@pytest.fixture
def receiver_factory() -> Iterator[Any]:
    made: list[Receiver] = []

    def make(failures: int) -> Receiver:
        made.append(Receiver(failures))
        return made[-1]

    yield make
    for r in made:
        r.close()


def test_signed_payload_retried_with_backoff_then_sent(hooked: Processor, clock: Clock, receiver_factory: Any) -> None:
    receiver = receiver_factory(2)
    hook = sender(hooked, receiver.url, clock)
    t0 = clock.now
    assert hook.deliver_due(t0).failed == 1 and status(hooked) == ("pending", 1)
    assert hook.deliver_due(t0 + timedelta(seconds=0.9)).failed == 0  # next attempt after 1 s
    assert len(receiver.requests) == 1
    assert hook.deliver_due(t0 + timedelta(seconds=1)).failed == 1 and status(hooked) == ("pending", 2)
    assert hook.deliver_due(t0 + timedelta(seconds=2.9)).sent == 0  # then after 2 s more
    assert hook.deliver_due(t0 + timedelta(seconds=3)).sent == 1 and status(hooked) == ("sent", 3)
    assert hook.deliver_due(t0 + timedelta(seconds=60)).sent == 0  # never sent twice
    headers, body = receiver.requests[-1]
    assert verify(SECRET, headers["X-CSQM-Timestamp"], body, headers["X-CSQM-Signature"])
    assert not verify(b"other", headers["X-CSQM-Timestamp"], body, headers["X-CSQM-Signature"])
    assert not verify(SECRET, headers["X-CSQM-Timestamp"], body + b" ", headers["X-CSQM-Signature"])
    payload = json.loads(body)
    assert payload["alert"]["kind"] == "threat_words" and headers["X-CSQM-Alert-Id"] == payload["alert"]["alert_id"]
    assert "13812345678" not in body.decode() and "138****5678" in payload["alert"]["evidence"]


def test_dead_letter_after_max_attempts(hooked: Processor, clock: Clock, receiver_factory: Any) -> None:
    receiver = receiver_factory(99)
    hook = sender(hooked, receiver.url, clock, attempts=3)
    t = clock.now
    for _ in range(3):
        hook.deliver_due(t)
        t += timedelta(seconds=10)
    assert status(hooked) == ("dead", 3) and len(receiver.requests) == 3
    dead = hooked.store.query('SELECT * FROM "realtime_dead_letters"')
    assert len(dead) == 1 and dead.loc[0, "last_error"] == "HTTP 500" and dead.loc[0, "attempts"] == 3
    assert json.loads(dead.loc[0, "payload"])["alert"]["kind"] == "threat_words"
    assert hook.deliver_due(t + timedelta(hours=1)).sent == 0 and len(receiver.requests) == 3


def test_unreachable_receiver_counts_as_a_failure(hooked: Processor, clock: Clock) -> None:
    hook = sender(hooked, "http://127.0.0.1:9/hook", clock, attempts=1)
    assert hook.deliver_due(clock.now).dead == 1
    error = hooked.store.scalar('SELECT "last_error" FROM "realtime_dead_letters"')
    assert "Error" in error


def test_signature_is_hmac_sha256_of_timestamp_and_body() -> None:
    import hashlib
    import hmac

    expected = hmac.new(b"k", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert sign(b"k", "1700000000", b"{}") == "sha256=" + expected
