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
