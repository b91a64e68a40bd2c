"""Hierarchy engine: structure, coherent reconciliation and proportional split.

Expected values are recomputed from the input frames with plain pandas, never from the
engine's summing matrix.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oneplan.engines.demand.hierarchy import (
    aggregate_history,
    build_structure,
    disaggregate,
    reconcile,
    split_bottom_id,
)
from oneplan.errors import InputError

ITEMS = pd.DataFrame(
    {
        "item": ["A", "B", "C", "D", "E"],
        "family": ["F1", "F1", "F2", "F3", "F3"],
        "category": ["C1", "C1", "C1", "C2", "C2"],
    }
)
LOCATIONS = pd.DataFrame({"location": ["L1", "L2", "L3"], "region": ["EU", "EU", "US"]})
# Every item everywhere except E at L3: the hierarchy need not be a full cross product.
BOTTOM = ITEMS[["item"]].merge(LOCATIONS[["location"]], how="cross").iloc[:-1]
MONTHS = pd.date_range("2027-01-01", periods=4, freq="MS")
LEVELS = (80, 95)
Z = {80: 1.2815515655446004, 95: 1.959963984540054}


def node_members(structure_levels: list[str]) -> dict[str, set[str]]:
    """Which bottom ids each aggregate node should contain, from the input frames alone."""
    rows = BOTTOM.merge(ITEMS, on="item").merge(LOCATIONS, on="location")
    rows["bottom"] = rows["item"] + "|" + rows["location"]
    keys = {
        "total": lambda r: "total",
        "category": lambda r: f"category:{r.category}",
        "family": lambda r: f"family:{r.family}",
        "item": lambda r: f"item:{r.item}",
        "region": lambda r: f"region:{r.region}",
        "location": lambda r: f"location:{r.location}",
        "region/family": lambda r: f"region:{r.region}|family:{r.family}",
    }
    members: dict[str, set[str]] = {}
    for level in structure_levels:
        for r in rows.itertuples():
            members.setdefault(keys[level](r), set()).add(r.bottom)
    return members


@pytest.fixture(scope="module")
def structure():
    return build_structure(ITEMS, LOCATIONS, BOTTOM)


@pytest.fixture(scope="module")
def history(structure):
    rng = np.random.default_rng(7)
    ds = pd.date_range("2024-01-01", periods=36, freq="MS")
    ids = structure.bottom["unique_id"]
    bottom = pd.DataFrame(
        {"unique_id": np.repeat(ids, len(ds)), "ds": np.tile(ds, len(ids))}
    ).assign(y=rng.gamma(4.0, 25.0, len(ids) * len(ds)))
    every = aggregate_history(bottom, structure)
    every["fitted"] = every["y"] * rng.normal(1.0, 0.15, len(every))
    return every


@pytest.fixture(scope="module")
def base(structure, history):
    """Incoherent base forecasts for every node, with symmetric normal intervals."""
    rng = np.random.default_rng(11)
    level = history.groupby("unique_id", as_index=False)["y"].mean()
    frame = level.merge(pd.DataFrame({"ds": MONTHS}), how="cross")
    frame["forecast"] = frame["y"] * rng.normal(1.0, 0.2, len(frame))
    sigma = 0.1 * frame["forecast"]
    for lv in LEVELS:
        frame[f"forecast-lo-{lv}"] = frame["forecast"] - Z[lv] * sigma
        frame[f"forecast-hi-{lv}"] = frame["forecast"] + Z[lv] * sigma
    return frame.drop(columns="y")


def test_structure_rows_sum_the_right_bottom_series(structure):
    members = node_members(list(structure.tags)[:-1])
    bottom = structure.bottom["unique_id"].to_numpy()
    aggregate = structure.nodes["hierarchy_level"] != "item/location"
    assert aggregate.sum() == len(members)
    for row, node in enumerate(structure.nodes.loc[aggregate, "unique_id"]):
        covered = set(bottom[structure.summing[row].toarray()[0] == 1])
        assert covered == members[node], node
    assert structure.nodes["unique_id"].tail(len(bottom)).tolist() == bottom.tolist()


def test_aggregate_history_matches_pandas_sums(structure, history):
    bottom = history[history["hierarchy_level"] == "item/location"]
    parts = split_bottom_id(bottom["unique_id"]).merge(ITEMS, on="item", how="left")
    expected = bottom.assign(family=parts["family"].to_numpy()).groupby(["family", "ds"])["y"].sum()
    got = history[history["hierarchy_level"] == "family"].set_index(["unique_id", "ds"])["y"]
    for (family, ds), value in expected.items():
        assert got[(f"family:{family}", ds)] == pytest.approx(value)


def assert_coherent(result: pd.DataFrame, structure_levels: list[str]) -> None:
    wide = result.pivot(index="unique_id", columns="ds", values="forecast")
    for node, bottoms in node_members(structure_levels).items():
        np.testing.assert_allclose(wide.loc[node], wide.loc[sorted(bottoms)].sum(), rtol=1e-9)


@pytest.mark.parametrize(
    ("method", "proportions"),
    [
        ("bottom_up", "average_proportions"),
        ("mint_ols", "average_proportions"),
        ("mint_shrink", "average_proportions"),
        ("top_down", "average_proportions"),
        ("top_down", "forecast_proportions"),
    ],
)
def test_every_parent_is_the_sum_of_its_children(structure, history, base, method, proportions):
    result = reconcile(base, history, structure, method=method, proportions=proportions)
    assert len(result) == len(structure.nodes) * len(MONTHS)
    assert_coherent(result, list(structure.tags)[:-1])
    for lv in LEVELS:
        assert (result[f"forecast-lo-{lv}"] <= result["forecast"] + 1e-9).all()
        assert (result[f"forecast-hi-{lv}"] >= result["forecast"] - 1e-9).all()
    assert (result["forecast-lo-80"] >= result["forecast-lo-95"] - 1e-9).all()


def test_bottom_up_keeps_bottom_and_sums_it(structure, history, base):
    result = reconcile(base, None, structure, method="bottom_up").set_index(["unique_id", "ds"])
    given_base = base.set_index(["unique_id", "ds"])
    bottom_ids = structure.bottom["unique_id"]
    bottom_rows = given_base.loc[bottom_ids]
    np.testing.assert_allclose(result.loc[bottom_ids, "forecast"], bottom_rows["forecast"])
    # The bottom's intervals are its own: nothing above changes them.
    np.testing.assert_allclose(
        result.loc[bottom_ids, "forecast-hi-95"], bottom_rows["forecast-hi-95"], rtol=1e-6
    )
    total = bottom_rows["forecast"].groupby("ds").sum()
    np.testing.assert_allclose(result.loc["total", "forecast"], total)
    np.testing.assert_allclose(
        result.loc["total", "base_forecast"], given_base.loc["total", "forecast"]
    )


def test_top_down_reproduces_historical_proportions():
    items = ITEMS.iloc[:3]
    locations = LOCATIONS.iloc[:1]
    structure = build_structure(items, locations, items[["item"]].assign(location="L1"))
    mix = {"A|L1": 0.5, "B|L1": 0.3, "C|L1": 0.2}
    ds = pd.date_range("2025-01-01", periods=12, freq="MS")
    total_sales = np.linspace(100, 200, len(ds))
    history = pd.concat(
        pd.DataFrame({"unique_id": uid, "ds": ds, "y": share * total_sales})
        for uid, share in mix.items()
    )
    base = pd.DataFrame({"unique_id": structure.nodes["unique_id"]}).merge(
        pd.DataFrame({"ds": MONTHS[:2]}), how="cross"
    )
    base["forecast"] = np.arange(len(base), dtype=float) + 10.0  # deliberately incoherent
    total_forecast = base.loc[base["unique_id"] == "total", "forecast"].to_numpy()
    result = reconcile(base, history, structure, method="top_down", levels=())
    for uid, share in mix.items():
        got = result.loc[result["unique_id"] == uid, "forecast"].to_numpy()
        np.testing.assert_allclose(got, share * total_forecast)


def test_top_down_forecast_proportions_splits_level_by_level():
    items = pd.DataFrame(
        {"item": ["A", "B", "C"], "family": ["F1", "F1", "F2"], "category": ["K"] * 3}
    )
    locations = pd.DataFrame({"location": ["L1"], "region": ["R"]})
    structure = build_structure(
        items, locations, items[["item"]].assign(location="L1"), ["total", "family"]
    )
    values = {"total": 100.0, "family:F1": 30.0, "family:F2": 10.0,
              "A|L1": 1.0, "B|L1": 3.0, "C|L1": 0.0}  # fmt: skip
    base = pd.DataFrame(
        {"unique_id": list(values), "ds": MONTHS[0], "forecast": list(values.values())}
    )
    result = reconcile(
        base, None, structure, "top_down", levels=(), proportions="forecast_proportions"
    )
    got = result.set_index("unique_id")["forecast"]
    # Families split 100 as 30:10; F1 splits 75 as 1:3; F2's only child takes all 25.
    assert got["family:F1"] == pytest.approx(75.0)
    assert got["A|L1"] == pytest.approx(18.75)
    assert got["B|L1"] == pytest.approx(56.25)
    assert got["C|L1"] == pytest.approx(25.0)


def test_top_down_intervals_are_the_totals_scaled_by_share(structure, history, base):
    result = reconcile(base, history, structure, method="top_down").set_index(["unique_id", "ds"])
    total_base = base.set_index(["unique_id", "ds"]).loc["total"]
    np.testing.assert_allclose(result.loc["total", "forecast-lo-95"], total_base["forecast-lo-95"])
    node = result.loc["family:F2"]
    share = node["forecast"] / result.loc["total", "forecast"]
    np.testing.assert_allclose(node["forecast-hi-80"], share * total_base["forecast-hi-80"])


def test_mint_ols_matches_the_closed_form():
    items = pd.DataFrame({"item": ["A", "B"], "family": ["F", "F"], "category": ["K", "K"]})
    locations = pd.DataFrame({"location": ["L1"], "region": ["R"]})
    structure = build_structure(items, locations, items[["item"]].assign(location="L1"), ["total"])
    base = pd.DataFrame(
        {"unique_id": ["total", "A|L1", "B|L1"], "ds": MONTHS[0], "forecast": [12.0, 4.0, 5.0]}
    )
    result = reconcile(base, None, structure, method="mint_ols", levels=())
    s = np.array([[1.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    expected = s @ np.linalg.solve(s.T @ s, s.T @ base["forecast"].to_numpy())
    np.testing.assert_allclose(result["forecast"], expected)
    # By hand: the gap of 3 (12 vs 4 + 5) is shared equally by the three nodes.
    np.testing.assert_allclose(expected, [11.0, 5.0, 6.0])


def test_unknown_method_names_the_parameter(structure, base):
    with pytest.raises(InputError, match="column method: 'mint' is not one of") as error:
        reconcile(base, None, structure, method="mint")
    assert (error.value.table, error.value.column) == ("arguments", "method")


def test_mint_shrink_without_history_names_history(structure, base):
    with pytest.raises(InputError, match=r"^history: is needed by method 'mint_shrink'") as error:
        reconcile(base, None, structure, method="mint_shrink")
    assert error.value.table == "history"


def test_missing_node_forecast_is_reported(structure, base):
    with pytest.raises(InputError, match="is missing for node 'family:F2'") as error:
        reconcile(base[base["unique_id"] != "family:F2"], None, structure, method="bottom_up")
    assert (error.value.table, error.value.column) == ("base_forecasts", "forecast")


def test_missing_interval_column_is_reported(structure, base):
    with pytest.raises(InputError, match="column forecast-lo-95: is missing") as error:
        reconcile(base.drop(columns="forecast-lo-95"), None, structure, method="bottom_up")
    assert (error.value.table, error.value.column) == ("base_forecasts", "forecast-lo-95")


def test_unknown_item_in_bottom_is_reported():
    with pytest.raises(InputError, match=r"^bottom, column item: 'Z' is not in items$") as error:
        build_structure(ITEMS, LOCATIONS, pd.DataFrame({"item": ["Z"], "location": ["L1"]}))
    assert (error.value.table, error.value.column) == ("bottom", "item")


def test_family_with_two_categories_is_rejected():
    items = ITEMS.assign(category=["C1", "C2", "C1", "C2", "C2"])
    with pytest.raises(InputError, match="family 'F1' has more than one category") as error:
        build_structure(items, LOCATIONS, BOTTOM)
    assert (error.value.table, error.value.column) == ("items", "category")


def test_disaggregate_splits_in_proportion_and_evenly_when_zero():
    plan = pd.DataFrame(
        {
            "family": ["F1", "F1", "F1", "F2", "F2"],
            "ds": ["m1"] * 5,
            "forecast": [10.0, 30.0, 60.0, 0.0, 0.0],
        }
    )
    change = pd.DataFrame({"family": ["F1", "F2"], "ds": ["m1", "m1"], "change": [-20.0, 9.0]})
    out = disaggregate(change, plan, ["family", "ds"])
    np.testing.assert_allclose(out["change"], [-2.0, -6.0, -12.0, 4.5, 4.5])
    np.testing.assert_allclose(out["forecast"], [8.0, 24.0, 48.0, 4.5, 4.5])


def test_disaggregate_without_keys_splits_the_total():
    plan = pd.DataFrame({"forecast": [1.0, 3.0]})
    out = disaggregate(pd.DataFrame({"change": [8.0]}), plan, [])
    np.testing.assert_allclose(out["forecast"], [3.0, 9.0])


def test_disaggregate_reports_a_node_without_detail():
    plan = pd.DataFrame({"family": ["F1"], "forecast": [1.0]})
    with pytest.raises(
        InputError, match=r"names \{'family': 'F9'\}, which has no detail rows"
    ) as e:
        disaggregate(pd.DataFrame({"family": ["F9"], "change": [1.0]}), plan, ["family"])
    assert e.value.table == "value_frame"


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.one_of(st.just(0.0), st.floats(1e-3, 1e6)), min_size=1, max_size=30),
    groups=st.integers(1, 4),
    change=st.floats(-1e6, 1e6, allow_nan=False),
)
def test_disaggregate_sums_back_and_keeps_the_mix(values, groups, change):
    plan = pd.DataFrame({"node": np.arange(len(values)) % groups, "forecast": values})
    nodes = pd.DataFrame({"node": sorted(plan["node"].unique()), "change": change})
    out = disaggregate(nodes, plan, ["node"])
    before = plan.groupby("node")["forecast"].sum()
    after = out.groupby("node")["forecast"].sum()
    np.testing.assert_allclose(after - before, change, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(out.groupby("node")["change"].sum(), change, rtol=1e-9, atol=1e-6)
    for node, total in before.items():
        rows = plan["node"] == node
        if total > 0:
            # share first, then the change: the other order underflows a tiny change to 0
            np.testing.assert_allclose(
                out.loc[rows, "change"], change * (plan.loc[rows, "forecast"] / total)
            )


def test_dense_methods_refuse_a_structure_above_the_limit(structure, base):
    with pytest.raises(InputError, match="above dense_node_limit=5") as error:
        reconcile(base, None, structure, method="bottom_up", dense_node_limit=5)
    assert error.value.table == "structure"
    # Without intervals bottom-up stays sparse and has no limit.
    result = reconcile(base, None, structure, method="bottom_up", levels=(), dense_node_limit=5)
    assert "forecast-lo-80" not in result.columns


@pytest.mark.filterwarnings("ignore:Replacing negative forecasts with zero")
def test_nonnegative_mint_is_coherent_and_not_negative(structure, history, base):
    negative = base.copy()
    negative.loc[negative["unique_id"] == "A|L1", "forecast"] = -50.0
    result = reconcile(negative, history, structure, method="mint_ols", levels=(), nonnegative=True)
    assert (result["forecast"] >= -1e-6).all()
    assert_coherent(result, list(structure.tags)[:-1])


def test_bootstrap_intervals_need_fitted_values_and_bracket_the_forecast(structure, history, base):
    with pytest.raises(InputError, match="column fitted: is missing") as error:
        reconcile(
            base,
            history.drop(columns="fitted"),
            structure,
            "bottom_up",
            intervals_method="bootstrap",
        )
    assert (error.value.table, error.value.column) == ("history", "fitted")
    result = reconcile(base, history, structure, "mint_shrink", intervals_method="bootstrap")
    assert_coherent(result, list(structure.tags)[:-1])
    assert (result["forecast-hi-95"] > result["forecast-lo-95"]).all()
