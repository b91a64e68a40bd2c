"""What a change reaches, as the (family, location) targets a grant's scope is checked against.

Reads follow the same scope: a row of a plan is about a family and/or a location, and a person
sees the rows one of their grants covers (`readable`). A row about no family (a resource's
hours) is seen only with a grant not limited to families, a row about no location (a family's
money over every plant) only with one not limited to locations, as a change would be.

An override or a scenario assumption names a node: an item, a family, a category, a region, a
location, a resource, one item at one location, or the total. A sales manager's grant over
family HOS covers a change to an item of HOS at any location; a plant's supply planner's grant
over location PL-N covers a change to one of PL-N's resources. A node above the grant's scope (a
whole category over two families, a region over two locations, the total) is covered only when
every family or location under it is.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from oneplan.engines.frames import ID_SEPARATOR
from oneplan.errors import PermissionDenied
from oneplan.services.permissions import (
    ROLE_PERMISSIONS,
    WHOLE,
    Actor,
    Permission,
    Target,
    require_some,
)

#: The master-data tables `targets_of` looks codes up in.
SCOPE_TABLES = ["items", "families", "locations", "resources"]


def targets_of(tables: Mapping[str, pd.DataFrame], level: str, member: str) -> list[Target]:
    """The targets a change at ``level`` ``member`` reaches (an unknown code: its own name, so
    that only an unscoped grant covers it and the service's own check names the bad code).

    >>> tables = {
    ...     "items": pd.DataFrame({"code": ["H1"], "family": ["HOS"]}),
    ...     "families": pd.DataFrame({"code": ["HOS", "SPR"], "category": ["GAR", "GAR"]}),
    ...     "locations": pd.DataFrame({"code": ["DC", "PL"], "region": ["EU", "EU"]}),
    ...     "resources": pd.DataFrame({"code": ["INJ"], "location": ["PL"]}),
    ... }
    >>> targets_of(tables, "item_location", "H1|DC"), targets_of(tables, "resource", "INJ")
    ([('HOS', 'DC')], [(None, 'PL')])
    >>> targets_of(tables, "category", "GAR"), targets_of(tables, "total", "")
    ([('HOS', None), ('SPR', None)], [(None, None)])
    """
    if level == "total":
        return [WHOLE]
    if level == "family":
        return [(member, None)]
    if level == "location":
        return [(None, member)]
    if level == "item":
        return [(_lookup(tables["items"], "family", member), None)]
    if level == "item_location":
        item, _, location = member.partition(ID_SEPARATOR)
        return [(_lookup(tables["items"], "family", item), location or None)]
    if level == "resource":
        return [(None, _lookup(tables["resources"], "location", member))]
    if level == "category":
        families = tables["families"]
        codes = sorted(families.loc[families["category"] == member, "code"])
        return [(code, None) for code in codes] or [WHOLE]
    if level == "region":
        locations = tables["locations"]
        codes = sorted(locations.loc[locations["region"] == member, "code"])
        return [(None, code) for code in codes] or [WHOLE]
    return [WHOLE]


def _lookup(table: pd.DataFrame, column: str, code: str) -> str | None:
    found = table.loc[table["code"] == code, column]
    return str(found.iloc[0]) if len(found) else None


def reads_everything(actor: Actor) -> bool:
    """Whether some grant lets ``actor`` read every family at every location."""
    return any(
        Permission.read in ROLE_PERMISSIONS[g.role] and not (g.families or g.locations)
        for g in actor.grants
    )


def readable(
    actor: Actor, families: pd.Series | None = None, locations: pd.Series | None = None
) -> np.ndarray:
    """Which rows ``actor`` may read: those about a family and location (None: about no family,
    or no location) that one of their grants with ``read`` covers; a code that is missing
    (NaN) is about no family or location. Refuses outright (`PermissionDenied`) a person with
    no grant that reads.

    >>> from oneplan.services.actor import Actor
    >>> from oneplan.services.permissions import Grant, Role
    >>> hoses = Actor("sam", frozenset({Grant(Role.sales, families=frozenset({"HOS"}))}))
    >>> readable(hoses, pd.Series(["HOS", "SPR", None]), pd.Series(["DC", "DC", "DC"])).tolist()
    [True, False, False]
    >>> readable(hoses, None, pd.Series(["DC"])).tolist()
    [False]
    """
    require_some(actor, Permission.read)
    size = (
        len(families) if families is not None else len(locations if locations is not None else [])
    )
    shown = np.zeros(size, dtype=bool)
    for grant in actor.grants:
        if Permission.read not in ROLE_PERMISSIONS[grant.role]:
            continue
        shown |= _covered(families, grant.families, size) & _covered(
            locations, grant.locations, size
        )
    return shown


def _covered(codes: pd.Series | None, scope: frozenset[str], size: int) -> np.ndarray:
    if not scope:
        return np.ones(size, dtype=bool)
    if codes is None:
        return np.zeros(size, dtype=bool)
    return codes.isin(scope).to_numpy(dtype=bool)


def require_whole_read(actor: Actor) -> None:
    """Refuse (`PermissionDenied`) a read of figures that sum every family and plant (the
    company's cash, a bridge of the whole budget, a data export) to a scoped grant."""
    if reads_everything(actor):
        return
    require_some(actor, Permission.read)
    held = "; ".join(sorted(str(g) for g in actor.grants))
    raise PermissionDenied(
        f"{actor.name} ({held}) may not read figures of the whole company: they sum every "
        "family and location, which only a grant without families or locations reads"
    )


def item_families(items: pd.DataFrame, codes: pd.Series) -> pd.Series:
    """The family of each item code (NaN for an unknown one)."""
    return codes.map(items.set_index("code")["family"])


def resource_locations(resources: pd.DataFrame, codes: pd.Series) -> pd.Series:
    """The location of each resource code (NaN for an unknown one)."""
    return codes.map(resources.set_index("code")["location"])
