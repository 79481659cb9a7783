"""What every console page uses: the session principal, CSRF checking, roles, translation and rendering.

A page route looks like::

    @router.get("/tasks")
    def tasks(request: Request, user: PageUserDep, store: StoreDep) -> HTMLResponse:
        require_roles(user, "admin", "test_call_manager")
        return render(request, "testcalls/tasks.html", {"tasks": list_tasks(store, principal=user)})

    @router.post("/tasks", dependencies=[CsrfDep])
    def add_task(request: Request, user: PageUserDep, store: StoreDep) -> RedirectResponse: ...

Templates extend ``base.html`` and put their content in ``{% block content %}``; ``t('key')``
translates, ``{{ csrf_field() }}`` goes inside every ``<form method="post">``.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, pass_context, select_autoescape
from markupsafe import Markup

from csqm.web.auth import Principal
from csqm.web.deps import StoreDep
from csqm.web.errors import ForbiddenError, WebError
from csqm.web.i18n import CAPABILITY_PACKAGES, LANGS, Lang, normalise, translate
from csqm.web.sessions import Session, session_for

SESSION_COOKIE = "csqm_session"
LANG_COOKIE = "csqm_lang"
LOGIN_CSRF_COOKIE = "csqm_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

_WEB = Path(__file__).parent
TEMPLATE_DIR = _WEB / "templates"
STATIC_DIR = _WEB / "static"

#: Role groups used by several pages.
READ_ALL = ("admin", "quality_manager", "auditor")
SERVICE_ROLES = ("admin", "quality_manager", "team_lead", "agent", "auditor", "test_call_manager")
REVIEWERS = ("admin", "quality_manager")


class LoginRequiredError(WebError):
    """A page was asked for without a valid session; the app redirects to the login page."""


class CsrfError(WebError):
    """A form came back without the session's CSRF token (403)."""


def _loader() -> ChoiceLoader:
    capability = {p: FileSystemLoader(_WEB.parent / p / "templates") for p in CAPABILITY_PACKAGES}
    return ChoiceLoader([FileSystemLoader(TEMPLATE_DIR), PrefixLoader(capability)])


ENV = Environment(loader=_loader(), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


@pass_context
def _localtime(context: Any, value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time shown in the reporting zone (``tz`` of the page context)."""
    if value is None:
        return "–"
    zone = ZoneInfo(str(context.get("tz") or "Asia/Shanghai"))
    stamp = value if value.tzinfo else value.replace(tzinfo=UTC)
    return stamp.astimezone(zone).strftime(fmt)


ENV.filters["localtime"] = _localtime
ENV.globals["zip"] = zip


def request_lang(request: Request) -> Lang:
    """The page language: ``?lang=`` first, then the language cookie, then Chinese."""
    return normalise(request.query_params.get("lang") or request.cookies.get(LANG_COOKIE))


def translator(request: Request) -> Any:
    """``t(key, **values)`` in the request's language, for Python code that builds labels."""
    lang = request_lang(request)

    def t(key: str, /, **values: object) -> str:
        return translate(lang, key, **values)

    return t


def get_session(request: Request, store: StoreDep) -> Session:
    """The request's open session; without one the app redirects to the login page."""
    cookie = request.cookies.get(SESSION_COOKIE)
    session = session_for(store, cookie=cookie) if cookie else None
    if session is None:
        raise LoginRequiredError("Please log in.")
    request.state.csqm_session = session
    return session


SessionDep = Annotated[Session, Depends(get_session)]


def get_page_user(session: SessionDep) -> Principal:
    """The logged-in user of a page request (scope comes with it, as for API tokens)."""
    return session.principal


PageUserDep = Annotated[Principal, Depends(get_page_user)]


async def check_csrf(request: Request, session: SessionDep) -> None:
    """Refuse a state-changing request whose form field or header lacks the session's CSRF token."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.method in ("POST", "PUT", "PATCH", "DELETE"):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, session.csrf_token):
        raise CsrfError("The form has expired or did not come from this site; reload the page and try again.")


#: Put ``dependencies=[CsrfDep]`` on every POST page route.
CsrfDep = Depends(check_csrf)


def require_roles(user: Principal, *roles: str) -> None:
    """Raise :class:`ForbiddenError` (a 403 page) unless the user has one of ``roles``."""
    if user.role not in roles:
        raise ForbiddenError(f"The role {user.role!r} may not use this page.")


def nav_items(user: Principal | None) -> list[tuple[str, str]]:
    """(translation key, path) of the main menu entries the user may use."""
    if user is None:
        return []
    role = user.role
    items = []
    if role in SERVICE_ROLES:
        items += [("nav.overview", "/"), ("nav.teams", "/teams"), ("nav.explorer", "/explorer")]
    if role in REVIEWERS:
        items.append(("nav.review", "/review"))
    if role in SERVICE_ROLES:
        items.append(("nav.catalogue", "/catalogue/metrics"))
    if role in ("admin", "quality_manager", "auditor", "test_call_manager", "tester"):
        items.append(("nav.testcalls", "/testcalls"))
    elif role in ("team_lead", "agent"):
        items.append(("nav.testcalls", "/testcalls/report"))  # published results within their scope
    if role in ("admin", "quality_manager", "team_lead", "auditor", "test_call_manager"):
        items.append(("nav.improvement", "/improvement"))
    if role in ("admin", "quality_manager", "team_lead"):
        items.append(("nav.realtime", "/realtime"))
    return items


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    csrf_token: str | None = None,
) -> HTMLResponse:
    """Render ``template`` with the console context (``t``, ``lang``, ``user``, ``csrf_field``, ``nav``)."""
    lang = request_lang(request)
    session: Session | None = getattr(request.state, "csqm_session", None)
    token = csrf_token or (session.csrf_token if session else "")

    def t(key: str, /, **values: object) -> str:
        return translate(lang, key, **values)

    def csrf_field() -> Markup:
        return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token)

    user = session.principal if session else None
    base = {
        "request": request,
        "t": t,
        "lang": lang,
        "langs": LANGS,
        "user": user,
        "csrf_token": token,
        "csrf_field": csrf_field,
        "nav": nav_items(user),
        "path": request.url.path,
        "tz": request.app.state.csqm.settings.timezone,
    }
    html = ENV.get_template(template).render({**base, **(context or {})})
    response = HTMLResponse(html, status_code=status_code)
    if "lang" in request.query_params:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


def secure_cookies(request: Request) -> bool:
    """Whether cookies get the Secure flag: over https, or when ``CSQM_SECURE_COOKIES`` is set."""
    flag = os.environ.get("CSQM_SECURE_COOKIES", "").lower()
    if flag in ("1", "true", "yes"):
        return True
    if flag in ("0", "false", "no"):
        return False
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
