"""Who may do what: roles, the permissions each gives, and the scope of a grant.

A person holds grants; a grant is a role, optionally limited to some product families and/or
locations (a sales manager for hoses overrides hoses only; a plant's supply planner changes and
runs scenarios about that plant). The services check a permission with `require` before they
change anything, so the command line, the API and the pages obey the same rules.

A check names its *targets*: the (family, location) pairs the change reaches, None meaning "every
one". A change to the whole company (a supply run, an approval, an import) has the one target
``(None, None)``, which only a grant without scope covers. docs/security.md prints the matrix.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from oneplan.errors import PermissionDenied


class Role(StrEnum):
    """What a person does in the S&OP cycle."""

    admin = "admin"
    demand_planner = "demand_planner"
    sales = "sales"
    supply_planner = "supply_planner"
    finance = "finance"
    executive = "executive"
    viewer = "viewer"


class Permission(StrEnum):
    """One thing a service may be asked to do."""

    read = "read"
    import_data = "import_data"
    run_demand = "run_demand"
    override_demand = "override_demand"
    run_supply = "run_supply"
    export_mps = "export_mps"
    run_finance = "run_finance"
    edit_scenario = "edit_scenario"
    run_scenario = "run_scenario"
    propose_plan = "propose_plan"
    approve_plan = "approve_plan"
    release_plan = "release_plan"
    write_report = "write_report"
    manage_users = "manage_users"


P = Permission
#: The permission matrix (docs/security.md prints it): what each role may do.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.admin: frozenset(Permission),
    Role.demand_planner: frozenset(
        {P.read, P.import_data, P.run_demand, P.override_demand, P.edit_scenario}
        | {P.run_scenario, P.propose_plan, P.write_report}
    ),
    Role.sales: frozenset({P.read, P.override_demand}),
    Role.supply_planner: frozenset(
        {P.read, P.import_data, P.run_supply, P.export_mps, P.edit_scenario, P.run_scenario}
        | {P.propose_plan, P.release_plan, P.write_report}
    ),
    Role.finance: frozenset(
        {P.read, P.run_finance, P.edit_scenario, P.run_scenario, P.propose_plan, P.write_report}
    ),
    Role.executive: frozenset({P.read, P.approve_plan, P.release_plan, P.write_report}),
    Role.viewer: frozenset({P.read}),
}


class Actor(Protocol):
    """Who is checked: a name and grants (`oneplan.services.actor.Actor` is one)."""

    @property
    def name(self) -> str: ...
    @property
    def grants(self) -> frozenset[Grant]: ...


#: What a change reaches: a (family, location) pair, None meaning every family or location.
Target = tuple[str | None, str | None]
#: The whole company: every family at every location.
WHOLE: Target = (None, None)


@dataclass(frozen=True)
class Grant:
    """A role, over some families and locations (empty: all of them)."""

    role: Role
    families: frozenset[str] = frozenset()
    locations: frozenset[str] = frozenset()

    def covers(self, family: str | None, location: str | None) -> bool:
        """Whether this grant reaches a thing of this family and location (None: not about
        any one family or location, e.g. a whole-company run, which a scoped grant cannot do).

        >>> hoses = Grant(Role.sales, families=frozenset({"HOS"}))
        >>> hoses.covers("HOS", "DC"), hoses.covers("SPR", "DC"), hoses.covers(None, None)
        (True, False, False)
        """
        if self.families and (family is None or family not in self.families):
            return False
        return not (self.locations and (location is None or location not in self.locations))

    def __str__(self) -> str:
        """The role and its scope, as messages and lists show it.

        >>> str(Grant(Role.sales, families=frozenset({"HOS", "SPR"})))
        'sales for families HOS, SPR'
        >>> str(Grant(Role.admin))
        'admin'
        """
        scope = [
            f"{label} {', '.join(sorted(codes))}"
            for label, codes in (("families", self.families), ("locations", self.locations))
            if codes
        ]
        return f"{self.role.value} for {' and '.join(scope)}" if scope else self.role.value


def allowed(
    grants: Iterable[Grant],
    permission: Permission,
    *,
    family: str | None = None,
    location: str | None = None,
) -> bool:
    """Whether any grant gives ``permission`` over ``family`` and ``location``.

    >>> grants = [Grant(Role.sales, families=frozenset({"HOS"})), Grant(Role.viewer)]
    >>> allowed(grants, Permission.override_demand, family="HOS")
    True
    >>> allowed(grants, Permission.override_demand, family="SPR")
    False
    >>> allowed(grants, Permission.read)
    True
    """
    return any(
        permission in ROLE_PERMISSIONS[grant.role] and grant.covers(family, location)
        for grant in grants
    )


def roles_with(permission: Permission) -> list[Role]:
    """The roles that give ``permission``.

    >>> [r.value for r in roles_with(Permission.approve_plan)]
    ['admin', 'executive']
    """
    return [role for role in Role if permission in ROLE_PERMISSIONS[role]]


def matrix() -> str:
    """The permission matrix as a Markdown table: a row per permission, a column per role.

    >>> print(matrix().splitlines()[2])
    | read | yes | yes | yes | yes | yes | yes | yes |
    """
    header = "| permission | " + " | ".join(role.value for role in Role) + " |"
    rule = "|---|" + "---|" * len(Role)
    rows = [
        f"| {p.value} | "
        + " | ".join("yes" if p in ROLE_PERMISSIONS[role] else "-" for role in Role)
        + " |"
        for p in Permission
    ]
    return "\n".join([header, rule, *rows])


def require(actor: Actor, permission: Permission, targets: Iterable[Target] = (WHOLE,)) -> None:
    """Raise `PermissionDenied` unless the actor's grants give ``permission`` over every target.

    The message names the person, the grants they hold, the permission and the roles that give
    it; nothing has been changed when it is raised.

    >>> from oneplan.services.actor import Actor
    >>> ann = Actor("ann", frozenset({Grant(Role.sales, families=frozenset({"HOS"}))}))
    >>> require(ann, Permission.override_demand, [("HOS", None)])
    >>> require(ann, Permission.override_demand, [("SPR", None)])
    Traceback (most recent call last):
    ...
    oneplan.errors.PermissionDenied: ann (sales for families HOS) may not override demand for family SPR: that needs the permission override_demand, given by admin, demand_planner, sales
    """  # noqa: E501
    for family, location in targets:
        if allowed(actor.grants, permission, family=family, location=location):
            continue
        where = " and ".join(
            part
            for part in (
                f"family {family}" if family else "",
                f"location {location}" if location else "",
            )
            if part
        )
        scope = f" for {where}" if where else ""
        if not where and any(g.families or g.locations for g in actor.grants):
            scope = " for the whole company"
        raise _denied(actor, permission, scope)


def require_some(actor: Actor, permission: Permission) -> None:
    """Raise `PermissionDenied` unless some grant gives ``permission``, whatever its scope: the
    check before the input is read; `require` checks the targets once they are known."""
    if not any(permission in ROLE_PERMISSIONS[grant.role] for grant in actor.grants):
        raise _denied(actor, permission, "")


def _denied(actor: Actor, permission: Permission, scope: str) -> PermissionDenied:
    held = "; ".join(sorted(str(g) for g in actor.grants)) or "no role"
    givers = ", ".join(role.value for role in roles_with(permission))
    return PermissionDenied(
        f"{actor.name} ({held}) may not {permission.value.replace('_', ' ')}{scope}: that "
        f"needs the permission {permission.value}, given by {givers}"
    )
