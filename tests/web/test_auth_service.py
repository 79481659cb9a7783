"""Users and tokens (service layer), the app factory and ``csqm serve``."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from csqm.errors import ConfigError
from csqm.settings import Settings
from csqm.store import Store
from csqm.web import create_app, create_user, issue_token, revoke_tokens
from csqm.web.auth import authenticate, token_hash, verify_password
from csqm.web.cli import serve
from csqm.web.tables import ensure_tables


@pytest.fixture
def users(duck: Store) -> Store:
    ensure_tables(duck)
    ensure_tables(duck)  # idempotent
    return duck


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"role": "root"}, "Unknown role"),
        ({"role": "team_lead"}, "team_id"),
        ({"role": "agent"}, "agent_id"),
    ],
)
def test_create_user_refuses_incomplete_scope(users: Store, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        create_user(users, username="x", **kwargs)


def test_duplicate_user_and_unknown_owner(users: Store) -> None:
    create_user(users, username="a", role="admin")
    with pytest.raises(ConfigError, match="already exists"):
        create_user(users, username="a", role="auditor")
    with pytest.raises(ConfigError, match="no user"):
        issue_token(users, username="ghost")


def test_tokens_are_stored_hashed_and_revocable(users: Store) -> None:
    create_user(users, username="qm", role="quality_manager")
    token = issue_token(users, username="qm", label="script")
    stored = users.query('SELECT "token_hash" FROM "web_tokens"')["token_hash"].tolist()
    assert stored == [token_hash(token)] and token not in stored
    principal = authenticate(users, token=token)
    assert principal is not None and principal.role == "quality_manager"
    assert revoke_tokens(users, username="qm") == 1
    assert authenticate(users, token=token) is None


def test_agent_user_gets_their_team(users: Store) -> None:
    users.execute('INSERT INTO "agents" ("agent_id", "team_id") VALUES (?, ?)', ("A9", "T9"))
    assert create_user(users, username="ag", role="agent", agent_id="A9").team_id == "T9"


def test_password_is_argon2(users: Store) -> None:
    create_user(users, username="p", role="auditor", password="correct horse")
    stored = users.scalar('SELECT "password_hash" FROM "web_users"')
    assert stored.startswith("$argon2")
    assert verify_password(users, username="p", password="correct horse")
    assert not verify_password(users, username="p", password="wrong")
    assert not verify_password(users, username="nobody", password="x")


def test_factory_opens_and_closes_its_own_store(settings: Settings) -> None:
    app = create_app(settings)
    with TestClient(app) as client:
        assert client.get("/api/v1/openapi.json").status_code == 200
        assert client.get("/api/v1/teams").status_code == 401
    # the embedded store was closed on shutdown, so the same file can be opened again
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/metrics").status_code == 401


def test_serve_command(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    import uvicorn

    from csqm.cli.context import AppContext

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    ctx = AppContext(data_dir=settings.data_dir)
    monkeypatch.setenv("CSQM_SECRET", "test-secret-0123456789abcdef")
    result = CliRunner().invoke(serve, ["--port", "8123"], obj=ctx)
    assert result.exit_code == 0, result.output
    assert (seen["host"], seen["port"]) == ("127.0.0.1", 8123)
    assert "/api/v1" in result.output
    seen["app"].state.csqm.store.close()
