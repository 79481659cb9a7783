"""Console login sessions and login throttling (service layer: no HTTP here).

A session is a server-side row in ``web_sessions``: the browser holds a random 256-bit value in an
HttpOnly cookie and only its SHA-256 is stored, with the session's CSRF token and expiry. Logging out
ends the row, so a stolen cookie stops working at once. Failed logins are counted per username and
client address: after :data:`MAX_FAILURES` failures within :data:`FAILURE_WINDOW` the next attempt is
refused (HTTP 429) until the window has passed, even with the right password.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from csqm.store import Store
from csqm.web.auth import Principal, record_audit, token_hash, verify_password
from csqm.web.errors import WebError

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)


class LoginFailedError(WebError):
    """Wrong username or password (one message for both, so usernames cannot be probed)."""


class LoginThrottledError(WebError):
    """Too many failed logins for this username from this address."""


@dataclass(frozen=True)
class Session:
    """An open console session: who, and the CSRF token every form must send back."""

    principal: Principal
    csrf_token: str
    expires_at: datetime


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def recent_failures(store: Store, *, username: str, ip: str, now: datetime | None = None) -> int:
    """Failed logins of ``username`` from ``ip`` within the throttling window."""
    since = (now or _now()) - FAILURE_WINDOW
    value = store.scalar(
        'SELECT count(*) FROM "web_login_failures" WHERE "username" = ? AND "ip" = ? AND "at" > ?',
        (username, ip, since),
    )
    return int(value or 0)


def _principal(store: Store, username: str) -> Principal | None:
    frame = store.query(
        'SELECT "username", "role", "team_id", "agent_id" FROM "web_users" WHERE "username" = ? AND "active"',
        (username,),
    )
    if frame.empty:
        return None
    row = frame.iloc[0]
    return Principal(
        str(row["username"]),
        row["role"],
        None if row["team_id"] is None else str(row["team_id"]),
        None if row["agent_id"] is None else str(row["agent_id"]),
    )


def login(store: Store, *, username: str, password: str, ip: str, now: datetime | None = None) -> tuple[str, Session]:
    """Check the password and open a session; return (cookie value, session). Audited either way.

    Raises :class:`LoginThrottledError` after too many recent failures and :class:`LoginFailedError`
    for a wrong username or password.
    """
    at = now or _now()
    username = username.strip()[:200]
    if recent_failures(store, username=username, ip=ip, now=at) >= MAX_FAILURES:
        record_audit(store, username=username, action="login", outcome="denied", detail="Throttled: too many failures.")
        minutes = int(FAILURE_WINDOW.total_seconds() // 60)
        raise LoginThrottledError(f"Too many failed logins; wait {minutes} minutes and try again.")
    principal = _principal(store, username)
    if principal is None or not verify_password(store, username=username, password=password):
        with store.transaction():
            store.execute('INSERT INTO "web_login_failures" VALUES (?, ?, ?, ?)', (uuid.uuid4().hex, username, ip, at))
            record_audit(store, username=username, action="login", outcome="denied", detail="Wrong password.")
        raise LoginFailedError("The username or password is wrong.")
    cookie = secrets.token_urlsafe(32)
    session = Session(principal, secrets.token_urlsafe(32), at + SESSION_LIFETIME)
    with store.transaction():
        # housekeeping: failures outside the window and sessions ended or expired a day ago are no longer needed
        store.execute('DELETE FROM "web_login_failures" WHERE "at" <= ?', (at - FAILURE_WINDOW,))
        store.execute(
            'DELETE FROM "web_sessions" WHERE "expires_at" < ? OR "ended_at" < ?',
            (at - timedelta(days=1), at - timedelta(days=1)),
        )
        store.execute(
            'INSERT INTO "web_sessions" VALUES (?, ?, ?, ?, ?, ?)',
            (token_hash(cookie), username, session.csrf_token, at, session.expires_at, None),
        )
        record_audit(store, username=username, action="login", outcome="allowed")
    return cookie, session


def session_for(store: Store, *, cookie: str, now: datetime | None = None) -> Session | None:
    """The open, unexpired session of a cookie value whose user is still active, or None."""
    frame = store.query(
        'SELECT "username", "csrf_token", "expires_at" FROM "web_sessions" '
        'WHERE "session_hash" = ? AND "ended_at" IS NULL AND "expires_at" > ?',
        (token_hash(cookie), now or _now()),
    )
    if frame.empty:
        return None
    row = frame.iloc[0]
    principal = _principal(store, str(row["username"]))
    if principal is None:
        return None
    return Session(principal, str(row["csrf_token"]), row["expires_at"].to_pydatetime())


def logout(store: Store, *, cookie: str) -> None:
    """End the session of a cookie value (audited); unknown cookies are ignored."""
    session = session_for(store, cookie=cookie)
    if session is None:
        return
    with store.transaction():
        store.execute('UPDATE "web_sessions" SET "ended_at" = ? WHERE "session_hash" = ?', (_now(), token_hash(cookie)))
        record_audit(store, username=session.principal.username, action="logout", outcome="allowed")
