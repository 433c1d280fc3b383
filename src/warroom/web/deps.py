"""Request dependencies: the application object and who is calling, checked on every route."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends, Request

from warroom.auth.permissions import Principal, UserRole, require
from warroom.auth.service import principal_for_token
from warroom.errors import WarroomError
from warroom.platform.app import App


class Unauthorized(WarroomError):
    status = 401


# Dependencies that do no I/O are `async def`: FastAPI runs a plain function in its thread pool, one hand-off to
# another thread (and back) per dependency per request, which under load cost more than the work itself.
async def get_app(request: Request) -> App:
    return request.app.state.warroom


def bearer(request: Request, app: App) -> Principal | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    principal = principal_for_token(app, token.strip())
    if principal is None:
        raise Unauthorized("invalid or revoked token")
    return principal


def current_principal(request: Request, app: App = Depends(get_app)) -> Principal:
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    from warroom.web.registry import AUTHENTICATORS  # the registry imports this module: read it when called

    for authenticate in AUTHENTICATORS:
        p = authenticate(request, app)
        if p is not None:
            request.state.principal = p
            return p
    raise Unauthorized("authentication required: send 'Authorization: Bearer <token>'")


def needs(role: UserRole) -> Callable[..., Awaitable[Principal]]:
    """Dependency: the caller, who must hold at least `role`."""

    async def dep(p: Principal = Depends(current_principal)) -> Principal:  # async: no I/O (see get_app)
        require(p, role)
        return p

    dep.warroom_role = role  # type: ignore[attr-defined]  # read by the route-walking test
    return dep


def public(reason: str) -> Callable[..., Awaitable[None]]:
    """Dependency that marks a route as deliberately open (health checks, key-authenticated intake)."""

    async def dep() -> None:  # async: FastAPI would run a plain function in its thread pool on every request
        return None

    dep.warroom_public = reason  # type: ignore[attr-defined]
    return dep


Viewer = Depends(needs(UserRole.VIEWER))
Responder = Depends(needs(UserRole.RESPONDER))
Admin = Depends(needs(UserRole.ADMIN))

__all__: list[Any] = ["Admin", "Responder", "Viewer", "get_app", "needs", "public", "current_principal"]
