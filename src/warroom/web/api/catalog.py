"""REST: teams and members, the service catalog, users, tokens, and organisation settings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from warroom.auth import queries as auth_queries
from warroom.auth import service as auth
from warroom.auth.permissions import Principal
from warroom.catalog import queries as catalog_queries
from warroom.catalog import service as catalog
from warroom.incidents import queries as incident_queries
from warroom.incidents import service as incidents
from warroom.incidents.priority import matrix_to_json
from warroom.platform.app import App
from warroom.web.api.schemas import ERRORS, PathId, QueryId
from warroom.web.api.schemas.catalog import (
    MemberIn,
    ServiceDetail,
    ServiceIn,
    ServiceOut,
    ServicePatch,
    ServiceView,
    TeamIn,
    TeamOut,
)
from warroom.web.api.schemas.incidents import IncidentOut
from warroom.web.api.schemas.users import (
    MeOut,
    NoUser,
    PasswordChanged,
    PasswordChangeIn,
    TokenCreated,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)
from warroom.web.deps import Admin, Viewer, current_principal, get_app

router = APIRouter(prefix="/api/v1", responses=ERRORS)


@router.get("/teams", tags=["catalog"], response_model=list[TeamOut])
def list_teams(app: App = Depends(get_app), p: Principal = Viewer) -> list[dict[str, Any]]:
    return catalog_queries.teams_with_members(app)


@router.post("/teams", status_code=201, tags=["catalog"], response_model=TeamOut)
def create_team(body: TeamIn, app: App = Depends(get_app), p: Principal = Admin) -> dict[str, Any]:
    row = catalog.create_team(app, body.name, body.description)
    return {**row, "members": []}


@router.get("/teams/{team_id}", tags=["catalog"], response_model=TeamOut)
def get_team(team_id: PathId, app: App = Depends(get_app), p: Principal = Viewer) -> dict[str, Any]:
    return catalog_queries.team(app, team_id)


@router.post("/teams/{team_id}/members", status_code=204, tags=["catalog"])
def add_member(team_id: PathId, body: MemberIn, app: App = Depends(get_app), p: Principal = Admin) -> None:
    catalog.add_member(app, team_id, body.user_id, body.role)


@router.delete("/teams/{team_id}/members/{user_id}", status_code=204, tags=["catalog"])
def remove_member(team_id: PathId, user_id: PathId, app: App = Depends(get_app), p: Principal = Admin) -> None:
    catalog.remove_member(app, team_id, user_id)


@router.get("/services", tags=["catalog"], response_model=list[ServiceOut])
def list_services(app: App = Depends(get_app), p: Principal = Viewer, team_id: QueryId = None) -> list[dict[str, Any]]:
    return catalog_queries.services_with_dependencies(app, team_id)


@router.post("/services", status_code=201, tags=["catalog"], response_model=ServiceView)
def create_service(body: ServiceIn, app: App = Depends(get_app), p: Principal = Admin) -> dict[str, Any]:
    row = catalog.create_service(app, **body.model_dump())
    return catalog.service_view(app, row["id"])


@router.get("/services/{service_id}", tags=["catalog"], response_model=ServiceDetail)
def get_service(service_id: PathId, app: App = Depends(get_app), p: Principal = Viewer) -> dict[str, Any]:
    view = catalog.service_view(app, service_id)
    view["open_incidents"] = [IncidentOut.of(s).model_dump(mode="json")
                              for s in incident_queries.open_for_service(app, service_id)]
    return view


@router.patch("/services/{service_id}", tags=["catalog"], response_model=ServiceView)
def update_service(service_id: PathId, body: ServicePatch, app: App = Depends(get_app),
                   p: Principal = Admin) -> dict[str, Any]:
    data = body.model_dump(exclude_unset=True)
    catalog.update_service(app, service_id, **data)
    return catalog.service_view(app, service_id)


@router.get("/users", tags=["users"], response_model=list[UserOut])
def list_users(app: App = Depends(get_app), p: Principal = Viewer) -> list[dict[str, Any]]:
    return [dict(u) for u in auth_queries.users(app)]


@router.get("/users/me", tags=["users"], response_model=MeOut | NoUser)
def me(app: App = Depends(get_app), p: Principal = Viewer) -> dict[str, Any]:
    return catalog_queries.profile(app, p.user_id)


@router.post("/me/password", tags=["users"], response_model=PasswordChanged, summary="Change your own password")
def change_password(body: PasswordChangeIn, request: Request, app: App = Depends(get_app),
                    p: Principal = Viewer) -> dict[str, Any]:
    """Needs the current password. Ends your other browser sessions (the one asking, if any, stays), and with
    `revoke_tokens` also revokes your API tokens."""
    from warroom.web.sessions import checking_own_password, client_ip, current_session

    by_cookie = not request.headers.get("authorization")  # a bearer token is not a browser session to keep
    session = current_session(request, app) if by_cookie else None
    keep = session.id if session is not None and session.principal.user_id == p.user_id else None
    ended = checking_own_password(app, p, client_ip(request), lambda: auth.change_own_password(
        app, p, current_password=body.current_password, new_password=body.new_password, keep_session=keep,
        revoke_tokens=body.revoke_tokens))
    return {"changed": True, "sessions_ended": ended, "tokens_revoked": body.revoke_tokens}


@router.post("/users", status_code=201, tags=["users"], response_model=UserOut)
def create_user(body: UserIn, app: App = Depends(get_app), p: Principal = Admin) -> dict[str, Any]:
    return dict(auth.create_user(app, **body.model_dump()))


@router.patch("/users/{user_id}", tags=["users"], response_model=UserOut,
              description="A new `password` ends the user's browser sessions and revokes their API tokens.")
def update_user(user_id: PathId, body: UserPatch, app: App = Depends(get_app), p: Principal = Admin) -> dict[str, Any]:
    return dict(auth.update_user(app, user_id, **body.model_dump(exclude_unset=True)))


@router.post("/tokens", status_code=201, tags=["users"], response_model=TokenCreated,
             summary="Create an API token (shown once)")
def create_token(body: TokenIn, app: App = Depends(get_app), p: Principal = Viewer) -> dict[str, Any]:
    token, row = auth.issue_token(app, p, body.user_id, body.name, body.expires_at)
    return {**row, "token": token}


@router.get("/tokens", tags=["users"], response_model=list[TokenOut])
def list_tokens(app: App = Depends(get_app), p: Principal = Viewer) -> list[dict[str, Any]]:
    return [dict(t) for t in auth.tokens_visible_to(app, p)]


@router.delete("/tokens/{token_id}", status_code=204, tags=["users"])
def revoke_token(token_id: PathId, app: App = Depends(get_app), p: Principal = Viewer) -> None:
    auth.revoke_token(app, p, token_id)


@router.get("/settings/priority-matrix", tags=["settings"])
def get_matrix(app: App = Depends(get_app), p: Principal = Viewer) -> dict[str, dict[str, str]]:
    return matrix_to_json(incidents.get_matrix(app))


@router.put("/settings/priority-matrix", tags=["settings"], summary="Replace the impact x urgency grid")
def put_matrix(body: dict[str, dict[str, str]], app: App = Depends(get_app),
               p: Principal = Admin) -> dict[str, dict[str, str]]:
    return matrix_to_json(incidents.set_matrix(app, p, body))


__all__ = ["router", "current_principal"]
