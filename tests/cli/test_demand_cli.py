"""The demand commands end to end through Typer: forecast a file, run, show, override, grid."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from oneplan.cli import common
from oneplan.cli.demand import register
from oneplan.config import get_settings
from oneplan.db.session import unit_of_work
from oneplan.engines.demand import forecast
from oneplan.services.data.service import import_package, read_package_files
from oneplan.services.demand.grid import GRID_SHEET, _write_workbook
from oneplan.services.demand.overrides import list_overrides
from oneplan.services.demand.service import demand_version

runner = CliRunner()
app = typer.Typer(no_args_is_help=True)
register(app)


def _series(n_series: int = 3, months: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    ds = pd.date_range("2024-01-01", periods=months, freq="MS")
    frames = [
        pd.DataFrame(
            {
                "unique_id": f"S{k}",
                "ds": ds,
                "y": 50
                + 10 * k
                + 8 * np.sin(np.arange(months) * 2 * np.pi / 3)
                + rng.normal(0, 1, months),
            }
        )
        for k in range(n_series)
    ]
    return pd.concat(frames, ignore_index=True)


def test_forecast_a_csv_into_csv_and_parquet(tmp_path: Path) -> None:
    history = _series()
    source = tmp_path / "history.csv"
    history.to_csv(source, index=False)
    out = tmp_path / "out" / "forecast.csv"
    args = ["forecast", str(source), "--horizon", "4", "--season-length", "3", "--level", "80"]
    result = runner.invoke(app, [*args, "--output", str(out)])
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out, parse_dates=["ds"])
    assert list(written.columns) == [
        "unique_id",
        "ds",
        "forecast",
        "forecast-lo-80",
        "forecast-hi-80",
    ]
    assert len(written) == 12
    assert written["ds"].min() == pd.Timestamp("2026-07-01")
    assert (written["forecast-lo-80"] <= written["forecast"]).all()
    assert (written["forecast"] <= written["forecast-hi-80"]).all()
    direct = forecast(history, 4, season_length=3, levels=(80,)).forecast
    np.testing.assert_allclose(written["forecast"], direct["forecast"], rtol=1e-9)

    parquet = tmp_path / "forecast.parquet"
    result = runner.invoke(app, [*args, "--level", "95", "--output", str(parquet)])
    assert result.exit_code == 0, result.output
    assert {"forecast-lo-95", "forecast-hi-95"} <= set(pd.read_parquet(parquet).columns)


def test_forecast_fast_fits_the_cheaper_models(tmp_path: Path) -> None:
    history = _series()
    source = tmp_path / "history.csv"
    history.to_csv(source, index=False)
    out = tmp_path / "fast.csv"
    args = ["forecast", str(source), "--horizon", "3", "--season-length", "3", "--fast"]
    result = runner.invoke(app, [*args, "--output", str(out)])
    assert result.exit_code == 0, result.output
    direct = forecast(history, 3, season_length=3, fast=True).forecast
    np.testing.assert_allclose(pd.read_csv(out)["forecast"], direct["forecast"], rtol=1e-9)
    regular = forecast(history, 3, season_length=3).forecast
    assert not np.allclose(direct["forecast"], regular["forecast"])


def test_forecast_starts_each_series_after_its_own_end_and_warns_of_old_ends(
    tmp_path: Path,
) -> None:
    history = _series()
    # S0 stopped two years before the others: forecast from its own end, and said so.
    history = history[(history["unique_id"] != "S0") | (history["ds"] < "2024-07-01")]
    source = tmp_path / "history.csv"
    history.to_csv(source, index=False)
    out = tmp_path / "forecast.csv"
    args = ["forecast", str(source), "--horizon", "2", "--season-length", "3"]
    result = runner.invoke(app, [*args, "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning: history.csv, column ds: 1 of 3 series end more than 3 periods" in " ".join(
        result.output.split()
    )
    assert "'S0' (2024-06-01)" in result.output
    written = pd.read_csv(out, parse_dates=["ds"])
    starts = written.groupby("unique_id")["ds"].min().dt.strftime("%Y-%m").to_dict()
    assert starts == {"S0": "2024-07", "S1": "2026-07", "S2": "2026-07"}


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("unique_id,ds,units\nA,2026-01-01,3\n", "column y"),
        ("unique_id,ds,y\nA,2026-01-01,lots\nA,2026-02-01,3\n", "column y: has 1 non-numeric"),
        ("unique_id,ds,y\nA,someday,3\n", "column ds: has 1 value(s) that are not dates"),
    ],
)
def test_forecast_names_the_bad_column(tmp_path: Path, content: str, named: str) -> None:
    source = tmp_path / "bad.csv"
    source.write_text(content)
    result = runner.invoke(
        app, ["forecast", str(source), "--horizon", "2", "--output", str(tmp_path / "o.csv")]
    )
    assert result.exit_code == 2
    assert named in result.output
    assert not (tmp_path / "o.csv").exists()


def test_forecast_refuses_an_unknown_output_format(tmp_path: Path) -> None:
    source = tmp_path / "history.csv"
    _series(1).to_csv(source, index=False)
    result = runner.invoke(
        app, ["forecast", str(source), "--horizon", "2", "--output", str(tmp_path / "o.txt")]
    )
    assert result.exit_code == 2
    assert ".csv or .parquet" in result.output


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory, demo_csv: Path) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("cli") / "demand.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ONEPLAN_DATABASE_URL", f"sqlite:///{path}")
        patch.setenv("ONEPLAN_USER", "planner")
        get_settings.cache_clear()
        files = read_package_files(demo_csv, get_settings())
        with unit_of_work(common.database()) as session:
            import_package(session, common.local_actor(), files)
        result = runner.invoke(app, ["demand", "run", "--horizon", "4"])
        assert result.exit_code == 0, result.output
        yield path
    get_settings.cache_clear()


def _newest_consensus() -> pd.DataFrame:
    with unit_of_work(common.database(), write=False) as session:
        return demand_version(session, common.local_actor(), None, ["consensus"])[1]["consensus"]


def test_show_lists_consensus_by_level(database: Path) -> None:
    result = runner.invoke(app, ["demand", "show", "--level", "family"])
    assert result.exit_code == 0, result.output
    assert "Demand plan version #1" in result.output
    for family in ("HOS", "SPR", "STO"):
        assert family in result.output
    result = runner.invoke(app, ["demand", "show", "--level", "total", "--version", "1"])
    assert result.exit_code == 0 and "total" in result.output
    missing = runner.invoke(app, ["demand", "show", "--version", "99"])
    assert missing.exit_code == 3


def test_override_command_records_and_validates(database: Path) -> None:
    ok = runner.invoke(
        app,
        ["demand", "override", "--level", "family", "--member", "SPR", "--period", "2027-02",
         "--change-pct", "20", "--reason", "spring campaign"],
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "recorded" in ok.output
    both = runner.invoke(
        app,
        ["demand", "override", "--level", "total", "--period", "2027-02", "--set", "5",
         "--change-pct", "3", "--reason", "x"],
    )  # fmt: skip
    assert both.exit_code == 2 and "exactly one" in both.output
    unknown = runner.invoke(
        app,
        ["demand", "override", "--level", "item", "--member", "NOPE", "--period", "2027-02",
         "--set", "5", "--reason", "x"],
    )  # fmt: skip
    assert unknown.exit_code == 2 and "column member" in unknown.output
    before = _newest_consensus()
    result = runner.invoke(app, ["demand", "run", "--horizon", "4"])
    assert result.exit_code == 0, result.output
    after = _newest_consensus()
    spr = (after["item"].str.startswith("SPR")) & (after["period"] == pd.Timestamp("2027-02-01"))
    assert after.loc[spr, "quantity"].sum() == pytest.approx(
        before.loc[spr, "quantity"].sum() * 1.2
    )


def test_an_override_is_listed_withdrawn_and_no_longer_applied(database: Path) -> None:
    recorded = runner.invoke(
        app,
        ["demand", "override", "--level", "family", "--member", "SPR", "--period", "2027-04",
         "--change-pct", "20", "--reason", "late spring"],
    )  # fmt: skip
    assert recorded.exit_code == 0, recorded.output
    listed = runner.invoke(app, ["demand", "overrides"])
    assert listed.exit_code == 0, listed.output
    assert "late spring" in listed.output and "+20%" in listed.output
    with unit_of_work(common.database(), write=False) as session:
        found = list_overrides(session, common.local_actor()).items
    number = str(next(o.id for o in found if o.reason == "late spring"))
    before = runner.invoke(app, ["demand", "run", "--horizon", "4"])
    assert before.exit_code == 0, before.output
    with_override = _newest_consensus()
    withdrawn = runner.invoke(app, ["demand", "withdraw", number, "--reason", "called off"])
    assert withdrawn.exit_code == 0, withdrawn.output
    assert "withdrawn" in withdrawn.output
    again = runner.invoke(app, ["demand", "withdraw", number])
    assert again.exit_code == 4 and "withdrawn already" in again.output
    assert "late spring" not in runner.invoke(app, ["demand", "overrides"]).output
    assert "late spring" in runner.invoke(app, ["demand", "overrides", "--withdrawn"]).output
    assert runner.invoke(app, ["demand", "run", "--horizon", "4"]).exit_code == 0
    without = _newest_consensus()
    spr = (without["item"].str.startswith("SPR")) & (without["period"] == pd.Timestamp("2027-04"))
    assert without.loc[spr, "quantity"].sum() == pytest.approx(
        with_override.loc[spr, "quantity"].sum() / 1.2
    )


def test_grid_round_trip_turns_edits_into_overrides(database: Path, tmp_path: Path) -> None:
    grid = tmp_path / "grid.xlsx"
    result = runner.invoke(app, ["demand", "export", str(grid)])
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(grid)
    sheet = workbook[GRID_SHEET]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["item", "location", "description", "family"]
    assert header[4:] == ["2027-01", "2027-02", "2027-03", "2027-04"]
    consensus = _newest_consensus()
    assert sheet.max_row - 1 == len(consensus[["item", "location"]].drop_duplicates())
    item, location = sheet.cell(2, 1).value, sheet.cell(2, 2).value
    sheet.cell(2, 7).value = 1234.5  # 2027-03
    workbook.save(grid)

    result = runner.invoke(app, ["demand", "import-grid", str(grid)])
    assert result.exit_code == 0, result.output
    assert "1 override" in result.output
    assert runner.invoke(app, ["demand", "run", "--horizon", "4"]).exit_code == 0
    after = _newest_consensus()
    cell = after[
        (after["item"] == item)
        & (after["location"] == location)
        & (after["period"] == pd.Timestamp("2027-03-01"))
    ]
    assert cell["quantity"].iloc[0] == pytest.approx(1234.5)

    # an unchanged grid records nothing
    again = tmp_path / "again.xlsx"
    assert runner.invoke(app, ["demand", "export", str(again)]).exit_code == 0
    result = runner.invoke(app, ["demand", "import-grid", str(again)])
    assert result.exit_code == 0 and "no cell differs" in result.output


def test_a_bad_grid_names_sheet_row_and_column_and_changes_nothing(
    database: Path, tmp_path: Path
) -> None:
    grid = tmp_path / "bad.xlsx"
    assert runner.invoke(app, ["demand", "export", str(grid)]).exit_code == 0
    workbook = openpyxl.load_workbook(grid)
    sheet = workbook[GRID_SHEET]
    sheet.cell(3, 5).value = "lots"
    sheet.cell(4, 6).value = -3
    sheet.cell(5, 7).value = 10.0  # a good edit, refused with the rest
    sheet.cell(6, 5).value = "=A1*2"
    workbook.save(grid)
    before = _newest_consensus()
    result = runner.invoke(app, ["demand", "import-grid", str(grid)])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "bad.xlsx, sheet demand, row 3, column 2027-01" in text
    assert "row 4, column 2027-02" in text
    assert "row 6, column 2027-01: '=A1*2' is a formula" in text
    assert runner.invoke(app, ["demand", "run", "--horizon", "4"]).exit_code == 0
    pd.testing.assert_series_equal(_newest_consensus()["quantity"], before["quantity"])


def test_grid_text_never_becomes_a_formula(tmp_path: Path) -> None:
    grid = pd.DataFrame(
        {"item": ["=HYPERLINK(\"x\")"], "location": ["L"], "description": ["+1"], "family": ["F"],
         "2027-01": [3.0]}
    )  # fmt: skip
    path = tmp_path / "safe.xlsx"
    _write_workbook(grid, {"version": 1}, path)
    cell = openpyxl.load_workbook(path)[GRID_SHEET].cell(2, 1)
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("x")'


def test_show_splits_months_that_do_not_fit_the_terminal(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common.console, "width", 52)
    result = runner.invoke(app, ["demand", "show", "--months", "18", "--level", "family"])
    assert result.exit_code == 0, result.output
    assert "…" not in result.output
    for month in ("2027-01", "2027-02", "2027-03", "2027-04", "all months", "value EUR"):
        assert month in result.output  # whole headers, never cut
    assert "Consensus units by family (1 of" in result.output
    ruled = [line for line in result.output.splitlines() if line[:1] in "┏┃┡│└"]
    assert max(len(line) for line in ruled) <= 52
    for family in ("HOS", "SPR", "STO"):
        assert result.output.count(family) >= 2  # each table names its rows


def test_override_a_range_of_months_and_a_hint_for_a_near_code(database: Path) -> None:
    base = ["demand", "override", "--level", "family", "--change-pct", "5", "--reason", "fair"]
    result = runner.invoke(
        app, [*base, "--member", "STO", "--period", "2027-02", "--to", "2027-04"]
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "overrides #" in text and "in each month from 2027-02 to 2027-04" in text
    refused = runner.invoke(
        app, [*base, "--member", "STO", "--period", "2027-03", "--to", "2031-01"]
    )
    assert refused.exit_code == 2 and "column to" in refused.output
    lower = runner.invoke(app, [*base, "--member", "sto", "--period", "2027-02"])
    assert lower.exit_code == 2
    assert "'sto' is not a known family; did you mean STO?" in lower.output
