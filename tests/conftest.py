"""Shared fixtures: stores on both engines, settings with a fixed secret, the shared data folder."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from csqm.settings import Settings
from csqm.store import Store, open_store

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
PG_URL = os.environ.get("CSQM_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def shared_data(*parts: str) -> Path:
    """A path in ../shared/data; skips outside CI when a user's clone has no ../shared."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        if IN_CI:
            pytest.fail(f"CI must have {path} (../shared/data)")
        pytest.skip(f"{path} not present (a user's clone has no ../shared)")
    return path


def _pg_reachable() -> bool:
    try:
        import psycopg

        psycopg.connect(PG_URL, connect_timeout=3).close()
        return True
    except Exception:
        return False


def ensure_postgres() -> None:
    """Start PostgreSQL if it is down; fail loudly if it cannot be reached."""
    if _pg_reachable():
        return
    script = ROOT / "scripts" / "ensure-services.sh"
    subprocess.run(["bash", str(script)], check=False, capture_output=True, timeout=120)
    if not _pg_reachable():
        pytest.fail(f"PostgreSQL is not reachable at {PG_URL} and could not be started")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", secret="test-secret-0123456789abcdef")


@pytest.fixture
def duck(settings: Settings) -> Iterator[Store]:
    store = open_store(settings=settings)
    yield store
    store.close()


@pytest.fixture
def pg(settings: Settings) -> Iterator[Store]:
    ensure_postgres()
    schema = f"csqm_t_{uuid.uuid4().hex[:10]}"
    store = open_store(f"{PG_URL}?schema={schema}", settings=settings)
    yield store
    store.drop_schema()  # type: ignore[attr-defined]
    store.close()


@pytest.fixture(params=["duckdb", "postgres"])
def store(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Store]:
    """The same test on the embedded store and on the real PostgreSQL server."""
    if request.param == "duckdb":
        yield request.getfixturevalue("duck")
    else:
        yield request.getfixturevalue("pg")
