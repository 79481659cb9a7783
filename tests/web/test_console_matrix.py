"""The console's authorisation matrix: every role × every page (200, 403 or 404), logged out → login."""

from __future__ import annotations

import pytest

from tests.web.conftest import ROLES, Console

SERVICE = ("admin", "quality_manager", "team_lead", "agent", "auditor", "test_call_manager")
REVIEW = ("admin", "quality_manager")
#: page → (roles that get 200, status for the others)
PAGES: dict[str, tuple[tuple[str, ...], int]] = {
    "/": (SERVICE, 403),
    "/teams": (SERVICE, 403),
    "/teams/T1": (SERVICE, 403),
    "/teams/T2": (("admin", "quality_manager", "auditor", "test_call_manager"), 404),
    "/agents/A1": (SERVICE, 403),
    "/agents/A2": (("admin", "quality_manager", "team_lead", "auditor", "test_call_manager"), 404),
    "/conversations/I1": (SERVICE, 403),
    "/conversations/I4": (("admin", "quality_manager", "team_lead", "auditor", "test_call_manager"), 404),
    "/conversations/I5": (("admin", "quality_manager", "auditor", "test_call_manager"), 404),
    "/customers/K1": (SERVICE, 403),
    "/customers/K2": (("admin", "quality_manager", "auditor", "test_call_manager"), 404),
    "/explorer": (SERVICE, 403),
    "/explorer/export.csv?metrics=answer_rate": (SERVICE, 403),
    "/review": (REVIEW, 403),
    "/catalogue/metrics": (SERVICE, 403),
    "/catalogue/rules": (SERVICE, 403),
}


def _expected(role: str, allowed: tuple[str, ...], other: int) -> int:
    if role in allowed:
        return 200
    if role == "tester":
        return 403  # no service pages at all
    return other


@pytest.mark.parametrize("role", ROLES)
def test_page_matrix(console: Console, role: str) -> None:
    console.login(role)
    for path, (allowed, other) in PAGES.items():
        status = console.get(path).status_code
        assert status == _expected(role, allowed, other), (role, path, status)


@pytest.mark.parametrize("path", list(PAGES))
def test_logged_out_goes_to_login(console: Console, path: str) -> None:
    response = console.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("role", ROLES)
def test_every_menu_entry_opens(console: Console, role: str) -> None:
    """Whatever the menu offers a role opens for that role (no 403 or 404 behind a menu entry)."""
    from csqm.web.auth import Principal
    from csqm.web.console import nav_items

    scope = {"team_lead": {"team_id": "T1"}, "agent": {"agent_id": "A1", "team_id": "T1"}}
    principal = Principal(username=f"u_{role}", role=role, **scope.get(role, {}))  # type: ignore[arg-type]
    console.login(role)
    menu = [path for _, path in nav_items(principal)]
    assert menu, role
    for path in menu:
        status = console.get(path).status_code
        assert status == 200, (role, path, status)
