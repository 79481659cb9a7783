"""The application factory: ``create_app(settings)`` builds the API; nothing happens at import."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from csqm.errors import ConfigError, CsqmError, StoreError
from csqm.metrics import MetricQueryError, load_catalogue, user_dir_from_env
from csqm.settings import Settings
from csqm.store import Store, open_store
from csqm.web.console import STATIC_DIR, CsrfError, LoginRequiredError, render, translator
from csqm.web.deps import AppState
from csqm.web.errors import BadParameterError, ForbiddenError, NotFoundError
from csqm.web.pages import page_router
from csqm.web.routes import api_router
from csqm.web.tables import ensure_tables

log = logging.getLogger(__name__)

_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (NotFoundError, 404),
    (ForbiddenError, 403),
    (CsrfError, 403),
    (LoginRequiredError, 401),
    (BadParameterError, 400),
    (MetricQueryError, 400),
    (ConfigError, 400),
    (StoreError, 503),
)
_PLAIN = {404: "There is no such endpoint.", 405: "That method is not allowed on this endpoint."}
#: Translation keys of the console's error page by status.
_PAGE_ERRORS = {
    400: "error.bad_request",
    401: "error.login",
    403: "error.forbidden",
    404: "error.not_found",
    405: "error.not_found",
    422: "error.bad_request",
    429: "login.throttled",
    503: "error.unavailable",
}


def create_app(settings: Settings, *, store: Store | None = None) -> FastAPI:
    """Build the API on ``store`` (default: open the settings' store; it is then closed on shutdown)."""
    owned = store is None
    opened = store if store is not None else open_store(settings=settings)
    ensure_tables(opened)
    state = AppState(settings=settings, store=opened, catalogue=load_catalogue(user_dir_from_env()))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The real-time background step (timers, webhook sender, inspection of ended conversations)
        # runs while the app serves: always when the app opened its own store (`csqm serve`,
        # `csqm realtime serve`), and when a caller passing its store sets
        # `app.state.csqm_realtime_autostart = True` (tests passing a store keep it off: fast, no
        # wall-clock timers). A store that cannot hold the real-time tables serves without it.
        runtime = None
        if owned or getattr(app.state, "csqm_realtime_autostart", False):
            from csqm.realtime.runtime import runtime_of

            try:
                with state.lock:
                    runtime = runtime_of(state, app.state)
                runtime.start()
            except Exception:
                log.exception("the real-time background step could not start; serving without it")
                runtime = None
        try:
            yield
        finally:
            if runtime is not None:
                runtime.stop()
            if owned:
                opened.close()

    app = FastAPI(
        title="CSQM API",
        version="1",
        description="Customer Service Quality Monitor: KPIs, organisation and conversations.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.csqm = state
    app.include_router(api_router())
    app.include_router(page_router())
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _install_error_handlers(app)
    return app


def _is_page(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/static/"))


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _respond(request: Request, status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """JSON for the API; for console pages a translated error page (or the login page when logged out)."""
    if not _is_page(request):
        return _error(status, message, headers)
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    t = translator(request)
    key = _PAGE_ERRORS.get(status, "error.internal")
    return render(request, "error.html", {"status": status, "error": t(key)}, status_code=status)


def _validation_message(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "The request is invalid."
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body"))
    return f"Invalid parameter {where!r}: {first.get('msg', 'invalid value')}."


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        message = str(exc.detail) if exc.detail else "Request failed."
        if message in ("Not Found", "Method Not Allowed"):
            message = _PLAIN[exc.status_code]
        return _respond(request, exc.status_code, message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return _respond(request, 422, _validation_message(exc))

    @app.exception_handler(CsqmError)
    async def _csqm(request: Request, exc: CsqmError) -> Response:
        status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 500)
        message = " ".join(str(exc).split())
        message = message if message.endswith((".", "?", "!", "。")) else message + "."
        return _respond(request, status, message if status < 500 else "The store cannot be used right now; try again.")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        return _respond(request, 500, "Internal error; the server log has the details.")
