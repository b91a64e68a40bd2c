"""Users (administrators): list, create, show, grant and revoke roles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from oneplan.api.deps import CurrentActor, IfMatch, SessionDep, etag
from oneplan.services.permissions import Role
from oneplan.services.users.schemas import GrantRequest, NewUser, UserInfo

router = APIRouter(prefix="/users", tags=["users"])


def _tagged(found: UserInfo, response: Response) -> UserInfo:
    response.headers["ETag"] = etag(found.version)
    return found


@router.get("")
def list_users(session: SessionDep, actor: CurrentActor) -> list[UserInfo]:
    """Every user by name, with their grants (never a password hash)."""
    from oneplan.services.users.service import list_users

    return list_users(session, actor)


@router.post("", status_code=201, responses={409: {}, 422: {}})
def create_user(
    body: NewUser, response: Response, session: SessionDep, actor: CurrentActor
) -> UserInfo:
    """A new active user with a password (none: API tokens only) and grants."""
    from oneplan.services.users.service import create_user

    grants = [g.grant() for g in body.grants]
    created = create_user(
        session, actor, body.name, password=body.password, full_name=body.full_name, grants=grants
    )
    return _tagged(created, response)


@router.get("/{name}")
def show_user(name: str, response: Response, session: SessionDep, actor: CurrentActor) -> UserInfo:
    """One user; the ETag names its version."""
    from oneplan.services.users.service import show_user

    return _tagged(show_user(session, actor, name), response)


@router.post("/{name}/grants", responses={409: {}, 412: {}, 428: {}})
def grant_role(
    name: str,
    body: GrantRequest,
    expected: IfMatch,
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
) -> UserInfo:
    """Give the user a role over some families and/or locations."""
    from oneplan.services.users.service import grant

    granted = grant(session, actor, name, body.grant(), expected=expected)
    session.flush()
    return _tagged(granted, response)


@router.delete("/{name}/grants/{role}", responses={404: {}, 409: {}, 412: {}, 428: {}})
def revoke_role(
    name: str,
    role: Role,
    expected: IfMatch,
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
    family: Annotated[list[str] | None, Query()] = None,
    location: Annotated[list[str] | None, Query()] = None,
) -> UserInfo:
    """Take a role from the user: every grant of it, or with ``family``/``location`` the one
    grant of exactly that scope."""
    from oneplan.services.users.service import revoke

    revoked = revoke(
        session, actor, name, role, families=family, locations=location, expected=expected
    )
    return _tagged(revoked, response)
