"""Check a raw data package against the schema and turn it into typed frames.

Checks, all at once and each naming file, row and column: unknown tables and columns, missing
required columns, empty required cells, types, choices, bounds, duplicate natural keys,
references to keys that exist neither in the package nor in the database, and the table rules
(`one_of`: exactly one of a group given; `ordered`: earlier <= later). Every check works on whole
columns; problems are capped per column and check so a broken million-row file stays readable.

References that find nothing are listed row by row while they are few (`FEW_MISSING_REFERENCES`
per column). More, or any at all into a table the package gives but that could not be read, are
one problem per referring column with a count and examples: one refused items file would
otherwise bury its own problem under a knock-on problem in every table that names an item.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oneplan.datapack.cells import default_text, name_shown, parse_column, quoted, report
from oneplan.datapack.raw import TEXT, RawPackage, RawTable
from oneplan.datapack.read import read_package
from oneplan.datapack.safety import ReadLimits
from oneplan.datapack.schema import PackageSchema, TableSchema, package_schema
from oneplan.errors import Notice, Problem, ValidationFailed

KnownKeys = Mapping[str, Collection[Any]]
#: Up to this many rows of one column whose reference finds nothing are listed one by one.
FEW_MISSING_REFERENCES = 5
_EXAMPLES = 5


def _column_text(frame: pd.DataFrame, name: str) -> pd.Series | None:
    positions = np.flatnonzero(frame.columns == name)
    return frame.iloc[:, positions[0]] if len(positions) else None


def _parse_table(raw: RawTable, table: TableSchema, problems: list[Problem]) -> pd.DataFrame:
    frame, source = raw.frame, raw.source
    expected = ", ".join(table.column_names)
    for name in dict.fromkeys(frame.columns):
        if name and name not in table.column_names:
            problems.append(
                Problem(source, 1, name_shown(name), f"unknown column; expected: {expected}")
            )
    typed: dict[str, pd.Series] = {}
    for col in table.columns:
        text = _column_text(frame, col.name)
        if text is None:
            text = pd.Series(pd.NA, index=frame.index, dtype=TEXT)
            if col.required and col.default is None:
                problems.append(Problem(source, 1, col.name, "required column is missing"))
        elif col.required and col.default is None:
            report(
                problems,
                source,
                col.name,
                text.isna(),
                lambda r: "is empty but required",
                "empty but required",
            )
        if col.default is not None:
            text = text.fillna(default_text(col.default))
        typed[col.name] = parse_column(text, col, source, problems)
    return pd.DataFrame(typed, index=frame.index)


def _raw_values(raw: RawTable, row: int, columns: tuple[str, ...]) -> str:
    values = []
    for name in columns:
        text = _column_text(raw.frame, name)
        values.append(f"{name} {quoted(text[row]) if text is not None else 'empty'}")
    return ", ".join(values)


def _check_key(
    typed: pd.DataFrame, raw: RawTable, table: TableSchema, problems: list[Problem]
) -> None:
    if not table.key:
        return
    key = list(table.key)
    complete = typed[key].notna().all(axis=1)  # a missing key cell is reported on its own
    repeats = typed.duplicated(key, keep="first") & complete
    if not repeats.any():
        return
    clashing = typed.loc[typed.duplicated(key, keep=False) & complete, key]
    group = clashing.groupby(key, sort=False).ngroup()
    first_row = pd.Series(clashing.index, index=clashing.index).groupby(group).transform("min")
    label = ", ".join(table.key)
    report(
        problems,
        raw.source,
        label,
        repeats,
        lambda r: f"repeats the key of row {first_row[r]} ({_raw_values(raw, r, table.key)})",
        "repeating a key given before",
    )


def _check_rules(
    typed: pd.DataFrame, raw: RawTable, table: TableSchema, problems: list[Problem]
) -> None:
    for group in table.one_of:
        given = typed[list(group)].notna().sum(axis=1)
        label = ", ".join(group)

        def exactly_one(row: int, group: tuple[str, ...] = group) -> str:
            shown = tuple(c for c in group if pd.notna(typed.at[row, c]))
            if not shown:
                return f"exactly one of {', '.join(group)} must be given; none is"
            values = _raw_values(raw, row, shown)
            return f"exactly one of {', '.join(group)} must be given, not {values}"

        report(
            problems,
            raw.source,
            label,
            given != 1,
            exactly_one,
            f"breaking 'exactly one of {label}'",
        )
    for earlier, later in table.ordered:
        wrong = typed[earlier].notna() & typed[later].notna() & (typed[later] < typed[earlier])
        word = "before" if table.column(later).type in ("date", "datetime") else "less than"

        def out_of_order(
            row: int, earlier: str = earlier, later: str = later, word: str = word
        ) -> str:
            return (
                f"{_raw_values(raw, row, (later,))} is {word} {_raw_values(raw, row, (earlier,))}"
            )

        report(
            problems,
            raw.source,
            later,
            wrong,
            out_of_order,
            f"with {later} {word} {earlier}",
        )


def _missing_summary(
    text: pd.Series, missing: pd.Series, target: str, raw: RawPackage, known_keys: KnownKeys
) -> str:
    """One problem's words for every row of a column whose reference finds nothing."""
    count = int(missing.sum())
    values = text[missing].drop_duplicates()
    shown = ", ".join(quoted(value) for value in values.iloc[:_EXAMPLES])
    if len(values) > _EXAMPLES:
        shown += f", ... ({len(values):,} different)"
    given = raw.tables[target].source if target in raw.tables else raw.refused.get(target)
    if given is None:
        where = (
            "neither in this package nor in the database"
            if any(known_keys.values())
            else "not in this package (checked alone, without the database)"
        )
    elif target in known_keys:
        where = f"neither in {given} (or were refused there) nor in the database"
    else:
        where = f"not in {given} (or were refused there)"
    rows = "1 row refers" if count == 1 else f"{count:,} rows refer"
    return f"{rows} to {target} that are {where}: {shown}"


def _check_references(
    typed: Mapping[str, pd.DataFrame],
    raw: RawPackage,
    schema: PackageSchema,
    known_keys: KnownKeys,
    problems: list[Problem],
) -> None:
    for table in schema.tables:
        if table.name not in typed:
            continue
        frame, raw_table = typed[table.name], raw.tables[table.name]
        for col in table.columns:
            if col.reference is None:
                continue
            target, target_column = col.reference
            text = _column_text(raw_table.frame, col.name)
            if text is None:
                continue
            allowed = [pd.Series(list(known_keys.get(target, ())), dtype=object)]
            if target in typed:
                allowed.append(typed[target][target_column].dropna().astype(object))
            pool = pd.concat(allowed, ignore_index=True)
            values = frame[col.name]
            missing = values.notna() & ~values.isin(pool)
            count = int(missing.sum())
            if count > FEW_MISSING_REFERENCES or (count and target in raw.refused):
                message = _missing_summary(text, missing, target, raw, known_keys)
                problems.append(Problem(raw_table.source, None, col.name, message))
                continue
            where = f"{target_column} in {target}"

            found = (
                "neither in this package nor in the database"
                if any(known_keys.values())
                else "not in this package, checked alone"
            )

            def dangling(
                row: int, text: pd.Series = text, where: str = where, found: str = found
            ) -> str:
                return f"{quoted(text[row])} is not a {where} ({found})"

            report(
                problems,
                raw_table.source,
                col.name,
                missing,
                dangling,
                f"referring to a missing {where}",
            )


@dataclass
class Validation:
    """What validating a package found: typed frames, the problems that refuse it, and the
    warnings about what was left out (a workbook's notes sheet). Warnings refuse nothing, but a
    user should see them: a sheet named "item" instead of "items" is left out with a warning."""

    frames: dict[str, pd.DataFrame]
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems


def validate_raw(
    raw: RawPackage, schema: PackageSchema | None = None, known_keys: KnownKeys | None = None
) -> Validation:
    """Typed frames of every table in `raw`, every problem (the reader's first) and every
    warning the reader gave.

    `known_keys` maps a table name to the key values the database already holds, so a package may
    refer to them without repeating the table. Frames have exactly the schema's columns in schema
    order, rows in file order with a fresh RangeIndex (typed dtypes: see `oneplan.datapack.cells`).
    Defaults fill absent columns and empty cells. A value with a problem becomes missing.

    >>> from oneplan.datapack.schema import ColumnSchema
    >>> code = ColumnSchema("code", "string", required=True, key=True)
    >>> families = TableSchema("families", "", (code,), ("code",))
    >>> cells = pd.DataFrame({"code": ["F1", "F1"]}, index=[2, 3], dtype=object)
    >>> raw = RawPackage("pack", {"families": RawTable("families", "families.csv", cells)})
    >>> raw.warnings.append(Notice("pack.xlsx, sheet Notes", None, None, "ignored"))
    >>> result = validate_raw(raw, PackageSchema((families,)))
    >>> [str(p) for p in result.problems], [str(w) for w in result.warnings], result.valid
    (['families.csv, row 3, column code: repeats the key of row 2 (code "F1")'], \
['pack.xlsx, sheet Notes: ignored'], False)
    """
    schema = schema if schema is not None else package_schema()
    known_keys = known_keys or {}
    problems = list(raw.problems)
    typed: dict[str, pd.DataFrame] = {}
    for name, raw_table in raw.tables.items():
        if name not in schema:
            problems.append(Problem(raw_table.source, None, None, f"unknown table {name!r}"))
    for table in schema.tables:
        if table.name not in raw.tables:
            continue
        raw_table = raw.tables[table.name]
        frame = _parse_table(raw_table, table, problems)
        _check_key(frame, raw_table, table, problems)
        _check_rules(frame, raw_table, table, problems)
        typed[table.name] = frame
    _check_references(typed, raw, schema, known_keys, problems)
    frames = {name: frame.reset_index(drop=True) for name, frame in typed.items()}
    return Validation(frames, problems, list(raw.warnings))


def validate_package(
    raw: RawPackage, schema: PackageSchema | None = None, known_keys: KnownKeys | None = None
) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Typed frames of every table in `raw`, and every problem (the reader's first); see
    `validate_raw`, which also gives the reader's warnings.

    >>> from oneplan.datapack.schema import ColumnSchema
    >>> code = ColumnSchema("code", "string", required=True, key=True)
    >>> families = TableSchema("families", "", (code,), ("code",))
    >>> cells = pd.DataFrame({"code": ["F1", "F1"]}, index=[2, 3], dtype=object)
    >>> raw = RawPackage("pack", {"families": RawTable("families", "families.csv", cells)})
    >>> frames, problems = validate_package(raw, PackageSchema((families,)))
    >>> [str(p) for p in problems]
    ['families.csv, row 3, column code: repeats the key of row 2 (code "F1")']
    """
    result = validate_raw(raw, schema, known_keys)
    return result.frames, result.problems


def check_package(
    raw: RawPackage, schema: PackageSchema | None = None, known_keys: KnownKeys | None = None
) -> dict[str, pd.DataFrame]:
    """Like `validate_package`, but raise `ValidationFailed` carrying every problem, if any."""
    frames, problems = validate_package(raw, schema, known_keys)
    if problems:
        raise ValidationFailed(problems)
    return frames


def load_package(
    path: str | Path,
    schema: PackageSchema | None = None,
    known_keys: KnownKeys | None = None,
    limits: ReadLimits | None = None,
) -> dict[str, pd.DataFrame]:
    """Read and check the package at `path`; typed frames or `ValidationFailed`."""
    schema = schema if schema is not None else package_schema()
    return check_package(read_package(path, schema, limits), schema, known_keys)
