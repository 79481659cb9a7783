"""Login and logout (the language switch is ``?lang=`` on any page, remembered by :func:`render`)."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from csqm.web import sessions
from csqm.web.console import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    CsrfDep,
    render,
    secure_cookies,
    translator,
)
from csqm.web.deps import StoreDep

router = APIRouter()


def safe_next(target: str | None) -> str:
    """A local path to return to after login (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_page(
    request: Request, *, next_path: str | None, error: str = "", username: str = "", status_code: int = 200
) -> HTMLResponse:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    context = {"error": error, "username": username, "next": safe_next(next_path)}
    response = render(request, "login.html", context, status_code=status_code, csrf_token=token)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax", secure=secure_cookies(request), max_age=3600
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    """The login form."""
    return _login_page(request, next_path=request.query_params.get("next"))


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    store: StoreDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = "",
    next_: Annotated[str, Form(alias="next", max_length=2000)] = "/",
) -> Response:
    """Check the password (throttled, audited), open a session and go where the user was going."""
    t = translator(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return _login_page(request, next_path=next_, error=t("error.csrf"), username=username, status_code=403)
    ip = request.client.host if request.client else "unknown"
    try:
        cookie, _ = sessions.login(store, username=username, password=password, ip=ip)
    except sessions.LoginThrottledError:
        return _login_page(request, next_path=next_, error=t("login.throttled"), username=username, status_code=429)
    except sessions.LoginFailedError:
        return _login_page(request, next_path=next_, error=t("login.failed"), username=username, status_code=401)
    response = RedirectResponse(safe_next(next_), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        max_age=int(sessions.SESSION_LIFETIME.total_seconds()),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout", dependencies=[CsrfDep])
def logout(request: Request, store: StoreDep) -> RedirectResponse:
    """End the session (audited) and return to the login page."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        sessions.logout(store, cookie=cookie)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
