"""A real browser against a real server: Debian's chromium driven by Playwright, uvicorn in a thread.

Chromium comes from Debian (``scripts/ensure-browser.sh``); Playwright never downloads a browser. Without
``/usr/bin/chromium`` (or without the ECharts asset from ``scripts/build-assets.sh``) these tests skip
with the reason, except under ``CI=true`` where they fail. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from csqm.settings import Settings
from csqm.store import open_store
from csqm.web import create_app
from tests.web.conftest import add_users, seed, seed_customers, set_passwords

CHROMIUM = Path("/usr/bin/chromium")
ECHARTS = Path(__file__).parents[2] / "src" / "csqm" / "web" / "static" / "vendor" / "echarts.min.js"
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"


def _missing(what: str, how: str) -> None:
    message = f"{what} is missing; run {how}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The console on a seeded embedded store, served by uvicorn on a free local port."""
    import uvicorn

    settings = Settings(data_dir=tmp_path_factory.mktemp("e2e") / "data", secret="e2e-secret-0123456789abcdef")
    store = open_store(settings=settings)
    seed(store)
    seed_customers(store)
    add_users(store)
    set_passwords(store)
    store.load_arrow(
        "inspection_rules",
        pa.table(
            {
                "pack_version": ["p1", "p1"],
                "rule_id": ["greeting", "pii"],
                "name_zh": ["标准问候", "隐私"],
                "name_en": ["Greeting", "Privacy"],
            }
        ),
    )
    app = create_app(settings, store=store)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
    store.close()


@pytest.fixture(scope="module")  # not session: Playwright's sync API keeps an event loop running in this
def browser() -> Iterator[Any]:  # thread until stopped, and later tests in the worker call asyncio.run
    if not CHROMIUM.exists():
        _missing("Debian's chromium (/usr/bin/chromium)", "scripts/ensure-browser.sh")
    if not ECHARTS.exists():
        _missing("The ECharts asset", "scripts/build-assets.sh")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    """A fresh browser context (no cookies) with the server as base URL."""
    context = browser.new_context(base_url=server, viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def shot(page: Any, name: str) -> Path:
    """Save a full-page screenshot to test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page: Any, username: str) -> None:
    from tests.web.conftest import PASSWORD

    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login")
    page.wait_for_load_state("networkidle")
