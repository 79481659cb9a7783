"""Dependencies shared by the routers, with ``Annotated`` aliases (``StoreDep``, ``UserDep`` …).

The store is opened once per app; the embedded DuckDB store allows one connection, so every request
takes the app's lock for as long as it uses the store. The real-time ingress does not (its events are
stored by one committer thread, :mod:`csqm.realtime.ingress`): it authenticates with
``QuickUserDep``, which takes the lock only for a token not seen in the last few seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

from anyio import to_thread
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from csqm.metrics import Catalogue
from csqm.settings import Settings
from csqm.store import Store
from csqm.web.auth import Principal, authenticate, cached_principal

_BEARER = HTTPBearer(auto_error=False, description="An API token issued by `csqm users`.")


@dataclass
class AppState:
    """What the app holds for its lifetime: settings, the one store, its lock and the catalogue."""

    settings: Settings
    store: Store
    catalogue: Catalogue
    lock: threading.Lock = field(default_factory=threading.Lock)


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.csqm
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def get_store(state: StateDep) -> Iterator[Store]:
    """The store, held under the app's lock for the rest of the request."""
    with state.lock:
        yield state.store


StoreDep = Annotated[Store, Depends(get_store)]
CredentialsDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]


def _token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or not credentials.credentials:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Send an API token as 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return credentials.credentials


def _known(principal: Principal | None) -> Principal:
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "The API token is unknown or revoked.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


def get_principal(store: StoreDep, credentials: CredentialsDep) -> Principal:
    """The user owning the bearer token; 401 when it is missing, unknown or revoked."""
    return _known(authenticate(store, token=_token(credentials)))


async def get_principal_quickly(request: Request, credentials: CredentialsDep) -> Principal:
    """:func:`get_principal` without holding the store for the request: a token that authenticated
    in the last few seconds comes from the token cache (no lock, no thread); another one is looked
    up under the lock in a worker thread."""
    token = _token(credentials)
    state: AppState = request.app.state.csqm
    principal = cached_principal(state.store, token=token)
    if principal is None:

        def lookup() -> Principal | None:
            with state.lock:
                return authenticate(state.store, token=token)

        principal = await to_thread.run_sync(lookup)
    return _known(principal)


UserDep = Annotated[Principal, Depends(get_principal)]
QuickUserDep = Annotated[Principal, Depends(get_principal_quickly)]


def get_catalogue(state: StateDep) -> Catalogue:
    return state.catalogue


CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]
