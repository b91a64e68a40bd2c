"""User commands: create, list, disable, set a password, grant and revoke roles; API tokens.

A password is read from a hidden prompt (typed twice) or, with ``--password-stdin``, from the
first line of standard input; never from an option, which would land in the shell's history and
the process list.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from oneplan.cli.common import console, database, handle_errors, local_actor, say
from oneplan.cli.render import table, when

if TYPE_CHECKING:
    from oneplan.services.permissions import Grant
    from oneplan.services.users.schemas import UserInfo

ROLES = "admin, demand_planner, sales, supply_planner, finance, executive or viewer"
FamilyOption = Annotated[
    list[str] | None,
    typer.Option("--family", "-f", help="Limit to this product family (repeatable)."),
]
LocationOption = Annotated[
    list[str] | None,
    typer.Option("--location", "-l", help="Limit to this location (repeatable)."),
]
StdinOption = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    entered: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return entered


def _grant(role: str, families: list[str] | None, locations: list[str] | None) -> Grant:
    from oneplan.errors import Problem, ValidationFailed
    from oneplan.services.permissions import Grant, Role

    if role not in Role.__members__:
        problem = Problem("grant", None, "role", f"{role!r} is not one of {ROLES}")
        raise ValidationFailed([problem])
    return Grant(Role(role), frozenset(families or ()), frozenset(locations or ()))


def _grants(user: UserInfo) -> str:
    from oneplan.services.permissions import Grant

    held = [str(Grant(g.role, frozenset(g.families), frozenset(g.locations))) for g in user.grants]
    return "; ".join(held) or "-"


@handle_errors
def create_command(
    name: Annotated[str, typer.Argument(help="Log-in name, as the audit trail shows it.")],
    role: Annotated[str, typer.Option(help=f"Role to give: {ROLES}.")],
    family: FamilyOption = None,
    location: LocationOption = None,
    full_name: Annotated[str, typer.Option(help="Name shown to people.")] = "",
    password_stdin: StdinOption = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="No password: API tokens only.")
    ] = False,
) -> None:
    """Create a user with one role (more with `oneplan user grant`). The first user of a
    database must be an administrator: `oneplan user create NAME --role admin`."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.users.service import create_user

    given = _grant(role, family, location)
    actor = local_actor()
    password = None if no_password else _password(password_stdin)
    with unit_of_work(database()) as session:
        user = create_user(
            session, actor, name, password=password, full_name=full_name, grants=[given]
        )
    say(f"user {user.name} created: {_grants(user)}", "created:")


@handle_errors
def list_command() -> None:
    """List the users, their state and their grants."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.users.service import list_users

    with unit_of_work(database(), write=False) as session:
        users = list_users(session, local_actor())
    rows = [
        (
            u.name,
            u.full_name,
            "active" if u.active else "disabled",
            "yes" if u.has_password else "no",
            _grants(u),
            when(u.created_at),
        )
        for u in users
    ]
    columns = ["name", "full name", "state", "password", "grants", "created"]
    console.print(table(f"Users ({len(users)})", columns, rows))


@handle_errors
def disable_command(name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Disable a user: they can no longer act, locally or with a token."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.users.service import disable_user

    with unit_of_work(database()) as session:
        disable_user(session, local_actor(), name)
    say(f"user {name} is disabled", "disabled:")


@handle_errors
def set_password_command(
    name: Annotated[str, typer.Argument(help="User name.")],
    password_stdin: StdinOption = False,
) -> None:
    """Set a user's password (your own, or anyone's as an administrator)."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.users.service import set_password

    actor = local_actor()
    password = _password(password_stdin)
    with unit_of_work(database()) as session:
        set_password(session, actor, name, password)
    say(f"password of {name} set", "changed:")


@handle_errors
def grant_command(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[str, typer.Argument(help=f"Role: {ROLES}.")],
    family: FamilyOption = None,
    location: LocationOption = None,
) -> None:
    """Give a user a role, over every family and location or only those named."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.users.service import grant

    given = _grant(role, family, location)
    with unit_of_work(database()) as session:
        user = grant(session, local_actor(), name, given)
    say(f"{name} now holds: {_grants(user)}", "granted:")


@handle_errors
def revoke_command(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[str, typer.Argument(help=f"Role: {ROLES}.")],
    family: FamilyOption = None,
    location: LocationOption = None,
) -> None:
    """Take a role from a user: every grant of it, or the one of exactly the scope named."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.users.service import revoke

    checked = _grant(role, family, location)
    exact = bool(family or location)
    with unit_of_work(database()) as session:
        user = revoke(
            session,
            local_actor(),
            name,
            checked.role,
            families=checked.families if exact else None,
            locations=checked.locations if exact else None,
        )
    say(f"{name} now holds: {_grants(user)}", "revoked:")


@handle_errors
def token_create_command(
    label: Annotated[str, typer.Argument(help="What the token is for, e.g. 'excel on laptop'.")],
    user: Annotated[
        str | None, typer.Option(help="For this user (default: yourself; others: admins).")
    ] = None,
    days: Annotated[int, typer.Option(help="Days until it expires (at most 366).")] = 90,
) -> None:
    """Create a personal API token; it is shown this once, copy it now."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.users.tokens import create_token

    actor = local_actor()
    with unit_of_work(database()) as session:
        made = create_token(session, actor, user or actor.name, label, days=days)
    say(f"token {made.info.id} ({made.info.label}), expires {when(made.info.expires_at)}:", "ok:")
    console.print(made.token, markup=False, highlight=False, soft_wrap=True)
    say("it is shown this once: oneplan keeps only its hash", "note:", "note")


@handle_errors
def token_list_command(
    user: Annotated[
        str | None, typer.Option(help="This user's tokens (default: yours; others: admins).")
    ] = None,
) -> None:
    """List API tokens: their first characters, expiry, last use; never the tokens."""
    from datetime import UTC, datetime

    from oneplan.db.session import unit_of_work
    from oneplan.services.users.tokens import list_tokens

    actor = local_actor()
    with unit_of_work(database(), write=False) as session:
        tokens = list_tokens(session, actor, user or actor.name)
    now = datetime.now(UTC)

    def state(expires: datetime, revoked: datetime | None) -> str:
        if revoked is not None:
            return "revoked"
        aware = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
        return "expired" if aware <= now else "valid"

    rows = [
        (
            str(t.id),
            t.label,
            f"{t.prefix}...",
            state(t.expires_at, t.revoked_at),
            when(t.expires_at),
            when(t.last_used_at) if t.last_used_at else "never",
        )
        for t in tokens
    ]
    columns = ["id", "label", "starts", "state", "expires", "last used"]
    console.print(table(f"API tokens ({len(tokens)})", columns, rows))


@handle_errors
def token_revoke_command(
    token_id: Annotated[int, typer.Argument(help="Token id, from `oneplan user token list`.")],
    user: Annotated[str | None, typer.Option(help="Whose token (default: yours).")] = None,
) -> None:
    """Revoke an API token at once."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.users.tokens import revoke_token

    actor = local_actor()
    with unit_of_work(database()) as session:
        revoke_token(session, actor, user or actor.name, token_id)
    say(f"token {token_id} is revoked", "revoked:")


def register(app: typer.Typer) -> None:
    """Add ``user`` and ``user token`` to the ``oneplan`` command."""
    user_app = typer.Typer(
        help="Users, their roles and API tokens (docs/security.md).",
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    user_app.command("create")(create_command)
    user_app.command("list")(list_command)
    user_app.command("disable")(disable_command)
    user_app.command("set-password")(set_password_command)
    user_app.command("grant")(grant_command)
    user_app.command("revoke")(revoke_command)
    token_app = typer.Typer(
        help="Personal API tokens: shown once, stored hashed.",
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    token_app.command("create")(token_create_command)
    token_app.command("list")(token_list_command)
    token_app.command("revoke")(token_revoke_command)
    user_app.add_typer(token_app, name="token")
    app.add_typer(user_app, name="user")
