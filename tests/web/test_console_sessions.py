"""Console sessions: login, cookie flags, logout, CSRF on every form, throttling, audit, redirects."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from csqm.store import Store
from csqm.web import sessions
from csqm.web.console import SESSION_COOKIE
from tests.web.conftest import PASSWORD, Console


def test_login_sets_a_secure_session_cookie_and_is_audited(console: Console) -> None:
    response = console.login("admin")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http in tests; see the next test
    assert console.audit("login") == [("u_admin", "allowed", None)]
    assert console.get("/teams").status_code == 200
    # only the hash of the cookie is stored
    value = console.client.cookies.get(SESSION_COOKIE)
    assert value and not console.store.scalar('SELECT count(*) FROM "web_sessions" WHERE "session_hash" = ?', (value,))


def test_secure_flag_can_be_forced(console: Console, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSQM_SECURE_COOKIES", "1")
    assert "Secure" in console.login("admin").headers["set-cookie"]


def test_pages_redirect_to_login_and_back(console: Console) -> None:
    response = console.get("/teams/T1")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fteams%2FT1"
    console.client.get("/login")
    token = console.client.cookies.get("csqm_login_csrf")
    back = console.client.post(
        "/login",
        data={"username": "u_admin", "password": PASSWORD, "csrf_token": token, "next": "/teams/T1"},
        follow_redirects=False,
    )
    assert back.headers["location"] == "/teams/T1"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "\\\\evil", "teams"])
def test_login_never_redirects_off_site(console: Console, target: str) -> None:
    console.client.get("/login")
    token = console.client.cookies.get("csqm_login_csrf")
    response = console.client.post(
        "/login",
        data={"username": "u_admin", "password": PASSWORD, "csrf_token": token, "next": target},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_wrong_password_is_refused_with_one_message_and_audited(console: Console) -> None:
    wrong = console.login("admin", password="nope")
    unknown = console.client.post(
        "/login",
        data={"username": "nobody", "password": "x", "csrf_token": console.client.cookies.get("csqm_login_csrf")},
    )
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码错误" in wrong.text and "用户名或密码错误" in unknown.text
    assert SESSION_COOKIE not in console.client.cookies
    assert console.audit("login") == [("u_admin", "denied", None), ("nobody", "denied", None)]


def test_login_without_the_form_token_is_refused(console: Console) -> None:
    response = console.client.post("/login", data={"username": "u_admin", "password": PASSWORD, "csrf_token": "x"})
    assert response.status_code == 403
    assert SESSION_COOKIE not in console.client.cookies


def test_throttling_after_five_failures_even_with_the_right_password(console: Console) -> None:
    for _ in range(5):
        assert console.login("team_lead", password="wrong").status_code == 401
    blocked = console.login("team_lead")
    assert blocked.status_code == 429
    assert "15 分钟" in blocked.text
    # another user from the same address is not affected
    assert console.login("admin").status_code == 303
    outcomes = [o for u, o, _ in console.audit("login") if u == "u_team_lead"]
    assert outcomes == ["denied"] * 6


def test_throttling_is_per_address_and_expires(duck: Store) -> None:
    from tests.web.conftest import add_users, set_passwords

    add_users(duck)
    set_passwords(duck)
    start = datetime(2026, 1, 1, 12, 0)
    for i in range(5):
        with pytest.raises(sessions.LoginFailedError):
            sessions.login(duck, username="u_agent", password="bad", ip="10.0.0.1", now=start + timedelta(minutes=i))
    with pytest.raises(sessions.LoginThrottledError):
        sessions.login(duck, username="u_agent", password=PASSWORD, ip="10.0.0.1", now=start + timedelta(minutes=5))
    # the same user from another address may log in
    sessions.login(duck, username="u_agent", password=PASSWORD, ip="10.0.0.2", now=start + timedelta(minutes=5))
    # 15 minutes after the first failure only four remain in the window
    sessions.login(
        duck, username="u_agent", password=PASSWORD, ip="10.0.0.1", now=start + timedelta(minutes=15, seconds=1)
    )


def test_logout_needs_the_csrf_token_and_ends_the_session(console: Console) -> None:
    console.login("quality_manager")
    token = console.csrf()
    refused = console.client.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert refused.status_code == 403
    assert console.get("/teams").status_code == 200
    cookie = console.client.cookies.get(SESSION_COOKIE)
    done = console.client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/login"
    assert ("u_quality_manager", "allowed", None) in console.audit("logout")
    # the old cookie no longer works, even if a client kept it
    console.client.cookies.set(SESSION_COOKIE, cookie or "")
    assert console.get("/teams").status_code == 303


def test_csrf_header_is_accepted_for_scripts(console: Console) -> None:
    console.login("admin")
    token = console.csrf()
    response = console.client.post("/logout", headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert response.status_code == 303


def test_expired_or_disabled_sessions_stop_working(console: Console) -> None:
    console.login("admin")
    assert console.get("/teams").status_code == 200
    console.store.execute('UPDATE "web_users" SET "active" = false WHERE "username" = ?', ("u_admin",))
    assert console.get("/teams").status_code == 303
    console.store.execute('UPDATE "web_users" SET "active" = true WHERE "username" = ?', ("u_admin",))
    console.store.execute('UPDATE "web_sessions" SET "expires_at" = ?', (datetime(2000, 1, 1),))
    assert console.get("/teams").status_code == 303


def test_api_still_uses_bearer_tokens_not_the_session(console: Console) -> None:
    console.login("admin")
    assert console.get("/api/v1/teams").status_code == 401


def test_old_failures_and_sessions_are_cleared_on_login(duck: Store) -> None:
    from tests.web.conftest import add_users, set_passwords

    add_users(duck)
    set_passwords(duck)
    start = datetime(2026, 1, 1, 12, 0)
    sessions.login(duck, username="u_admin", password=PASSWORD, ip="1.1.1.1", now=start)
    with pytest.raises(sessions.LoginFailedError):
        sessions.login(duck, username="u_admin", password="bad", ip="1.1.1.1", now=start)
    later = start + timedelta(days=2)
    sessions.login(duck, username="u_admin", password=PASSWORD, ip="1.1.1.1", now=later)
    assert duck.scalar('SELECT count(*) FROM "web_login_failures"') == 0
    assert duck.query('SELECT "created_at" FROM "web_sessions"')["created_at"].tolist() == [later]


def test_secure_flag_behind_an_https_proxy(console: Console) -> None:
    console.client.get("/login")
    token = console.client.cookies.get("csqm_login_csrf")
    response = console.client.post(
        "/login",
        data={"username": "u_admin", "password": PASSWORD, "csrf_token": token},
        headers={"X-Forwarded-Proto": "https"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]
