"""What a change reaches, as the (family, location) targets a grant's scope is checked against.

An override or a scenario assumption names a node: an item, a family, a category, a region, a
location, a resource, one item at one location, or the total. A sales manager's grant over
family HOS covers a change to an item of HOS at any location; a plant's supply planner's grant
over location PL-N covers a change to one of PL-N's resources. A node above the grant's scope (a
whole category over two families, a region over two locations, the total) is covered only when
every family or location under it is.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from oneplan.engines.frames import ID_SEPARATOR
from oneplan.services.permissions import WHOLE, Target

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
