"""The token cache: authenticated tokens are remembered for a few seconds, revoking or disabling
through this process takes effect at once, failures are never cached and always audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from csqm.settings import Settings
from csqm.store import Store
from csqm.web import auth
from csqm.web.auth import TokenCache, authenticate, create_user_with_token, revoke_tokens
from tests.web.conftest import Api, make_api


class Ticks:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks(monkeypatch: pytest.MonkeyPatch) -> Ticks:
    clock = Ticks()
    monkeypatch.setattr(auth, "TOKEN_CACHE", TokenCache(ttl=10.0, clock=clock))
    return clock


@pytest.fixture
def rt(settings: Settings, duck: Store, ticks: Ticks) -> Iterator[Api]:
    yield from make_api(settings, duck)


def denied(store: Store) -> int:
    return int(store.scalar('SELECT count(*) FROM "web_audit" WHERE "action" = \'token_auth\''))


def get(api: Api, role: str) -> int:
    return int(api.get("/api/v1/teams", role).status_code)


def disable(store: Store, username: str) -> None:
    store.execute('UPDATE "web_users" SET "active" = false WHERE "username" = ?', (username,))


def test_a_token_is_looked_up_once_within_the_ttl(duck: Store, ticks: Ticks) -> None:
    from csqm.web.tables import ensure_tables

    ensure_tables(duck)
    _, token = create_user_with_token(duck, username="qm", role="quality_manager")
    assert authenticate(duck, token=token) is not None
    disable(duck, "qm")  # as another process would: this process is not told
    ticks.now += 9.9
    assert authenticate(duck, token=token) is not None  # still remembered
    ticks.now += 0.1  # 10 s after the lookup: looked up again
    assert authenticate(duck, token=token) is None
    assert denied(duck) == 1


def test_revoking_through_this_process_takes_effect_at_once(rt: Api) -> None:
    assert get(rt, "auditor") == 200
    assert revoke_tokens(rt.store, username="u_auditor") == 1
    assert get(rt, "auditor") == 401
    assert get(rt, "admin") == 200  # other users' tokens are kept


def test_disabling_with_the_cli_takes_effect_at_once(tmp_path: Path, settings: Settings, ticks: Ticks) -> None:
    from fastapi.testclient import TestClient

    from csqm.cli.main import cli
    from csqm.store import open_store
    from csqm.web import create_app
    from csqm.web.tables import ensure_tables

    with open_store(settings=settings) as store:
        ensure_tables(store)
        token = create_user_with_token(store, username="zhao", role="auditor")[1]
    env = {"CSQM_DATA_DIR": str(settings.data_dir), "CSQM_SECRET": settings.secret or ""}
    app = create_app(settings)
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        assert client.get("/api/v1/teams", headers=headers).status_code == 200
        store = app.state.csqm.store
        with app.state.csqm.lock:  # the CLI in this process, on the app's own store (one DuckDB connection)
            disabled = CliRunner().invoke(cli, ["users", "disable", "zhao"], env=env, obj=None)
        assert disabled.exit_code == 0, disabled.output
        assert not store.scalar('SELECT "active" FROM "web_users" WHERE "username" = \'zhao\'')
        assert client.get("/api/v1/teams", headers=headers).status_code == 401


def test_a_disabled_user_is_forgotten_when_told(rt: Api) -> None:
    assert get(rt, "team_lead") == 200
    disable(rt.store, "u_team_lead")
    assert get(rt, "team_lead") == 200  # changed behind the process's back: remembered until the ttl
    auth.forget_tokens("u_team_lead")
    assert get(rt, "team_lead") == 401


def test_failures_are_not_cached_and_each_is_audited(rt: Api) -> None:
    before = denied(rt.store)
    headers = {"Authorization": "Bearer not-a-token"}
    for _ in range(3):
        assert rt.client.get("/api/v1/teams", headers=headers).status_code == 401
    assert denied(rt.store) == before + 3


def test_stores_do_not_share_tokens(duck: Store, pg: Store, ticks: Ticks) -> None:
    from csqm.web.tables import ensure_tables

    for store in (duck, pg):
        ensure_tables(store)
    _, token = create_user_with_token(duck, username="qm", role="quality_manager")
    assert authenticate(duck, token=token) is not None
    assert authenticate(pg, token=token) is None  # the token is remembered for the store it belongs to


def test_the_cache_starts_over_rather_than_grow(duck: Store) -> None:
    cache = TokenCache(size=2)
    principal = auth.Principal("a", "admin")
    for digest in ("d1", "d2", "d3"):
        cache.put(duck, digest, principal)
    assert [cache.get(duck, d) for d in ("d1", "d2", "d3")] == [None, None, principal]
