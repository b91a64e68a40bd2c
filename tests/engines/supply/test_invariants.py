"""Invariants of random plans, recomputed from the input tables and the output frames only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oneplan.engines.supply import SupplyPlan, problem_from_tables, solve_supply

MONTHS = pd.date_range("2027-01-01", periods=6, freq="MS")
TOL = 1e-5


def random_tables(seed: int) -> dict[str, pd.DataFrame]:
    """Items made at two plants on shared machines, a labour pool and a supplier; a
    distribution centre fed by lanes; effective-dated costs; capacity overrides."""
    rng = np.random.default_rng(seed)
    items = [f"I{i}" for i in range(6)]
    plants, dc = ["P1", "P2"], "DC"
    made_at = {i: plants[k % 2] for k, i in enumerate(items)}
    demand = pd.DataFrame(
        [
            (i, loc, m, float(rng.integers(0, 120)))
            for i in items
            for loc in (made_at[i], dc)
            for m in MONTHS
        ],
        columns=["item", "location", "period", "quantity"],
    )
    resources = pd.DataFrame(
        {
            "code": ["M1", "M2", "CREW", "STEEL"],
            "kind": ["machine", "machine", "labour", "supplier"],
            "location": ["P1", "P2", "P1", "P1"],
            "capacity_uom": ["hours", "hours", "hours", "units"],
            "capacity_per_period": [150.0, 120.0, 0.0, 400.0],
            "overtime_per_period": [20.0, 10, 0, 0],
        }
    )
    overrides = pd.DataFrame(
        {"resource": ["M1", "M2"], "period": ["2027-03", "2027-05"], "capacity": [60.0, 0.0]}
    )
    routing_rows = []
    for i in items:
        routing_rows.append(
            (i, made_at[i], "M1" if made_at[i] == "P1" else "M2", float(rng.uniform(0.5, 1.5)))
        )
        if made_at[i] == "P1":
            routing_rows.append((i, "P1", "CREW", float(rng.uniform(0.5, 2.0))))
        routing_rows.append((i, made_at[i], "STEEL", float(rng.uniform(0.5, 1.0))))
    routings = pd.DataFrame(
        routing_rows, columns=["item", "location", "resource", "usage_per_unit"]
    )
    workforce = pd.DataFrame(
        {
            "resource": ["CREW"],
            "headcount": [2.0],
            "hours_per_worker": [100.0],
            "regular_wage": [3.0],
            "overtime_wage": [4.5],
            "overtime_limit_per_worker": [10.0],
            "hiring_cost": [50.0],
            "layoff_cost": [80.0],
            "min_headcount": [1.0],
            "max_headcount": [4.0],
        }
    )
    cost_rows = []
    for i in items:
        for loc in (made_at[i], dc):
            for valid in ("2027-01-01", "2027-04-01"):
                cost_rows.append(
                    (
                        i,
                        loc,
                        valid,
                        *rng.uniform([5, 1, 0, 0.2, 2, 20], [15, 4, 2, 1.0, 6, 40]),
                        float(rng.uniform(20, 35)) if i in ("I0", "I3") else None,
                        30.0 if i == "I0" else None,
                    )
                )
    item_costs = pd.DataFrame(
        cost_rows,
        columns=[
            "item",
            "location",
            "valid_from",
            "material_cost",
            "labour_cost",
            "overhead_cost",
            "holding_cost",
            "backlog_cost",
            "lost_sales_cost",
            "subcontract_cost",
            "subcontract_limit",
        ],
    )
    item_costs.loc[item_costs["item"].isin(["I1", "I4"]), "lost_sales_cost"] = None
    inventory = pd.DataFrame(
        {
            "item": items,
            "location": [made_at[i] for i in items],
            "on_hand": rng.integers(0, 60, 6).astype(float),
        }
    )
    policies = pd.DataFrame(
        {
            "item": items,
            "location": dc,
            "method": "fixed",
            "safety_stock": 10.0,
            "min_inventory": [0.0, 5, 0, 0, 0, 0],
            "max_inventory": [None, None, 200.0, None, None, None],
            "max_backlog_periods": [2, None, None, 1, None, None],
            "ending_inventory": 5.0,
        }
    )
    lanes = pd.DataFrame(
        {
            "from_location": plants,
            "to_location": dc,
            "lead_time_periods": [1, 0],
            "cost_per_unit": [0.7, 1.1],
        }
    )
    orders = pd.DataFrame(
        {
            "order_line": ["o1"],
            "item": ["I2"],
            "location": ["DC"],
            "quantity": [15.0],
            "requested_date": ["2026-12-15"],
        }
    )
    prices = pd.DataFrame(
        {
            "item": items,
            "channel": "all",
            "valid_from": "2027-01-01",
            "price": rng.uniform(30, 60, 6),
        }
    )
    return {
        "demand": demand,
        "resources": resources,
        "resource_capacity": overrides,
        "routings": routings,
        "workforce": workforce,
        "item_costs": item_costs,
        "inventory": inventory,
        "inventory_policies": policies,
        "lanes": lanes,
        "customer_orders": orders,
        "prices": prices,
        "parameters": pd.DataFrame({"name": ["machine_overtime_cost"], "value": ["2.5"]}),
    }


def cost_on(tables: dict[str, pd.DataFrame], column: str) -> pd.DataFrame:
    """item, location, period -> the item_costs value in force (latest valid_from <= period)."""
    costs = tables["item_costs"].assign(valid_from=lambda f: pd.to_datetime(f["valid_from"]))
    rows = []
    for (item, loc), group in costs.groupby(["item", "location"]):
        group = group.sort_values("valid_from")
        for m in MONTHS:
            current = group[group["valid_from"] <= m].iloc[-1]
            rows.append((item, loc, m, current[column]))
    return pd.DataFrame(rows, columns=["item", "location", "period", column])


def check_plan(tables: dict[str, pd.DataFrame], plan: SupplyPlan, objective: str) -> None:
    f = plan.plan.sort_values(["item", "location", "period"]).reset_index(drop=True)
    on_hand = tables["inventory"].set_index(["item", "location"])["on_hand"]
    relax = plan.relaxations

    # Transfers: ship + lead = arrival; arrivals and departures add up per node and month.
    lanes = tables["lanes"].set_index(["from_location", "to_location"])["lead_time_periods"]
    tr = plan.transfers
    for row in tr.itertuples():
        lag = (row.arrival_period.year - row.ship_period.year) * 12 + (
            row.arrival_period.month - row.ship_period.month
        )
        assert lag == lanes[(row.from_location, row.to_location)]
    arr = tr.groupby(["item", "to_location", "arrival_period"])["quantity"].sum()
    dep = tr.groupby(["item", "from_location", "ship_period"])["quantity"].sum()
    for row in f.itertuples():
        assert row.arrivals == pytest.approx(
            arr.get((row.item, row.location, row.period), 0.0), abs=TOL
        )
        assert row.departures == pytest.approx(
            dep.get((row.item, row.location, row.period), 0.0), abs=TOL
        )

    # Inventory balance with backlog, month by month.
    for (item, loc), g in f.groupby(["item", "location"]):
        opening = float(on_hand.get((item, loc), 0.0))
        opening -= 15.0 if (item, loc) == ("I2", "DC") else 0.0
        net = opening
        for row in g.itertuples():
            net += (
                row.production
                + row.subcontract
                + row.arrivals
                - row.departures
                - row.demand
                + row.lost_sales
            )
            assert row.end_inventory - row.backlog == pytest.approx(net, abs=1e-4)
            net = row.end_inventory - row.backlog
            assert row.lost_sales <= row.demand + TOL

    # Machine and supplier capacity, with overrides, overtime and reported relaxations only.
    capacity = {
        (r.code, m): r.capacity_per_period for r in tables["resources"].itertuples() for m in MONTHS
    }
    for r in tables["resource_capacity"].itertuples():
        capacity[(r.resource, pd.Timestamp(r.period + "-01"))] = r.capacity
    load = f.merge(tables["routings"], on=["item", "location"])
    load["hours"] = load["production"] * load["usage_per_unit"]
    hours = load.groupby(["resource", "period"])["hours"].sum()
    util = plan.utilisation.set_index(["resource", "period"])
    relaxed = relax.groupby(["resource", "period"])["relaxed_by"].sum() if len(relax) else {}
    for res in ("M1", "M2", "STEEL"):
        extra = 20.0 if res == "M1" else 10.0 if res == "M2" else 0.0
        for m in MONTHS:
            used = float(hours.get((res, m), 0.0))
            ot = float(util.loc[(res, m), "overtime_used"])
            assert ot <= extra + TOL
            assert used <= capacity[(res, m)] + ot + float(relaxed.get((res, m), 0.0)) + TOL
            assert util.loc[(res, m), "used"] == pytest.approx(used, abs=TOL)

    # Labour pool: hours, overtime limit, headcount flow.
    crew = plan.workforce[plan.workforce["resource"] == "CREW"].set_index("period")
    w_prev = 2.0
    for m in MONTHS:
        row = crew.loc[m]
        relaxed_hours = float(relaxed.get(("CREW", m), 0.0))
        assert (
            float(hours.get(("CREW", m), 0.0))
            <= 100 * row["workforce"] + row["overtime_hours"] + relaxed_hours + TOL
        )
        assert row["overtime_hours"] <= 10 * row["workforce"] + TOL
        assert row["workforce"] == pytest.approx(w_prev + row["hires"] - row["layoffs"], abs=TOL)
        w_prev = row["workforce"]

    # Policies hold unless a relaxation says otherwise.
    policy = tables["inventory_policies"].rename(columns={"safety_stock": "policy_stock"})
    pol = f[f["location"] == "DC"].merge(policy, on=["item", "location"])
    slack = (
        relax.groupby(["constraint", "item", "period"])["relaxed_by"].sum() if len(relax) else {}
    )
    for row in pol.itertuples():
        if row.min_inventory > 0:
            give = float(slack.get(("min_inventory", row.item, row.period), 0.0))
            assert row.end_inventory + give >= row.min_inventory - TOL
        if not np.isnan(row.max_inventory):
            give = float(slack.get(("max_inventory", row.item, row.period), 0.0))
            assert row.end_inventory - give <= row.max_inventory + TOL
        assert row.end_inventory + row.safety_stock_shortfall >= row.policy_stock - TOL

    # Every cost term recomputed from the tables.
    terms = plan.cost_breakdown.set_index("term")["value"]
    per_unit = {
        c: cost_on(tables, c)
        for c in (
            "material_cost",
            "labour_cost",
            "holding_cost",
            "backlog_cost",
            "lost_sales_cost",
            "subcontract_cost",
        )
    }
    keys = ["item", "location", "period"]
    joined = f
    for frame in per_unit.values():
        joined = joined.merge(frame, on=keys, how="left")
    pooled = set(tables["routings"].query("resource == 'CREW'")["item"])
    unit_labour = np.where(joined["item"].isin(pooled), 0.0, joined["labour_cost"])
    expected = {
        "material": (joined["material_cost"] * joined["production"]).sum(),
        "unit_labour": (unit_labour * joined["production"]).sum(),
        "holding": (joined["holding_cost"] * joined["end_inventory"]).sum(),
        "backlog": (joined["backlog_cost"] * joined["backlog"]).sum(),
        "lost_sales": (joined["lost_sales_cost"].fillna(0) * joined["lost_sales"]).sum(),
        "subcontracting": (joined["subcontract_cost"].fillna(0) * joined["subcontract"]).sum(),
        "regular_labour": 300.0 * crew["workforce"].sum(),
        "overtime_labour": 4.5 * crew["overtime_hours"].sum(),
        "hiring": 50.0 * crew["hires"].sum(),
        "layoffs": 80.0 * crew["layoffs"].sum(),
        "machine_overtime": 2.5 * util.loc[["M1", "M2"], "overtime_used"].sum(),
        "transfers": sum(
            q * (0.7 if a == "P1" else 1.1)
            for a, q in zip(tr["from_location"], tr["quantity"], strict=True)
        ),
        "relaxation_penalty": 1e6 * (relax["relaxed_by"].sum() if len(relax) else 0.0),
    }
    # Backlog open at the end counts as lost: lost-sales cost, else (least cost) the price;
    # the margin objective books the price as revenue never earned instead.
    end = joined[joined["period"] == MONTHS[-1]]
    price_of = end["item"].map(tables["prices"].set_index("item")["price"])
    rate = end["lost_sales_cost"].fillna(0.0 if objective == "margin" else price_of)
    expected["unserved_at_horizon_end"] = (rate * end["backlog"]).sum()
    for term, value in expected.items():
        assert terms[term] == pytest.approx(value, rel=1e-7, abs=1e-4), term
    assert (joined["subcontract"][joined["subcontract_cost"].isna()] <= TOL).all()
    assert (joined.loc[joined["item"] == "I0", "subcontract"] <= 30.0 + TOL).all()
    assert (joined["lost_sales"][joined["lost_sales_cost"].isna()] <= TOL).all()
    cost_terms = terms.drop("revenue", errors="ignore")
    assert plan.total_cost == pytest.approx(cost_terms.sum(), rel=1e-9)
    if objective == "cost":
        assert plan.objective_value == pytest.approx(cost_terms.sum(), rel=1e-9)
    else:
        price = tables["prices"].set_index("item")["price"]
        sold = f["demand"] - f["lost_sales"]
        last = f["period"] == MONTHS[-1]
        revenue = (f["item"].map(price) * (sold - np.where(last, f["backlog"], 0.0))).sum()
        assert terms["revenue"] == pytest.approx(revenue, rel=1e-9)
        assert plan.objective_value == pytest.approx(revenue - cost_terms.sum(), rel=1e-9)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("objective", ["cost", "margin"])
def test_random_plans_add_up(seed: int, objective: str) -> None:
    tables = random_tables(seed)
    plan = solve_supply(problem_from_tables(tables, list(MONTHS)), objective=objective)  # type: ignore[arg-type]
    assert plan.status == "optimal"
    check_plan(tables, plan, objective)


def test_integer_workforce_plan_adds_up() -> None:
    tables = random_tables(7)
    plan = solve_supply(problem_from_tables(tables, list(MONTHS)), integer_workforce=True)
    assert plan.status == "optimal"
    w = plan.workforce["workforce"]
    assert np.allclose(w, np.round(w), atol=1e-6)
    check_plan(tables, plan, "cost")


def test_unconstrained_plan_is_never_dearer_and_ignores_capacity() -> None:
    tables = random_tables(4)
    problem = problem_from_tables(tables, list(MONTHS))
    tight = solve_supply(problem)
    free = solve_supply(problem, unconstrained=True)
    assert free.status == "optimal"
    assert free.objective_value <= tight.objective_value + 1e-6
    assert free.relaxations.empty
    from oneplan.engines.supply import capacity_gap

    gap = capacity_gap(tight, free)
    assert len(gap) == len(tight.plan)
    assert gap["unmet_unconstrained"].sum() <= gap["unmet"].sum() + 1e-6


def test_independent_groups_solve_to_the_same_optimum() -> None:
    from oneplan.engines.supply import solve_decomposed
    from oneplan.engines.supply.decompose import components, split

    tables = random_tables(5)
    # Without the shared supplier, plant P1 and plant P2 share nothing (each item's lane
    # starts at its own plant); an unused crew makes a third, item-less piece.
    tables["routings"] = tables["routings"].query("resource != 'STEEL'")
    tables["resources"] = pd.concat(
        [
            tables["resources"],
            pd.DataFrame({"code": ["IDLE"], "kind": ["labour"], "capacity_per_period": [0.0]}),
        ]
    )
    tables["workforce"] = pd.concat(
        [
            tables["workforce"],
            tables["workforce"].assign(resource="IDLE", min_headcount=0.0, headcount=0.0),
        ]
    )
    problem = problem_from_tables(tables, list(MONTHS))
    nodes, _ = components(problem)
    assert len(split(problem)) > 2
    whole = solve_supply(problem)
    parts = solve_decomposed(problem)
    assert parts.status == whole.status == "optimal"
    assert parts.objective_value == pytest.approx(whole.objective_value, rel=1e-9)
    keys = ["item", "location", "period"]
    a = whole.plan.sort_values(keys, ignore_index=True)
    b = parts.plan.sort_values(keys, ignore_index=True)
    assert (a["demand"] == b["demand"]).all()
    assert len(parts.workforce) == len(whole.workforce)
    assert len(set(nodes)) > 1
    check_plan(tables, parts, "cost")
    threaded = solve_decomposed(problem, n_jobs=2)  # the pieces solved side by side
    assert threaded.objective_value == pytest.approx(whole.objective_value, rel=1e-9)
    pd.testing.assert_frame_equal(
        threaded.plan.sort_values(keys, ignore_index=True), b, check_exact=False, atol=1e-6
    )
