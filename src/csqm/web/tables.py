"""The tables the web layer owns (users, tokens, audit log, sessions, failed logins), like ``csqm.store.schema``.

:func:`ensure_tables` creates them idempotently when the app starts, until they are folded into the
schema migrations.
"""

from __future__ import annotations

from csqm.store import Store
from csqm.store.schema import Column, Table

ROLES = ("admin", "quality_manager", "team_lead", "agent", "auditor", "test_call_manager", "tester")


def _c(name: str, type_: str, doc: str, **kw: object) -> Column:
    return Column(name, type_, doc, **kw)  # type: ignore[arg-type]


WEB_USERS = Table(
    "web_users",
    "People who may use the console and API, with their role and the scope it is limited to.",
    (
        _c("username", "text", "Login name.", nullable=False),
        _c("role", "text", "Role.", nullable=False, values=ROLES),
        _c("team_id", "text", "Team a team lead leads, or an agent's team."),
        _c("agent_id", "text", "The agent this user is (role agent)."),
        _c("password_hash", "text", "argon2 hash of the password; null when the user has tokens only."),
        _c("active", "bool", "False once the user is disabled."),
        _c("created_at", "timestamp", "When the user was created (UTC).", unit="UTC"),
    ),
    key=("username",),
    group="system",
    ingestable=False,
)

WEB_TOKENS = Table(
    "web_tokens",
    "API tokens; only the SHA-256 of each token is stored, the token itself is shown once.",
    (
        _c("token_hash", "text", "SHA-256 (hex) of the token.", nullable=False),
        _c("username", "text", "Owner.", nullable=False),
        _c("label", "text", "What the token is for."),
        _c("created_at", "timestamp", "Issued (UTC).", unit="UTC"),
        _c("revoked_at", "timestamp", "Revoked (UTC); null while valid.", unit="UTC"),
    ),
    key=("token_hash",),
    group="system",
    ingestable=False,
    indexes=(("username",),),
)

WEB_AUDIT = Table(
    "web_audit",
    "Audit log: who did what, to what, when, and whether it was allowed.",
    (
        _c("event_id", "text", "Random event id.", nullable=False),
        _c("at", "timestamp", "When (UTC).", unit="UTC", nullable=False),
        _c("username", "text", "Who; null when the token was unknown."),
        _c("action", "text", "What, e.g. token_auth, conversation_view.", nullable=False),
        _c("target", "text", "What it was done to, e.g. an interaction id."),
        _c("outcome", "text", "allowed, denied or not_found.", nullable=False),
        _c("detail", "text", "One sentence of context."),
    ),
    key=("event_id",),
    group="system",
    ingestable=False,
    indexes=(("at",), ("username",)),
)

WEB_SESSIONS = Table(
    "web_sessions",
    "Console login sessions; only the SHA-256 of the session cookie is stored.",
    (
        _c("session_hash", "text", "SHA-256 (hex) of the session cookie value.", nullable=False),
        _c("username", "text", "Who is logged in.", nullable=False),
        _c("csrf_token", "text", "The session's CSRF token, sent back with every form.", nullable=False),
        _c("created_at", "timestamp", "Login time (UTC).", unit="UTC"),
        _c("expires_at", "timestamp", "The session ends at this time (UTC).", unit="UTC"),
        _c("ended_at", "timestamp", "Logout time (UTC); null while the session is open.", unit="UTC"),
    ),
    key=("session_hash",),
    group="system",
    ingestable=False,
    indexes=(("username",),),
)

WEB_LOGIN_FAILURES = Table(
    "web_login_failures",
    "Failed console logins by username and client address, for login throttling.",
    (
        _c("attempt_id", "text", "Random attempt id.", nullable=False),
        _c("username", "text", "The username that was tried.", nullable=False),
        _c("ip", "text", "Client address.", nullable=False),
        _c("at", "timestamp", "When (UTC).", unit="UTC", nullable=False),
    ),
    key=("attempt_id",),
    group="system",
    ingestable=False,
    indexes=(("username", "ip", "at"),),
)

WEB_TABLES: tuple[Table, ...] = (WEB_USERS, WEB_TOKENS, WEB_AUDIT, WEB_SESSIONS, WEB_LOGIN_FAILURES)


def ensure_tables(store: Store) -> None:
    """Create the web tables and their indexes if they do not exist yet."""
    store.create_tables(WEB_TABLES)
