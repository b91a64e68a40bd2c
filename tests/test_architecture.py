"""The layering holds: services own no transaction and read no user from the settings, and the
command line starts without the planning engines (docs/architecture.md). The import-linter
contracts in pyproject.toml check the import graph itself; `make lint` runs them."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import oneplan

SOURCE = Path(oneplan.__file__).parent
#: The names and methods that open, commit or end a transaction.
TRANSACTIONS = {"unit_of_work", "run_phased", "sessionmaker", "commit", "rollback", "begin"}


def python_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "migrations" not in p.parts)


def transaction_calls(path: Path) -> list[str]:
    """Every use of a transaction name in the code (not in docstrings or comments)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        name = None
        if isinstance(node, ast.Name):
            name = node.id
        elif isinstance(node, ast.Attribute):
            name = node.attr
        elif isinstance(node, ast.alias):
            name = node.asname or node.name.rsplit(".", 1)[-1]
        if name in TRANSACTIONS:
            found.append(f"{path.relative_to(SOURCE)}:{getattr(node, 'lineno', '?')}: {name}")
    return found


def test_no_service_opens_a_transaction() -> None:
    found = [use for path in python_files(SOURCE / "services") for use in transaction_calls(path)]
    assert found == []


def test_the_check_sees_a_transaction() -> None:
    assert transaction_calls(SOURCE / "runner.py")  # the runner does open them


def test_the_user_is_read_from_the_settings_in_one_place_only() -> None:
    readers = [
        str(path.relative_to(SOURCE))
        for path in python_files(SOURCE)
        if re.search(r"settings(\(\))?\.user\b", path.read_text())
    ]
    assert readers == ["cli/common.py"]


def test_the_command_line_starts_without_the_planning_libraries() -> None:
    """``oneplan --help`` and the light commands load no engine, solver or frame library;
    bench/startup.py measures how fast they start."""
    heavy = ["pandas", "numpy", "statsforecast", "highspy", "scipy", "sqlalchemy", "alembic"]
    probe = (
        f"import sys, oneplan.cli.main; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""


def _loaded_by(commands: list[list[str]], libraries: list[str], tmp_path: Path) -> list[str]:
    """Which of ``libraries`` the commands load, run in one fresh process on a database that
    holds one scenario (so there is an audit event and a scenario to show)."""
    probe = (
        "import sys\n"
        "from oneplan.cli.main import app\n"
        f"for command in {commands!r}:\n"
        "    try:\n"
        "        app(command)\n"
        "    except SystemExit as end:\n"
        "        assert not end.code, end.code\n"
        f"print('loaded:', ','.join(m for m in {libraries!r} if m in sys.modules))"
    )
    env = {**os.environ, "ONEPLAN_DATABASE_URL": f"sqlite:///{tmp_path / 'oneplan.db'}"}
    oneplan_command = Path(sys.executable).with_name("oneplan")
    subprocess.run([oneplan_command, "scenario", "create", "probe"], env=env, check=True)
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    loaded = done.stdout.strip().rpartition("loaded:")[2].strip()
    return loaded.split(",") if loaded else []


def test_listing_plans_and_the_audit_load_no_frame_library(tmp_path: Path) -> None:
    """`plan list` and `audit` read a few rows: they must not pay for pandas, numpy or scipy."""
    heavy = ["pandas", "numpy", "scipy", "statsforecast", "highspy"]
    assert _loaded_by([["plan", "list"], ["audit"]], heavy, tmp_path) == []


def test_a_scenario_list_loads_no_forecasting_or_chart_library(tmp_path: Path) -> None:
    """`scenario list` reads scenarios: importing one name of the demand engine (the hierarchy's
    id separator, for scope) once loaded statsforecast and cost three seconds."""
    heavy = ["statsforecast", "hierarchicalforecast", "matplotlib"]
    assert _loaded_by([["scenario", "list"]], heavy, tmp_path) == []
