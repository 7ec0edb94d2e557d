"""Annotated dependencies: the request's session, resources and caller."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.auth import (
    Forbidden,
    MissingCredentials,
    Principal,
    Role,
    verify_key,
    verify_session_token,
)
from api.resources import AppResources
from leads.db import unit_of_work

_bearer = HTTPBearer(auto_error=False, description="An API key (clk_...) or a session token")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key (clk_...)")


def get_resources(request: Request) -> AppResources:
    """Return the resources the lifespan opened."""
    resources: AppResources = request.app.state.resources
    return resources


ResourcesDep = Annotated[AppResources, Depends(get_resources)]


def get_session(resources: ResourcesDep) -> Iterator[Session]:
    """Yield one session per request: committed on success, rolled back on error."""
    with unit_of_work(resources.sessions) as session:
        yield session


# "function" scope: the session commits before the response is sent, so a client's next request
# (the widget's first message right after it starts a session) always sees what this one wrote.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_principal(
    resources: ResourcesDep,
    session: SessionDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    """Identify the caller from an API key or a session token."""
    secret = api_key or (bearer.credentials if bearer else None)
    if not secret:
        raise MissingCredentials(
            "send an API key as `Authorization: Bearer clk_...` or `X-API-Key`, "
            "or a session token from POST /v1/sessions"
        )
    if secret.startswith("clk_"):
        principal = verify_key(session, secret)
        session.commit()
        return principal
    return verify_session_token(resources.signing_key, secret, max_age_s=resources.session_ttl_s)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(*roles: Role, sessions: bool = False) -> Callable[[Principal], Principal]:
    """Return a dependency admitting only these roles (and sessions, if allowed)."""

    def check(principal: PrincipalDep) -> Principal:
        if principal.kind == "session":
            if sessions:
                return principal
            raise Forbidden("this route needs an API key; a chat session cannot call it")
        if principal.role not in roles:
            raise Forbidden(
                f"role {principal.role!r} may not call this route (allowed: {', '.join(roles)})"
            )
        return principal

    return check


# People at the company who work leads: reps, and admins acting for one.
StaffDep = Annotated[Principal, Depends(require("admin", "rep"))]
