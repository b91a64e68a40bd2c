"""Who may do what: roles, the permissions each gives, and the scope of a grant.

A person holds grants; a grant is a role, optionally limited to some product families and/or
locations (a sales manager for hoses overrides hoses only; a plant's supply planner plans that
plant). The services check a permission with `require` before they change anything, so the
command line, the API and the pages obey the same rules. The command line's local user is an
administrator (see docs/architecture.md, "Who is acting").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

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
    run_cycle = "run_cycle"
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


def require(
    name: str,
    grants: Iterable[Grant],
    permission: Permission,
    *,
    family: str | None = None,
    location: str | None = None,
) -> None:
    """Raise `PermissionDenied` naming the person and what they lack, unless allowed."""
    if allowed(grants, permission, family=family, location=location):
        return
    where = " ".join(
        part
        for part in (
            f"family {family}" if family else "",
            f"location {location}" if location else "",
        )
        if part
    )
    scope = f" for {where}" if where else ""
    action = permission.value.replace("_", " ")
    raise PermissionDenied(f"{name} may not {action}{scope}")
