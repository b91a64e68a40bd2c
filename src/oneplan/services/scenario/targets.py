"""What an assumption may name: the codes at each target level and the plan's months, so a form
offers choices instead of asking people to type codes (a code not offered is still checked by
the run, naming the assumption and the field)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from oneplan.engines.frames import plan_calendar
from oneplan.services.actor import Actor
from oneplan.services.data.service import read_tables
from oneplan.services.permissions import Permission, require_some


class AssumptionChoices(BaseModel):
    """Codes by target level (item, family, location, region, resource; total has none) and
    the plan's months as ``YYYY-MM`` (empty when the parameters do not say)."""

    model_config = ConfigDict(frozen=True)

    targets: dict[str, list[str]]
    months: list[str]


def _codes(values: object) -> list[str]:
    import pandas as pd

    series = pd.Series(values, dtype=object).dropna().astype(str)
    return sorted(series[series != ""].unique().tolist())


def assumption_choices(session: Session, actor: Actor) -> AssumptionChoices:
    """The codes and months an assumption may name in the imported master data."""
    require_some(actor, Permission.read)
    tables = read_tables(session, ["items", "locations", "resources", "parameters"])
    items, locations = tables["items"], tables["locations"]
    targets = {
        "item": _codes(items.get("code")),
        "family": _codes(items.get("family")),
        "location": _codes(locations.get("code")),
        "region": _codes(locations.get("region")),
        "resource": _codes(tables["resources"].get("code")),
        "total": [],
    }
    months: list[str] = []
    parameters = tables["parameters"]
    if len(parameters) and {"plan_start", "horizon_periods"} <= set(parameters["name"]):
        months = [f"{m:%Y-%m}" for m in plan_calendar(parameters).months]
    return AssumptionChoices(targets=targets, months=months)
