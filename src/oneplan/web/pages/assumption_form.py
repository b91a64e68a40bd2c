"""One scenario assumption as a form: the kind chosen from the scenario service's choice list,
then the fields that kind takes (its target levels, its units, the plan's months), so nobody
has to learn the command line's colon syntax."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from nicegui import ui
from pydantic import ValidationError

from oneplan.choices import ASSUMPTION_LEVELS, ASSUMPTION_UNITS, AssumptionKind
from oneplan.errors import InputError
from oneplan.services.scenario.schemas import Assumption
from oneplan.services.scenario.targets import AssumptionChoices

KIND_TITLES: dict[AssumptionKind, str] = {
    AssumptionKind.demand_change: "Demand change",
    AssumptionKind.capacity_change: "Capacity change (a shift, a press down)",
    AssumptionKind.cost_change: "Material cost change",
    AssumptionKind.price_change: "Price change",
    AssumptionKind.subcontract: "Subcontracting",
    AssumptionKind.policy_change: "Service policy change",
    AssumptionKind.launch_moved: "Launch moved",
}
KIND_HELP: dict[AssumptionKind, str] = {
    AssumptionKind.demand_change: "Demand of the target in the months, up or down: in % or in "
    "units per month, split over its items and locations in proportion.",
    AssumptionKind.capacity_change: "Regular capacity of a resource in the months: -100 % is "
    "down for the month; +hours is an extra shift.",
    AssumptionKind.cost_change: "Material cost of the items from the month on, in %.",
    AssumptionKind.price_change: "Selling price of the items from the month on, in %.",
    AssumptionKind.subcontract: "Buy from a subcontractor: the cost per unit, or the most "
    "units a month it can make.",
    AssumptionKind.policy_change: "The items' target service level (between 0 and 1) or the "
    "most months an order may wait.",
    AssumptionKind.launch_moved: "The item's demand moves by whole months: + later, - earlier.",
}
UNIT_TITLES = {
    "percent": "% change",
    "units": "units per month",
    "hours": "hours per month",
    "currency": "cost per unit",
    "service_level": "service level (0 to 1)",
    "max_backlog_periods": "months an order may wait",
    "months": "months",
}
WHOLE_HORIZON = ""


def _month(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return WHOLE_HORIZON
    return f"{pd.Timestamp(value):%Y-%m}"


def describe(row: dict[str, Any] | Assumption) -> dict[str, str]:
    """An assumption in words: what, on what, when, by how much.

    >>> a = Assumption(kind="demand_change", target_level="family", target="HOS",
    ...     period_from=date(2027, 5, 1), value=10.0, unit="percent")
    >>> describe(a)
    {'kind': 'Demand change', 'target': 'family HOS', 'months': '2027-05 to the end', 'change': '+10 %'}
    """  # noqa: E501
    fields = row.model_dump() if isinstance(row, Assumption) else row
    kind = AssumptionKind(str(fields["kind"]))
    start, end = _month(fields["period_from"]), _month(fields["period_to"])
    months = f"{start or 'the start'} to {end or 'the end'}"
    if start and start == end:
        months = start
    value, unit = float(fields["value"]), str(fields["unit"])
    signed = f"{value:+,g}"
    change = {
        "percent": f"{signed} %",
        "units": f"{signed} units/month",
        "hours": f"{signed} h/month",
        "currency": f"{value:,g} per unit",
        "service_level": f"service level {value:g}",
        "max_backlog_periods": f"wait at most {value:g} months",
        "months": f"{signed} months",
    }.get(unit, f"{value:g} {unit}")
    if kind == AssumptionKind.subcontract and unit == "units":
        change = f"up to {value:,g} units/month"
    level, target = str(fields["target_level"]), str(fields["target"] or "")
    return {
        "kind": KIND_TITLES[kind].split(" (")[0],
        "target": "everything" if level == "total" else f"{level} {target}",
        "months": months,
        "change": change,
    }


class AssumptionForm:
    """The fields of one assumption; ``prefix`` names its elements for tests (``<prefix>-kind``,
    ``-level``, ``-target``, ``-from``, ``-to``, ``-value``, ``-unit``, ``-note``)."""

    def __init__(
        self, choices: AssumptionChoices, prefix: str, start: Assumption | None = None
    ) -> None:
        self.choices, self.prefix = choices, prefix
        kind = start.kind if start else AssumptionKind.demand_change
        months = {WHOLE_HORIZON: "(whole horizon)"} | {m: m for m in choices.months}
        with ui.column().classes("w-full gap-1"):
            with ui.row().classes("w-full items-end gap-2"):
                self.kind = self._mark(
                    ui.select(
                        {k: KIND_TITLES[k] for k in AssumptionKind},
                        label="Kind of assumption",
                        value=kind,
                        on_change=self._kind_changed,
                    ).classes("w-72"),
                    "kind",
                )
                self.level = self._mark(
                    ui.select([], label="Level", on_change=self._level_changed).classes("w-28"),
                    "level",
                )
                self.target = self._mark(
                    ui.select([], label="Target", with_input=True).classes("w-40"), "target"
                )
                self.start = self._mark(
                    ui.select(months, label="From month", value=WHOLE_HORIZON).classes("w-36"),
                    "from",
                )
                self.end = self._mark(
                    ui.select(months, label="To month", value=WHOLE_HORIZON).classes("w-36"), "to"
                )
                self.value = self._mark(
                    ui.number(label="Value", format="%g").classes("w-28"), "value"
                )
                self.unit = self._mark(ui.select({}, label="Unit").classes("w-48"), "unit")
                self.note = self._mark(ui.input(label="Note (why)").classes("w-56"), "note")
            self.help = ui.label("").classes("text-xs text-gray-600")
        self._kind_changed()
        if start is not None:
            self.level.value = start.target_level
            self._level_changed()
            self.target.value = start.target or None
            self.start.value = _month(start.period_from)
            self.end.value = _month(start.period_to)
            self.value.value = start.value
            self.unit.value = start.unit
            self.note.value = start.note

    def _mark(self, element: Any, name: str) -> Any:
        testid = f"{self.prefix}-{name}"
        return element.props(f'data-testid="{testid}" dense').mark(testid)

    def _kind_changed(self, *_: Any) -> None:
        kind = AssumptionKind(self.kind.value)
        levels = list(ASSUMPTION_LEVELS[kind])
        chosen = self.level.value if self.level.value in levels else levels[0]
        self.level.set_options(levels, value=chosen)
        units = {u: UNIT_TITLES.get(u, u) for u in ASSUMPTION_UNITS[kind]}
        self.unit.set_options(units, value=next(iter(units)))
        self.help.text = KIND_HELP[kind]
        self._level_changed()

    def _level_changed(self, *_: Any) -> None:
        level = str(self.level.value or "")
        codes = self.choices.targets.get(level, [])
        self.target.set_options(
            codes, value=self.target.value if self.target.value in codes else None
        )
        self.target.enabled = level != "total"

    def clear(self) -> None:
        """Ready for the next assumption: the size and the note empty, the rest kept (the next
        one is often on the same target)."""
        self.value.value = None
        self.note.value = ""

    def assumption(self) -> Assumption:
        """The assumption the fields state; `InputError` naming the field when one is missing
        or does not fit."""
        if self.value.value is None:
            raise InputError(
                "is empty: give the size of the change", table="assumption", column="value"
            )
        level = str(self.level.value or "")
        if level != "total" and not self.target.value:
            raise InputError(f"is empty: choose the {level}", table="assumption", column="target")

        def month(text: str | None) -> date | None:
            return pd.Timestamp(text).date() if text else None

        try:
            return Assumption(
                kind=AssumptionKind(self.kind.value),
                target_level=level,
                target="" if level == "total" else str(self.target.value),
                period_from=month(self.start.value),
                period_to=month(self.end.value),
                value=float(self.value.value),
                unit=str(self.unit.value),
                note=str(self.note.value or "").strip(),
            )
        except ValidationError as error:
            first = error.errors()[0]
            column = ".".join(str(p) for p in first["loc"]) or None
            raise InputError(first["msg"], table="assumption", column=column) from None
