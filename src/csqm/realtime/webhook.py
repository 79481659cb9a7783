"""The webhook sink: signed JSON payloads, retries with exponential backoff, dead letters.

Alerts are stored with ``webhook_status = 'pending'`` in the same transaction that raised them (an
outbox), so an alert is never lost between "stored" and "sent". :meth:`WebhookSender.deliver_due`
posts every alert whose next attempt is due; a failure (connection error or a non-2xx status)
schedules the next attempt after ``backoff_seconds * 2**(attempts - 1)``; after ``max_attempts``
failures the alert is marked ``dead`` and copied to ``realtime_dead_letters``.

Signature: ``X-CSQM-Signature: sha256=<hex>`` where hex is HMAC-SHA256 over
``<X-CSQM-Timestamp>.<body>`` keyed by the webhook secret. Receivers recompute it (:func:`verify`)
and reject old timestamps to stop replays. ``X-CSQM-Alert-Id`` lets them drop the rare duplicate
(a crash between the POST and recording it as sent).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pyarrow as pa

from csqm.realtime.alerts import Alert, list_rows
from csqm.realtime.config import Webhook
from csqm.realtime.events import utcnow
from csqm.realtime.tables import REALTIME_ALERTS, REALTIME_DEAD_LETTERS
from csqm.store import Store

Post = Callable[[str, bytes, dict[str, str], float], int]


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over ``timestamp.body``."""
    return "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(secret: bytes, timestamp: str, body: bytes, signature: str) -> bool:
    """Whether ``signature`` is the signature of ``body`` sent at ``timestamp`` (constant time)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def payload(alert: Alert) -> bytes:
    return json.dumps({"type": "csqm.alert", "alert": alert.as_dict()}, ensure_ascii=False, sort_keys=True).encode()


def _httpx_post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    return httpx.post(url, content=body, headers=headers, timeout=timeout).status_code


@dataclass(frozen=True)
class Delivery:
    """What one :meth:`WebhookSender.deliver_due` call did."""

    sent: int = 0
    failed: int = 0
    dead: int = 0


class WebhookSender:
    """Delivers pending alerts to ``url``. ``lock`` guards the store (the app's lock for DuckDB);
    the HTTP calls are made outside it."""

    def __init__(
        self,
        store: Store,
        *,
        url: str,
        secret: bytes,
        config: Webhook,
        clock: Callable[[], datetime] = utcnow,
        lock: Callable[[], AbstractContextManager[object]] | None = None,
        post: Post = _httpx_post,
    ) -> None:
        if not secret:
            raise ValueError("the webhook secret must not be empty")
        self.store, self.url, self.secret, self.config = store, url, secret, config
        self.clock, self.post = clock, post
        self.lock = lock or contextlib.nullcontext

    def deliver_due(self, now: datetime | None = None, *, limit: int = 100) -> Delivery:
        """Try every alert whose attempt is due at ``now``."""
        now = now or self.clock()
        with self.lock():
            due = list_rows(
                self.store,
                '"webhook_status" = \'pending\' AND "webhook_next_at" <= ?',
                [now],
                extra=("webhook_attempts",),
                order='"webhook_next_at", "alert_id"',
                limit=limit,
            )
        sent = failed = dead = 0
        for alert, extra in due:
            body = payload(alert)
            stamp = str(int(now.timestamp()))
            headers = {
                "Content-Type": "application/json",
                "X-CSQM-Timestamp": stamp,
                "X-CSQM-Signature": sign(self.secret, stamp, body),
                "X-CSQM-Alert-Id": alert.alert_id,
            }
            try:
                status = self.post(self.url, body, headers, self.config.timeout_seconds)
                error = None if 200 <= status < 300 else f"HTTP {status}"
            except Exception as exc:  # connection refused, timeout, DNS …
                error = f"{type(exc).__name__}: {str(exc)[:200]}"
            attempts = int(extra["webhook_attempts"] or 0) + 1
            with self.lock(), self.store.transaction():
                if error is None:
                    sent += 1
                    self._update(alert.alert_id, "sent", attempts, None)
                elif attempts >= self.config.max_attempts:
                    dead += 1
                    self._update(alert.alert_id, "dead", attempts, None)
                    self._dead_letter(alert.alert_id, attempts, error, body, now)
                else:
                    failed += 1
                    delay = self.config.backoff_seconds * 2 ** (attempts - 1)
                    self._update(alert.alert_id, "pending", attempts, now + timedelta(seconds=delay))
        return Delivery(sent, failed, dead)

    def _update(self, alert_id: str, status: str, attempts: int, next_at: datetime | None) -> None:
        self.store.execute(
            f'UPDATE "{REALTIME_ALERTS.name}" SET "webhook_status" = ?, "webhook_attempts" = ?, '
            '"webhook_next_at" = ? WHERE "alert_id" = ?',
            (status, attempts, next_at, alert_id),
        )

    def _dead_letter(self, alert_id: str, attempts: int, error: str, body: bytes, now: datetime) -> None:
        self.store.execute(
            f'DELETE FROM "{REALTIME_DEAD_LETTERS.name}" WHERE "alert_id" = ? AND "url" = ?', (alert_id, self.url)
        )
        self.store.load_arrow(
            REALTIME_DEAD_LETTERS.name,
            pa.table(
                {
                    "alert_id": pa.array([alert_id], pa.string()),
                    "url": pa.array([self.url], pa.string()),
                    "attempts": pa.array([attempts], pa.int64()),
                    "last_error": pa.array([error], pa.string()),
                    "payload": pa.array([body.decode()], pa.string()),
                    "failed_at": pa.array([now], pa.timestamp("us")),
                }
            ),
        )
