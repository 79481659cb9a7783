"""`csqm users add` creates a user whose printed token works against the API, once."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from csqm.cli.main import cli
from csqm.settings import Settings
from csqm.web import create_app


def test_users_add_prints_a_working_token(tmp_path: Path) -> None:
    env = {"CSQM_DATA_DIR": str(tmp_path / "data"), "CSQM_SECRET": "users-secret-0123456789"}
    result = CliRunner().invoke(cli, ["users", "add", "wang", "--role", "team_lead", "--team-id", "T1"], env=env)
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert len(token) >= 20
    settings = Settings(data_dir=tmp_path / "data", secret="users-secret-0123456789")
    with TestClient(create_app(settings)) as client:
        ok = client.get("/api/v1/teams", headers={"Authorization": f"Bearer {token}"})
        bad = client.get("/api/v1/teams", headers={"Authorization": "Bearer not-a-token"})
    assert ok.status_code == 200
    assert bad.status_code == 401 and "error" in bad.json()


def test_users_add_rejects_an_unknown_role(tmp_path: Path) -> None:
    env = {"CSQM_DATA_DIR": str(tmp_path / "data"), "CSQM_SECRET": "users-secret-0123456789"}
    result = CliRunner().invoke(cli, ["users", "add", "li", "--role", "boss"], env=env)
    assert result.exit_code != 0 and "boss" in result.output


def test_init_creates_the_first_admin_once(tmp_path: Path) -> None:
    from csqm.store import open_store
    from csqm.web.auth import verify_password

    env = {"CSQM_DATA_DIR": str(tmp_path / "data"), "CSQM_SECRET": "users-secret-0123456789"}
    first = CliRunner().invoke(cli, ["init"], env=env)
    assert first.exit_code == 0, first.output
    password = first.output.strip().splitlines()[-1].split("shown only now: ")[1]
    again = CliRunner().invoke(cli, ["init"], env=env)
    assert again.exit_code == 0 and "shown only now" not in again.output
    settings = Settings(data_dir=tmp_path / "data", secret="users-secret-0123456789")
    with open_store(settings=settings) as store:
        stored = store.query('SELECT * FROM "web_users"').to_csv()
        assert password not in stored
        assert verify_password(store, username="admin", password=password)
        assert not verify_password(store, username="admin", password=password + "x")


def _env(tmp_path: Path) -> dict[str, str]:
    return {"CSQM_DATA_DIR": str(tmp_path / "data"), "CSQM_SECRET": "users-secret-0123456789"}


def test_users_password_list_and_disable(tmp_path: Path) -> None:
    from csqm.store import open_store
    from csqm.web.auth import verify_password

    env = _env(tmp_path)
    added = CliRunner().invoke(cli, ["users", "add", "zhao", "--role", "auditor", "--password"], env=env)
    assert added.exit_code == 0, added.output
    first = added.output.strip().splitlines()[-1].split("shown only now: ")[1]
    reset = CliRunner().invoke(cli, ["users", "password", "zhao"], env=env)
    assert reset.exit_code == 0, reset.output
    second = reset.output.strip().split("shown only now: ")[1]
    assert first != second
    listed = CliRunner().invoke(cli, ["users", "list"], env=env)
    assert listed.output.strip() == "zhao\tauditor\t-\tactive\tconsole=yes"
    disabled = CliRunner().invoke(cli, ["users", "disable", "zhao"], env=env)
    assert disabled.exit_code == 0 and "Disabled zhao" in disabled.output
    assert "disabled" in CliRunner().invoke(cli, ["users", "list"], env=env).output
    missing = CliRunner().invoke(cli, ["users", "password", "nobody"], env=env)
    assert missing.exit_code != 0 and "nobody" in missing.output
    settings = Settings(data_dir=tmp_path / "data", secret="users-secret-0123456789")
    with open_store(settings=settings) as store:
        assert verify_password(store, username="zhao", password=second)
        assert not verify_password(store, username="zhao", password=first)
        actions = set(store.query('SELECT "action" FROM "web_audit"')["action"])
        assert {"password_reset", "user_disable"} <= actions


def test_demo_serves_the_console_with_a_printed_login(tmp_path: Path, monkeypatch: object) -> None:
    """The end of `csqm demo`: a login is printed once and works; uvicorn is not really started here."""
    import pytest
    import uvicorn

    from csqm.cli.demo_report import serve_console
    from csqm.cli.progress import console
    from csqm.store import open_store
    from csqm.web.auth import verify_password

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    served: list[tuple[str, int]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, host, port, log_level: served.append((host, port)))
    settings = Settings(data_dir=tmp_path / "data", secret="users-secret-0123456789")
    with open_store(settings=settings) as store:
        with console.capture() as captured:
            serve_console(settings, store, host="127.0.0.1", port=8123)
            serve_console(settings, store, host="127.0.0.1", port=8123)  # again: a fresh 'demo' login
        out = captured.get()
        logins = [line.split()[1:4:2] for line in out.splitlines() if line.startswith("Login:")]
        assert [u for u, _ in logins] == ["admin", "demo"]
        for username, password in logins:
            assert verify_password(store, username=username, password=password)
    assert "http://127.0.0.1:8123/" in out
    assert served == [("127.0.0.1", 8123)] * 2


def test_demo_has_a_no_serve_switch() -> None:
    result = CliRunner().invoke(cli, ["demo", "--help"])
    assert result.exit_code == 0
    assert "--serve / --no-serve" in result.output
