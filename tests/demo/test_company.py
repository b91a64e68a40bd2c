"""The demo company is a valid, deterministic, believable data package.

The expected columns, keys and references below are written out from the package's table contract
on purpose, not imported from the code under test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from oneplan.datapack import load_package, write_package
from oneplan.demo import build_demo_company

CONTRACT = {
    "parameters": "name value",
    "locations": "code name kind region",
    "families": "code name category",
    "items": "code description uom family lifecycle_status launch_date end_date like_item",
    "launches": "item like_item scale ramp_up_periods",
    "customers": "code name channel region",
    "sales_history": "item location period quantity revenue",
    "inventory": "item location on_hand as_of",
    "customer_orders": "order_line customer item location quantity order_date requested_date",
    "production_actuals": "item location period quantity",
    "resources": "code name kind location capacity_uom capacity_per_period overtime_per_period",
    "resource_capacity": "resource period capacity note",
    "routings": "item location resource usage_per_unit",
    "lanes": "from_location to_location lead_time_periods cost_per_unit",
    "workforce": "resource headcount hours_per_worker regular_wage overtime_wage "
    "overtime_limit_per_worker hiring_cost layoff_cost min_headcount max_headcount",
    "item_costs": "item location valid_from material_cost labour_cost overhead_cost holding_cost "
    "backlog_cost lost_sales_cost subcontract_cost subcontract_limit",
    "prices": "item channel valid_from price rebate",
    "inventory_policies": "item location method service_level days_of_supply safety_stock "
    "min_inventory max_inventory lead_time_periods max_backlog_periods ending_inventory",
    "budgets": "family period volume revenue margin",
    "demand_events": "code kind item family location start_period end_period uplift_pct "
    "uplift_quantity description",
    "demand": "item location period quantity",
}
KEYS = {
    "parameters": ["name"],
    "locations": ["code"],
    "families": ["code"],
    "items": ["code"],
    "launches": ["item"],
    "customers": ["code"],
    "sales_history": ["item", "location", "period"],
    "inventory": ["item", "location"],
    "customer_orders": ["order_line"],
    "production_actuals": ["item", "location", "period"],
    "resources": ["code"],
    "resource_capacity": ["resource", "period"],
    "routings": ["item", "location", "resource"],
    "lanes": ["from_location", "to_location"],
    "workforce": ["resource"],
    "item_costs": ["item", "location", "valid_from"],
    "prices": ["item", "channel", "valid_from"],
    "inventory_policies": ["item", "location"],
    "budgets": ["family", "period"],
    "demand_events": ["code"],
    "demand": ["item", "location", "period"],
}
# (table, column) -> referenced table (its single-column key)
REFERENCES = {
    ("items", "family"): "families",
    ("items", "like_item"): "items",
    ("launches", "item"): "items",
    ("launches", "like_item"): "items",
    ("resources", "location"): "locations",
    ("resource_capacity", "resource"): "resources",
    ("workforce", "resource"): "resources",
    ("lanes", "from_location"): "locations",
    ("lanes", "to_location"): "locations",
    ("budgets", "family"): "families",
    ("demand_events", "item"): "items",
    ("demand_events", "family"): "families",
    ("demand_events", "location"): "locations",
    ("customer_orders", "customer"): "customers",
    **{
        (table, column): target
        for table in [
            "sales_history",
            "inventory",
            "customer_orders",
            "production_actuals",
            "routings",
            "item_costs",
            "inventory_policies",
            "demand",
        ]
        for column, target in [("item", "items"), ("location", "locations")]
    },
    ("routings", "resource"): "resources",
    ("prices", "item"): "items",
}
NON_NEGATIVE = {
    "sales_history": ["quantity", "revenue"],
    "inventory": ["on_hand"],
    "production_actuals": ["quantity"],
    "resources": ["capacity_per_period", "overtime_per_period"],
    "resource_capacity": ["capacity"],
    "lanes": ["lead_time_periods", "cost_per_unit"],
    "workforce": CONTRACT["workforce"].split()[1:],
    "item_costs": CONTRACT["item_costs"].split()[3:],
    "prices": ["price"],
    "budgets": ["volume", "revenue"],
    "inventory_policies": ["safety_stock", "min_inventory", "max_inventory", "lead_time_periods"],
}
PLAN_START = pd.Timestamp("2027-01-01")


@pytest.fixture(scope="module")
def company() -> dict[str, pd.DataFrame]:
    return build_demo_company()


def test_same_seed_gives_identical_tables_and_another_seed_differs() -> None:
    first, again = build_demo_company(items=60, seed=3), build_demo_company(items=60, seed=3)
    for name, table in first.items():
        pd.testing.assert_frame_equal(table, again[name])
    other = build_demo_company(items=60, seed=4)
    assert not first["sales_history"].equals(other["sales_history"])
    assert not first["resources"].equals(other["resources"])


def test_every_table_has_exactly_the_contract_columns(company: dict[str, pd.DataFrame]) -> None:
    assert set(company) == set(CONTRACT)
    for name, columns in CONTRACT.items():
        assert list(company[name].columns) == columns.split(), name


def test_natural_keys_are_unique_and_complete(company: dict[str, pd.DataFrame]) -> None:
    for name, key in KEYS.items():
        table = company[name]
        assert not table.duplicated(key).any(), name
        assert table[key].notna().all().all(), name


def test_every_reference_resolves(company: dict[str, pd.DataFrame]) -> None:
    for (table, column), target in REFERENCES.items():
        values = company[table][column].dropna()
        known = set(company[target][KEYS[target][0]])
        missing = set(values) - known
        assert not missing, f"{table}.{column}: {sorted(missing)[:5]}"


def test_quantities_and_money_are_never_negative(company: dict[str, pd.DataFrame]) -> None:
    for table, columns in NON_NEGATIVE.items():
        values = company[table][columns].to_numpy(dtype=float)
        assert (np.nan_to_num(values) >= 0).all(), table
    assert (company["customer_orders"]["quantity"] > 0).all()
    assert (company["routings"]["usage_per_unit"] > 0).all()
    assert (company["launches"]["scale"] > 0).all()
    assert (company["launches"]["ramp_up_periods"] >= 0).all()


def test_choices_and_month_starts_follow_the_contract(company: dict[str, pd.DataFrame]) -> None:
    items = company["items"]
    assert set(items["lifecycle_status"]) == {"active", "new", "phase_out", "obsolete"}
    assert set(company["resources"]["kind"]) == {"machine", "labour", "supplier"}
    assert set(company["locations"]["kind"]) <= {"plant", "distribution_centre", "warehouse"}
    assert set(company["demand_events"]["kind"]) == {"promotion", "one_time_event"}
    policies = company["inventory_policies"]
    assert set(policies["method"]) == {"service_level", "days_of_supply", "fixed"}
    levels = policies["service_level"].dropna()
    assert levels.between(0.90, 0.98).all()
    monthly = [
        ("sales_history", "period"),
        ("production_actuals", "period"),
        ("resource_capacity", "period"),
        ("budgets", "period"),
        ("item_costs", "valid_from"),
        ("prices", "valid_from"),
        ("demand_events", "start_period"),
        ("demand_events", "end_period"),
        ("items", "launch_date"),
    ]
    for table, column in monthly:
        dates = company[table][column].dropna()
        assert (dates.dt.day == 1).all(), f"{table}.{column}"
    events = company["demand_events"]
    assert (events["item"].notna() ^ events["family"].notna()).all()
    assert (events["uplift_pct"].notna() ^ events["uplift_quantity"].notna()).all()
    assert (events["start_period"] <= events["end_period"]).all()
    both = policies.dropna(subset=["min_inventory", "max_inventory"])
    assert (both["min_inventory"] <= both["max_inventory"]).all()
    workforce = company["workforce"]
    assert (workforce["min_headcount"] <= workforce["headcount"]).all()
    assert (workforce["headcount"] <= workforce["max_headcount"]).all()


def test_parameters_and_history_span(company: dict[str, pd.DataFrame]) -> None:
    parameters = company["parameters"].set_index("name")["value"]
    assert parameters["plan_start"] == "2027-01-01"
    assert parameters["horizon_periods"] == "18"
    assert parameters["currency"] == "EUR"
    periods = company["sales_history"]["period"]
    assert periods.min() == pd.Timestamp("2023-01-01")
    assert periods.max() == pd.Timestamp("2026-12-01")
    assert periods.nunique() == 48
    assert (company["inventory"]["as_of"] == pd.Timestamp("2026-12-31")).all()
    assert company["demand"].empty


def test_garden_sells_in_summer_and_storage_does_not(company: dict[str, pd.DataFrame]) -> None:
    sales = company["sales_history"].merge(
        company["items"][["code", "family"]], left_on="item", right_on="code"
    )
    month = sales["period"].dt.month
    summer = sales[month.isin([5, 6, 7])].groupby("family")["quantity"].sum() / 3
    winter = sales[month.isin([11, 12, 1, 2])].groupby("family")["quantity"].sum() / 4
    ratio = summer / winter
    assert ratio["HOS"] > 2.0
    assert ratio["SPR"] > 2.0
    assert 0.6 < ratio["STO"] < 1.4


def test_some_item_locations_sell_intermittently(company: dict[str, pd.DataFrame]) -> None:
    sales = company["sales_history"]
    months = sales["period"].dt.year * 12 + sales["period"].dt.month
    grouped = months.groupby([sales["item"], sales["location"]])
    # Average demand interval over the months the series was alive; zero months are absent rows.
    adi = (grouped.max() - grouped.min() + 1) / grouped.size()
    assert (adi > 1.32).mean() >= 0.10
    assert (adi <= 1.32).mean() >= 0.6


def test_lifecycle_shows_in_the_history(company: dict[str, pd.DataFrame]) -> None:
    items = company["items"].set_index("code")
    sales = company["sales_history"]
    first_sale = sales.groupby("item")["period"].min()
    last_sale = sales.groupby("item")["period"].max()

    new = items[items["lifecycle_status"] == "new"]
    assert len(new) >= 2
    assert new["like_item"].notna().all()
    assert set(new.index) == set(company["launches"]["item"])
    assert (
        new["launch_date"]
        .between(PLAN_START - pd.DateOffset(months=6), PLAN_START + pd.DateOffset(months=12))
        .all()
    )
    launched = new[new["launch_date"] < PLAN_START]
    assert (first_sale.reindex(launched.index) >= launched["launch_date"]).all()
    assert not set(new[new["launch_date"] >= PLAN_START].index) & set(first_sale.index)

    ending = items[items["lifecycle_status"] == "phase_out"]
    assert len(ending) >= 2
    assert ending["end_date"].between(PLAN_START, PLAN_START + pd.DateOffset(months=12)).all()

    obsolete = items[items["lifecycle_status"] == "obsolete"]
    assert len(obsolete) >= 1
    assert (obsolete["end_date"] < PLAN_START).all()
    assert (last_sale.reindex(obsolete.index) <= obsolete["end_date"]).all()


def test_past_promotions_show_as_spikes(company: dict[str, pd.DataFrame]) -> None:
    events = company["demand_events"]
    past = events[(events["end_period"] < PLAN_START) & events["item"].notna()]
    future = events[events["start_period"] >= PLAN_START]
    assert len(past) >= 4
    assert len(future) >= 2
    sales = company["sales_history"]
    ratios = []
    for event in past.itertuples():
        mine = sales[sales["item"] == event.item]
        if isinstance(event.location, str):
            mine = mine[mine["location"] == event.location]
        first, last = pd.Timestamp(str(event.start_period)), pd.Timestamp(str(event.end_period))
        in_event = mine["period"].between(first, last)
        event_months = set(mine.loc[in_event, "period"].dt.month)
        same_months = mine[~in_event & mine["period"].dt.month.isin(event_months)]
        ratios.append(mine.loc[in_event, "quantity"].mean() / same_months["quantity"].mean())
    assert np.median(ratios) > 1.15


def test_gross_margin_is_believable(company: dict[str, pd.DataFrame]) -> None:
    costs = company["item_costs"]
    current = costs[costs["valid_from"] <= PLAN_START - pd.DateOffset(months=1)]
    unit_cost = (
        current[["material_cost", "labour_cost", "overhead_cost"]]
        .sum(axis=1)
        .groupby(current["item"])
        .min()
    )
    sales = company["sales_history"]
    cost = (sales["quantity"] * sales["item"].map(unit_cost)).sum()
    margin = 1.0 - cost / sales["revenue"].sum()
    assert 0.20 < margin < 0.45


def in_force(rows: pd.DataFrame, keys: list[str], months: pd.DatetimeIndex) -> pd.DataFrame:
    """Each key's row in force in each month: the latest valid_from on or before it, else its
    first row."""
    found = []
    for month in months:
        dated = rows.sort_values("valid_from")
        before = dated[dated["valid_from"] <= month].groupby(keys).tail(1)
        first = dated.groupby(keys).head(1)
        rest = first.merge(before[keys], on=keys, how="left", indicator=True)
        rest = rest[rest["_merge"] == "left_only"].drop(columns="_merge")
        found.append(pd.concat([before, rest]).assign(month=month))
    return pd.concat(found, ignore_index=True)


def test_a_lost_sale_costs_its_margin_and_goodwill_and_more_than_making_it(
    company: dict[str, pd.DataFrame],
) -> None:
    """In every plan month, after the sprinkler price rise and the hose material rise too:
    losing a sale costs at least the margin it would have earned plus a tenth of the price
    in goodwill, and more than the whole standard cost of making the unit."""
    months = pd.date_range(PLAN_START, periods=18, freq="MS")
    costs = in_force(company["item_costs"], ["item", "location"], months)
    prices = company["prices"][company["prices"]["channel"] == "all"]
    price = in_force(prices, ["item"], months)[["item", "month", "price"]]
    both = costs.merge(price, on=["item", "month"])
    assert (
        len(both)
        == len(costs)
        == 18 * company["item_costs"][["item", "location"]].drop_duplicates().shape[0]
    )
    standard = both[["material_cost", "labour_cost", "overhead_cost"]].sum(axis=1)
    margin_and_goodwill = both["price"] - standard + 0.1 * both["price"]
    assert (both["lost_sales_cost"] >= margin_and_goodwill - 0.01).all()
    assert (both["lost_sales_cost"] > standard).all()
    # the sprinklers' new price list is followed: the dearer price is lost
    rise = both[
        both["item"].str.startswith("SPR") & (both["month"] >= PLAN_START + pd.DateOffset(months=2))
    ]
    assert len(rise) and (rise["lost_sales_cost"] >= 1.1 * rise["price"] - 0.01).all()


def test_overtime_hiring_and_layoffs_cost_real_money(company: dict[str, pd.DataFrame]) -> None:
    parameters = company["parameters"].set_index("name")["value"]
    assert float(parameters["machine_overtime_cost"]) > 0
    crew = company["workforce"]
    month_of_wages = crew["regular_wage"] * crew["hours_per_worker"]
    assert (crew["overtime_wage"] > crew["regular_wage"]).all()
    assert (crew["hiring_cost"] >= month_of_wages).all()
    assert (crew["layoff_cost"] >= 3 * month_of_wages).all()
    subcontracted = company["item_costs"].dropna(subset=["subcontract_cost"])
    standard = subcontracted[["material_cost", "labour_cost", "overhead_cost"]].sum(axis=1)
    assert (subcontracted["subcontract_cost"] > standard).all()


def test_capacity_is_tight_in_the_peak_but_not_everywhere(company: dict[str, pd.DataFrame]) -> None:
    made = company["production_actuals"].merge(company["routings"], on=["item", "location"])
    made["month"] = made["period"].dt.month
    load = (
        (made["quantity"] * made["usage_per_unit"]).groupby([made["resource"], made["month"]]).sum()
    )
    capacity = company["resources"].set_index("code")["capacity_per_period"]
    calendar = company["resource_capacity"]
    assert {8, 12} <= set(calendar["period"].dt.month)
    assert calendar["period"].min() >= PLAN_START
    reduced = calendar["capacity"] / capacity.reindex(calendar["resource"]).to_numpy()
    assert reduced.min() < 0.5  # a machine down for maintenance
    assert reduced.max() > 1.0  # an extra shift
    utilisation = load / capacity.reindex(load.index.get_level_values(0)).to_numpy()
    assert utilisation.max() > 0.9
    assert utilisation.median() < 0.85


def test_labour_capacity_matches_the_workforce(company: dict[str, pd.DataFrame]) -> None:
    workforce = company["workforce"].set_index("resource")
    resources = company["resources"].set_index("code")
    hours = workforce["headcount"] * workforce["hours_per_worker"]
    np.testing.assert_allclose(resources.loc[hours.index, "capacity_per_period"], hours)
    assert set(resources.index[resources["kind"] == "labour"]) == set(workforce.index)
    assert workforce["hours_per_worker"].between(140, 180).all()


def test_inventory_covers_about_a_month_and_orders_are_near_term(
    company: dict[str, pd.DataFrame],
) -> None:
    sales = company["sales_history"]
    last_year = sales[sales["period"] >= PLAN_START - pd.DateOffset(months=12)]
    months_of_stock = company["inventory"]["on_hand"].sum() / (last_year["quantity"].sum() / 12)
    assert 0.5 < months_of_stock < 2.0
    requested = company["customer_orders"]["requested_date"]
    backlog = (requested < PLAN_START).mean()
    assert 0 < backlog < 0.2
    assert (requested < PLAN_START + pd.DateOffset(months=3)).all()
    orders = company["customer_orders"]
    assert (orders["order_date"] <= orders["requested_date"]).all()
    assert (orders["order_date"] < PLAN_START).all()


def test_budget_is_close_to_last_year_but_not_equal(company: dict[str, pd.DataFrame]) -> None:
    budgets = company["budgets"]
    assert len(budgets) == 36
    assert budgets["period"].min() == PLAN_START
    sales = company["sales_history"].merge(
        company["items"][["code", "family"]], left_on="item", right_on="code"
    )
    last_year = sales[sales["period"] >= PLAN_START - pd.DateOffset(months=12)]
    volume = last_year.groupby("family")["quantity"].sum()
    budget = budgets.groupby("family")["volume"].sum()
    growth = budget / volume
    assert growth.between(0.9, 1.25).all()
    assert not np.allclose(growth, growth.iloc[0])
    margin_rate = budgets["margin"].sum() / budgets["revenue"].sum()
    assert 0.20 < margin_rate < 0.45


def test_more_items_scale_the_history_proportionally(company: dict[str, pd.DataFrame]) -> None:
    large = build_demo_company(items=2000)
    assert len(large["items"]) == 2000
    assert large["items"]["code"].is_unique
    rows_per_item = len(large["sales_history"]) / 2000
    default_rows_per_item = len(company["sales_history"]) / len(company["items"])
    assert 0.75 < rows_per_item / default_rows_per_item < 1.33
    assert len(large["resources"]) == len(company["resources"])


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"items": 5}, "items"),
        ({"history_months": 12}, "history_months"),
        ({"start": "2023-01-15"}, "start"),
        ({"start": "not a date"}, "start"),
    ],
)
def test_bad_arguments_are_refused_with_the_argument_named(
    arguments: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        build_demo_company(**arguments)


def test_other_start_and_history_length_shift_the_plan() -> None:
    tables = build_demo_company(items=40, start="2020-07-01", history_months=30)
    parameters = tables["parameters"].set_index("name")["value"]
    assert parameters["plan_start"] == "2023-01-01"
    assert tables["sales_history"]["period"].nunique() == 30
    assert tables["budgets"]["period"].min() == pd.Timestamp("2023-01-01")


def test_the_package_validator_accepts_the_company(
    company: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    write_package(company, tmp_path / "demo", "csv")
    loaded = load_package(tmp_path / "demo")
    assert {name: len(frame) for name, frame in loaded.items()} == {
        name: len(frame) for name, frame in company.items()
    }
    assert loaded["sales_history"]["quantity"].sum() == company["sales_history"]["quantity"].sum()
