"""Supply side of the demo company: resources, routings, capacity calendars, workforce, lanes.

Usage per unit is drawn in realistic ranges (a hose takes one to two minutes on an extruder); the
base capacity of each resource is then sized from the expected load over the plan horizon, so the
plan is tight but mostly feasible: two resources are genuine bottlenecks in the garden peak.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from oneplan.demo.columns import frame
from oneplan.demo.history import month_of_year
from oneplan.demo.master import (
    HOSES,
    LOCATION_CODES,
    NORTH,
    SOUTH,
    SPRINKLERS,
    Catalogue,
    FloatArray,
    IntArray,
    month_start,
)


@dataclass(frozen=True)
class Resource:
    """A machine, labour pool or supplier and how tight it is meant to be in the peak."""

    code: str
    name: str
    kind: str  # machine, labour or supplier
    location: int
    # Expected load / capacity: in the busiest month of the horizon for machines and
    # suppliers; on average over the horizon for crews, who are staffed on permanent contracts
    # for level production (the season is built ahead and met with overtime).
    load_target: float
    overtime_share: float  # overtime hours as a share of base hours (machines)


LEVEL_CREW_LOAD = 1.0
RESOURCES = (
    Resource("EXT-N1", "Extrusion line 1 (reinforced hose)", "machine", NORTH, 1.10, 0.15),
    Resource("EXT-N2", "Extrusion line 2", "machine", NORTH, 0.88, 0.15),
    Resource("INJ-N1", "Injection press N1 (800 t)", "machine", NORTH, 0.85, 0.10),
    Resource("PACK-N", "Packing line North", "machine", NORTH, 0.80, 0.20),
    Resource("CREW-N", "Production crew North", "labour", NORTH, LEVEL_CREW_LOAD, 0.0),
    Resource("INJ-S1", "Injection press S1 (350 t)", "machine", SOUTH, 0.88, 0.10),
    Resource("INJ-S2", "Injection press S2 (500 t)", "machine", SOUTH, 0.85, 0.10),
    Resource("ASM-S", "Sprinkler assembly line", "machine", SOUTH, 0.92, 0.20),
    Resource("PACK-S", "Packing line South", "machine", SOUTH, 0.80, 0.20),
    Resource("CREW-S", "Production crew South", "labour", SOUTH, LEVEL_CREW_LOAD, 0.0),
    Resource("SUP-BRASS", "Brass fittings supplier (sets)", "supplier", NORTH, 0.85, 0.0),
    Resource("SUP-VALVE", "Solenoid valve supplier", "supplier", SOUTH, 1.08, 0.0),
)
RESOURCE_INDEX = {r.code: k for k, r in enumerate(RESOURCES)}
# Labour pools: regular hours per worker per month, wage per hour, overtime hours allowed,
# hiring and layoff cost per worker. Hiring costs about two months' wages (recruiting,
# training, a slow start); a layoff about six (the notice period and severance under German
# employment law), so the plan changes the crew only where that pays.
WORKFORCE = {
    "CREW-N": (160.0, 24.50, 20.0, 8000.0, 24000.0),
    "CREW-S": (152.0, 21.00, 16.0, 6500.0, 19000.0),
}
# Plant-to-DC lanes: (from, lead time in months, cost per unit).
LANES = ((NORTH, 1, 0.45), (SOUTH, 0, 0.30))
MAIN_PLANT_SHARE = 0.7  # share of production at the main plant for items made at both


@dataclass(frozen=True)
class Routings:
    """One row per item x plant x resource, and the share of the item made at that plant."""

    item: IntArray
    plant: IntArray
    resource: IntArray
    usage: FloatArray
    plant_share: FloatArray


def production_split(cat: Catalogue) -> tuple[IntArray, IntArray, FloatArray]:
    """Item x plant pairs where items are made, with the share of the item's volume."""
    items = np.arange(cat.size)
    dual = np.flatnonzero(cat.second_plant >= 0)
    item = np.concatenate([items, dual])
    plant = np.concatenate([cat.plant, cat.second_plant[dual]])
    share = np.ones(len(item))
    share[dual] = MAIN_PLANT_SHARE
    share[cat.size :] = 1.0 - MAIN_PLANT_SHARE
    order = np.lexsort((plant, item))
    return item[order], plant[order], share[order]


def build_routings(rng: np.random.Generator, cat: Catalogue) -> Routings:
    """Each made item uses a primary machine, the packing line, the plant's crew and, where it
    has the critical component, units from the supplier."""
    item, plant, share = production_split(cat)
    n = len(item)
    fam = cat.family[item]
    r = RESOURCE_INDEX
    north = plant == NORTH
    coin = rng.random(n) < 0.5
    machine = np.where(
        fam == HOSES,
        np.where(coin, r["EXT-N1"], r["EXT-N2"]),
        np.where(north, r["INJ-N1"], np.where(coin, r["INJ-S1"], r["INJ-S2"])),
    )
    machine_hours = np.select(
        [fam == HOSES, fam == SPRINKLERS],
        [rng.uniform(0.010, 0.028, n), rng.uniform(0.004, 0.012, n)],
        rng.uniform(0.008, 0.025, n),
    )
    rows_item = [item, item, item]
    rows_plant = [plant, plant, plant]
    rows_resource = [
        machine,
        np.where(north, r["PACK-N"], r["PACK-S"]),
        np.where(north, r["CREW-N"], r["CREW-S"]),
    ]
    rows_usage = [machine_hours, rng.uniform(0.003, 0.008, n), rng.uniform(0.02, 0.05, n)]
    rows_share = [share, share, share]

    assembled = fam == SPRINKLERS
    brass = (fam == HOSES) & cat.uses_component[item]
    valve = assembled & cat.uses_component[item]
    extras = (
        (assembled, r["ASM-S"], rng.uniform(0.010, 0.030, n)),
        (brass, r["SUP-BRASS"], rng.choice(np.array([1.0, 2.0]), n)),
        (valve, r["SUP-VALVE"], np.ones(n)),
    )
    for mask, resource, usage in extras:
        rows_item.append(item[mask])
        rows_plant.append(plant[mask])
        rows_resource.append(np.full(int(mask.sum()), resource))
        rows_usage.append(usage[mask])
        rows_share.append(share[mask])
    routing_item = np.concatenate(rows_item)
    routing_plant = np.concatenate(rows_plant)
    routing_resource = np.concatenate(rows_resource).astype(np.int64)
    order = np.lexsort((routing_resource, routing_plant, routing_item))
    return Routings(
        item=routing_item[order],
        plant=routing_plant[order],
        resource=routing_resource[order],
        usage=np.round(np.concatenate(rows_usage)[order], 4).astype(np.float64),
        plant_share=np.concatenate(rows_share)[order],
    )


def calendar_factors(start: pd.Timestamp, months: int) -> tuple[FloatArray, list[list[str]]]:
    """Capacity factor per resource and horizon month, and the reason for each change.

    `start` is the plan start. Plants close for part of August and a week at Christmas; press
    INJ-S2 is overhauled in the plan's third month; the brass supplier slows for Lunar New Year;
    the valve supplier closes at year end; extrusion line 2 runs weekend shifts in the season.
    """
    moy = month_of_year(start, months)
    factor = np.ones((len(RESOURCES), months))
    note = [[""] * months for _ in RESOURCES]

    def change(code: str, when: IntArray, value: float, why: str) -> None:
        k = RESOURCE_INDEX[code]
        factor[k, when] = value
        for m in when:
            note[k][m] = why

    for res in RESOURCES:
        if res.kind != "supplier":
            change(res.code, np.flatnonzero(moy == 7), 0.7, "summer holidays (three weeks)")
            change(res.code, np.flatnonzero(moy == 11), 0.78, "Christmas shutdown week")
    change("INJ-S2", np.array([min(2, months - 1)]), 0.3, "planned overhaul of the press")
    change("EXT-N2", np.flatnonzero(np.isin(moy, (3, 4, 5))), 1.15, "weekend shift in season")
    change("SUP-BRASS", np.flatnonzero(moy == 1), 0.7, "supplier slows for Lunar New Year")
    change("SUP-VALVE", np.flatnonzero(moy == 11), 0.6, "supplier's year-end shutdown")
    return factor, note


def supply_tables(
    routings: Routings,
    item_demand: FloatArray,
    cat: Catalogue,
    plan_start: pd.Timestamp,
) -> dict[str, pd.DataFrame]:
    """resources, resource_capacity, routings, workforce and lanes, with capacities sized from
    `item_demand` (items x horizon months, expected units including events)."""
    months = item_demand.shape[1]
    use = sparse.csr_matrix(
        (routings.usage * routings.plant_share, (routings.resource, routings.item)),
        shape=(len(RESOURCES), cat.size),
    )
    load = np.asarray(use @ item_demand)
    factor, note = calendar_factors(plan_start, months)
    target = np.array([r.load_target for r in RESOURCES])
    # A planned overhaul is planned around (pre-build, the other press), not sized for.
    ordinary = np.where(factor >= 0.6, load / factor, 0.0)
    is_crew = np.array([r.kind == "labour" for r in RESOURCES])
    needed = np.where(is_crew, ordinary.mean(axis=1), ordinary.max(axis=1)) / target
    is_supplier = np.array([r.kind == "supplier" for r in RESOURCES])
    step = np.where(is_supplier, 100.0, 10.0)
    base = np.maximum(np.ceil(needed / step) * step, step)

    codes = [r.code for r in RESOURCES]
    hours_per_worker = np.array([WORKFORCE[c][0] if c in WORKFORCE else 0.0 for c in codes])
    is_labour = hours_per_worker > 0
    # A crew has the whole workers its level load keeps busy; the rest is overtime or built ahead.
    crew = np.maximum(np.floor(needed / np.maximum(hours_per_worker, 1.0)), 1.0)
    headcount = np.where(is_labour, crew, 0.0)
    base = np.where(is_labour, headcount * hours_per_worker, base)
    overtime_limit = np.array([WORKFORCE[c][2] if c in WORKFORCE else 0.0 for c in codes])
    overtime = np.where(
        is_labour,
        headcount * overtime_limit,
        np.round(base * np.array([r.overtime_share for r in RESOURCES]), 0),
    )
    resources = frame(
        "resources",
        {
            "code": codes,
            "name": [r.name for r in RESOURCES],
            "kind": [r.kind for r in RESOURCES],
            "location": LOCATION_CODES[[r.location for r in RESOURCES]],
            "capacity_uom": np.where(is_supplier, "units", "hours"),
            "capacity_per_period": base,
            "overtime_per_period": overtime,
        },
    )
    k, m = np.nonzero(factor != 1.0)
    capacity = frame(
        "resource_capacity",
        {
            "resource": np.array(codes, dtype=object)[k],
            "period": month_start(plan_start, m.astype(float)),
            "capacity": np.round(base[k] * factor[k, m], 0),
            "note": [note[a][b] for a, b in zip(k, m, strict=True)],
        },
    )
    routing = frame(
        "routings",
        {
            "item": cat.code[routings.item],
            "location": LOCATION_CODES[routings.plant],
            "resource": np.array(codes, dtype=object)[routings.resource],
            "usage_per_unit": routings.usage,
        },
    )
    labour = [c for c in codes if c in WORKFORCE]
    crew = headcount[is_labour]
    wage = np.array([WORKFORCE[c][1] for c in labour])
    workforce = frame(
        "workforce",
        {
            "resource": labour,
            "headcount": crew,
            "hours_per_worker": [WORKFORCE[c][0] for c in labour],
            "regular_wage": wage,
            "overtime_wage": wage * 1.5,
            "overtime_limit_per_worker": [WORKFORCE[c][2] for c in labour],
            "hiring_cost": [WORKFORCE[c][3] for c in labour],
            "layoff_cost": [WORKFORCE[c][4] for c in labour],
            "min_headcount": np.floor(crew * 0.75),
            "max_headcount": np.ceil(crew * 1.3),
        },
    )
    lanes = frame(
        "lanes",
        {
            "from_location": LOCATION_CODES[[lane[0] for lane in LANES]],
            "to_location": "DC-CENTRAL",
            "lead_time_periods": [lane[1] for lane in LANES],
            "cost_per_unit": [lane[2] for lane in LANES],
        },
    )
    return {
        "resources": resources,
        "resource_capacity": capacity,
        "routings": routing,
        "workforce": workforce,
        "lanes": lanes,
    }
