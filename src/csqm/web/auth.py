"""Users, API tokens and the audit log (service layer: no HTTP here).

Tokens are 32 random bytes (URL-safe); only their SHA-256 is stored, which is enough for a secret
of that entropy. Passwords, when set, are hashed with argon2.

A token that authenticated is remembered for :data:`TOKEN_CACHE_SECONDS` (per store, in this
process), so a busy sender does not cost a query per request. Revoking tokens or disabling a user
through this process forgets them at once; a change made by *another* process (possible only on
PostgreSQL: the embedded store has one process) takes effect within that many seconds. Failures are
never cached: every failed attempt is still looked up and audited.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from csqm.errors import ConfigError
from csqm.store import Store
from csqm.web.tables import ROLES

Role = Literal["admin", "quality_manager", "team_lead", "agent", "auditor", "test_call_manager", "tester"]
Outcome = Literal["allowed", "denied", "not_found"]

_HASHER = PasswordHasher()


@dataclass(frozen=True)
class Principal:
    """The authenticated user a request acts for, with the scope their role limits them to."""

    username: str
    role: Role
    team_id: str | None = None
    agent_id: str | None = None


#: How long an authenticated token is remembered (seconds); see the module doc.
TOKEN_CACHE_SECONDS = 10.0


class TokenCache:
    """Principals of recently authenticated token hashes, per store, each kept for ``ttl`` seconds.

    Keyed by the store object (weakly: a closed and dropped store takes its entries with it), so
    two stores in one process never see each other's tokens. ``clock`` is injectable for tests.
    """

    def __init__(
        self, ttl: float = TOKEN_CACHE_SECONDS, *, clock: Callable[[], float] = time.monotonic, size: int = 10_000
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self.size = size
        self._entries: weakref.WeakKeyDictionary[Store, dict[str, tuple[float, Principal]]] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def get(self, store: Store, digest: str) -> Principal | None:
        """The principal remembered for ``digest`` on ``store``, if it has not expired."""
        with self._lock:
            entries = self._entries.get(store)
            hit = entries.get(digest) if entries is not None else None
            if entries is None or hit is None:
                return None
            if self.clock() >= hit[0]:
                del entries[digest]
                return None
            return hit[1]

    def put(self, store: Store, digest: str, principal: Principal) -> None:
        with self._lock:
            entries = self._entries.setdefault(store, {})
            if len(entries) >= self.size:  # many distinct live tokens: start over rather than grow
                entries.clear()
            entries[digest] = (self.clock() + self.ttl, principal)

    def forget(self, username: str | None = None) -> None:
        """Forget ``username``'s tokens (every token when None), in every store of this process."""
        with self._lock:
            for entries in self._entries.values():
                for digest in [d for d, (_, p) in entries.items() if username is None or p.username == username]:
                    del entries[digest]


#: The process's token cache, used by :func:`authenticate`.
TOKEN_CACHE = TokenCache()


def forget_tokens(username: str | None = None) -> None:
    """Make this process look ``username``'s tokens up again (all users' when None): call it after
    revoking tokens, disabling a user or changing a role."""
    TOKEN_CACHE.forget(username)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    store: Store,
    *,
    username: str,
    role: Role,
    team_id: str | None = None,
    agent_id: str | None = None,
    password: str | None = None,
) -> Principal:
    """Create a user; team leads need ``team_id``, agents ``agent_id`` (their team is looked up)."""
    if role not in ROLES:
        raise ConfigError(f"Unknown role {role!r}: use one of {', '.join(ROLES)}.")
    if role == "team_lead" and not team_id:
        raise ConfigError("A team lead needs the team they lead (team_id).")
    if role == "agent":
        if not agent_id:
            raise ConfigError("An agent user needs their agent id (agent_id).")
        team_id = team_id or store.scalar('SELECT "team_id" FROM "agents" WHERE "agent_id" = ?', (agent_id,))
    if store.scalar('SELECT count(*) FROM "web_users" WHERE "username" = ?', (username,)):
        raise ConfigError(f"The user {username!r} already exists.")
    hashed = _HASHER.hash(password) if password else None
    store.execute(
        'INSERT INTO "web_users" VALUES (?, ?, ?, ?, ?, ?, ?)',
        (username, role, team_id, agent_id, hashed, True, _now()),
    )
    return Principal(username, role, team_id, agent_id)


def issue_token(store: Store, *, username: str, label: str = "") -> str:
    """Issue an API token for ``username``; the token is returned once and never stored."""
    if not store.scalar('SELECT count(*) FROM "web_users" WHERE "username" = ?', (username,)):
        raise ConfigError(f"There is no user {username!r}.")
    token = secrets.token_urlsafe(32)
    store.execute(
        'INSERT INTO "web_tokens" VALUES (?, ?, ?, ?, ?)',
        (token_hash(token), username, label, _now(), None),
    )
    return token


def create_user_with_token(
    store: Store, *, username: str, role: Role, team_id: str | None = None, agent_id: str | None = None
) -> tuple[Principal, str]:
    """Create a user and issue their first API token (what ``csqm users add`` calls)."""
    with store.transaction():
        user = create_user(store, username=username, role=role, team_id=team_id, agent_id=agent_id)
        token = issue_token(store, username=username, label="first token")
    return user, token


def ensure_first_admin(store: Store) -> tuple[str, str] | None:
    """When no user exists yet, create ``admin`` with a generated password; return (username, password).

    The password is returned once (``csqm init`` prints it) and only its argon2 hash is stored.
    """
    if store.scalar('SELECT count(*) FROM "web_users"'):
        return None
    password = secrets.token_urlsafe(18)
    with store.transaction():
        create_user(store, username="admin", role="admin", password=password)
    return "admin", password


def set_password(store: Store, *, username: str, password: str | None = None) -> str:
    """Set (or generate) ``username``'s console password; return it (only its argon2 hash is stored)."""
    if not store.scalar('SELECT count(*) FROM "web_users" WHERE "username" = ?', (username,)):
        raise ConfigError(f"There is no user {username!r}.")
    if password is not None and len(password) < 10:
        raise ConfigError("A password needs at least 10 characters.")
    chosen = password or secrets.token_urlsafe(18)
    store.execute('UPDATE "web_users" SET "password_hash" = ? WHERE "username" = ?', (_HASHER.hash(chosen), username))
    return chosen


def demo_login(store: Store) -> tuple[str, str]:
    """A login for the demo: the first admin if there is no user yet, else the ``demo`` admin with a new password."""
    first = ensure_first_admin(store)
    if first is not None:
        return first
    if not store.scalar('SELECT count(*) FROM "web_users" WHERE "username" = ?', ("demo",)):
        create_user(store, username="demo", role="admin")
    store.execute('UPDATE "web_users" SET "active" = true WHERE "username" = ?', ("demo",))
    return "demo", set_password(store, username="demo")


def revoke_tokens(store: Store, *, username: str) -> int:
    """Revoke every valid token of ``username``; return how many. They stop working at once here
    (and within :data:`TOKEN_CACHE_SECONDS` in other processes)."""
    count = store.execute(
        'UPDATE "web_tokens" SET "revoked_at" = ? WHERE "username" = ? AND "revoked_at" IS NULL',
        (_now(), username),
    )
    forget_tokens(username)
    return count


def verify_password(store: Store, *, username: str, password: str) -> bool:
    """True when ``password`` matches the user's argon2 hash (for the console login, later)."""
    hashed = store.scalar('SELECT "password_hash" FROM "web_users" WHERE "username" = ?', (username,))
    if not isinstance(hashed, str):
        return False
    try:
        return _HASHER.verify(hashed, password)
    except VerificationError:
        return False


def cached_principal(store: Store, *, token: str) -> Principal | None:
    """The principal of ``token`` if it authenticated on ``store`` in the last few seconds (no
    query: callers that do not hold the store yet try this first)."""
    return TOKEN_CACHE.get(store, token_hash(token))


def authenticate(store: Store, *, token: str) -> Principal | None:
    """The active user owning a valid ``token``, or None; every failed attempt is audited.

    Served from :data:`TOKEN_CACHE` when the token authenticated recently (see the module doc)."""
    digest = token_hash(token)
    known = TOKEN_CACHE.get(store, digest)
    if known is not None:
        return known
    frame = store.query(
        'SELECT u."username", u."role", u."team_id", u."agent_id" FROM "web_tokens" AS t '
        'JOIN "web_users" AS u ON u."username" = t."username" '
        'WHERE t."token_hash" = ? AND t."revoked_at" IS NULL AND u."active"',
        (digest,),
    )
    if frame.empty:
        record_audit(store, username=None, action="token_auth", outcome="denied", detail="Unknown or revoked token.")
        return None
    row = frame.iloc[0]
    principal = Principal(
        str(row["username"]),
        row["role"],
        None if row["team_id"] is None else str(row["team_id"]),
        None if row["agent_id"] is None else str(row["agent_id"]),
    )
    TOKEN_CACHE.put(store, digest, principal)
    return principal


def record_audit(
    store: Store,
    *,
    username: str | None,
    action: str,
    outcome: Outcome,
    target: str | None = None,
    detail: str | None = None,
) -> None:
    """Append one event to the audit log."""
    store.execute(
        'INSERT INTO "web_audit" VALUES (?, ?, ?, ?, ?, ?, ?)',
        (uuid.uuid4().hex, _now(), username, action, target, outcome, detail),
    )
