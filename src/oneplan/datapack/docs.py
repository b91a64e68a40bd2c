"""The published description of the data package, generated from the schema.

`render_markdown` gives docs/data-package.md for people; `frictionless_descriptor` gives
docs/datapackage.json, a Frictionless Data Package with Table Schemas for tools.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from oneplan.datapack.cells import FALSE_WORDS, PROBLEMS_PER_CHECK, TRUE_WORDS, default_text
from oneplan.datapack.read_csv import BLOCK_BYTES
from oneplan.datapack.safety import GIB, MIB, ReadLimits
from oneplan.datapack.schema import ColumnSchema, PackageSchema, TableSchema, package_schema
from oneplan.datapack.validate import FEW_MISSING_REFERENCES
from oneplan.engines.frames import LARGEST_AMOUNT

_LIMITS = ReadLimits()

INTRODUCTION = f"""\
# The oneplan data package

The data package is oneplan's open exchange format: one long table per kind of planning data
(items, locations, sales history, resources, costs, ...). What an ERP exports, oneplan imports;
what oneplan holds, it exports the same way. This page is generated from the database models,
the single source of truth for the format; `datapackage.json` next to it describes the same
tables as a [Frictionless Data Package](https://datapackage.org/) for tools.

## Formats

A package comes in one of three forms, all holding the same tables and columns:

- **a folder of CSV files**, one `<table>.csv` per table (`items.csv`, `sales_history.csv`);
- **a folder of Parquet files**, one `<table>.parquet` per table;
- **one xlsx workbook**, one sheet per table, the sheet named after the table.

Only the tables you have need to be present, but a package holds at least one: an empty folder,
or a workbook without a sheet named after a table, is refused, never imported as nothing.
Files and sheets whose names start with `_` or `.`, and a `datapackage.json`, are ignored (room
for notes). In a folder, any other file or folder is a problem (an unknown table is most often a
misspelt file name). In a workbook, any other sheet (notes, a pivot table) is left out with a
warning that names it, and the table it may have meant when its name is close to one; the
package is read without it. The first row holds the column names; columns may come in any
order; an unknown column is a problem. A row whose cells are all empty is ignored.

The files of a package folder must be plain files: a symbolic link is refused, never followed
(it could point at any file on the server); copy the file into the folder instead.

CSV files are UTF-8 text (a byte order mark is allowed), comma separated, with double quotes
around values that need them (RFC 4180). oneplan writes every text value in quotes and numbers
and dates without. A file saved with semicolons between its cells, as spreadsheet programs do in
much of Europe, is recognised by its header and refused with that hint: save it as CSV with
commas (often called "CSV UTF-8"). A cell that holds a NUL byte or text that is not UTF-8, a row
with more or fewer cells than the header, and a quote that never closes are problems naming the
row (and the column where there is one); the header row and each row must be shorter than
{BLOCK_BYTES // MIB} MiB.

## Values

- **text**: any characters except control characters (tab and line breaks are fine). A carriage
  return is read as a line break.
- **number**: a decimal number such as `12`, `-3.5` or `1e6`; no thousands separators.
  oneplan writes the shortest form that reads back exactly (`12`, not `12.0`). Every number
  lies between -10^12 and 10^12 (`1e12`): no real quantity, price or cost is larger, and a
  typing slip such as `1e308` is refused with its row instead of planned.
- **integer**: a whole number.
- **date**: ISO `YYYY-MM-DD`. A monthly column (`period`, `valid_from`, ...) holds the first
  day of the month, e.g. `2027-03-01`; `2027-03` is accepted too. In a workbook, a date cell
  works as well as text. Supported years: 1678 to 2261.
- **boolean**: {" / ".join(TRUE_WORDS)} or {" / ".join(FALSE_WORDS)} (any case).
- **missing**: an empty cell. A required column may not be empty. A column with a default
  takes the default when the column is absent or the cell is empty.

## Keys and references

Every table has a natural key (one or more columns, marked *key* below): no two rows of a
table may share it. A column that refers to another table (marked `->`) must hold a key of that
table, given either in the same package or already in oneplan's database. So a package may
carry only the tables that changed, e.g. just `sales_history.csv` for a new month.

Some tables carry row rules: *exactly one of* a group of columns must be given, or one column
must not come before another (an end after its start).

## Text that looks like a formula

A spreadsheet program runs a cell that starts with `=`, `+`, `-` or `@` as a formula, which a
malicious value (`=HYPERLINK(...)`) can abuse. So when oneplan writes a CSV file, a text value
that starts with `=`, `+`, `-`, `@`, a tab, a carriage return or a single quote `'` gets one extra
`'` in front: `=SUM(A1)` is written `'=SUM(A1)`, `'quoted` is written `''quoted`. When oneplan
reads a CSV file, a value that starts with `'` followed by one of those characters loses that
first `'`; any other value is read as it stands. So a round trip is exact, and a value typed by
hand as `'=x` is read as `=x`. Numbers are never quoted: `-5` in a number column is a number.
Workbooks store text as text cells, never as formulas, and need no quote. When reading a
workbook, oneplan uses the results saved with formulas and never evaluates them; a formula
without a saved result is a problem.

## Importing

An import checks the whole package before anything is stored and reports every problem at once,
each naming the file (or sheet), the row (the header is row 1, the first data row is row 2) and
the column, quoting the offending value; at most {PROBLEMS_PER_CHECK} rows are listed per column
and check, followed by a count of the rest. A message quotes at most 60 characters of what a file
holds, with control characters and bytes that are not UTF-8 escaped (`\\x1b`, `\\xe9`). A
reference that finds nothing is listed row by row while a column has at most
{FEW_MISSING_REFERENCES} of them; beyond that, or when the table it refers to could not be read at
all, one problem per referring column gives the count and the first few values, so that one
refused items file is one cause, not a problem in every table that names an item. Warnings (a
workbook's sheet left out) are shown with the result and never refuse a package. An import is
all or nothing: one problem and nothing changes.

A valid package is stored as an upsert by natural key: a row whose key already exists is
updated, a row with a new key is added, so importing the same package twice changes nothing the
second time, not even the rows' provenance. An import deletes nothing unless asked: a row that
is in the database but not in the package stays, except in the snapshot tables named with
`oneplan import PATH --replace TABLE` (open orders, inventory...: tables no other table refers
to), whose rows the package does not hold are deleted in the same transaction and counted.
Every stored row records the import that wrote it last and who created and last changed it,
and when. Exporting, importing and exporting again gives
identical CSV and Parquet files (rows sorted by key, columns in the order below).

Uploaded files are opened with care: a file larger than {_LIMITS.max_file_bytes // GIB} GiB, a
file whose content is not what its name says (a binary file named `.csv`, a `.parquet` without
the Parquet signature, an `.xlsx` that is not a zip archive), and a workbook that would inflate
beyond {_LIMITS.max_uncompressed_bytes // GIB} GiB, holds more than {_LIMITS.max_members} parts
or compresses a large part more than {_LIMITS.max_compression_ratio:g} to 1 (a zip bomb) are
refused with a problem naming the file. A workbook is read part by part and trusts none of
them: a sheet whose part is missing, lies outside the workbook or is damaged is a problem
naming the sheet and the part; a part that declares a DTD is refused (a workbook never needs
one, and its entities could expand without bound); and a workbook whose cells would hold more
than {_LIMITS.max_text_bytes // MIB} MiB of text (a shared text counts each time a cell shows
it) or more than {_LIMITS.max_cells:,} cells is refused before it is expanded, so reading any
workbook these limits let through stays under 1 GiB of memory.
"""


PERFORMANCE = """\
## Performance

Measured with `bench/datapack_validate.py` on a 2-core machine that was running other work at
the same time (so these are upper bounds): a sales history of one million rows (item, location,
month, quantity, revenue), references checked against 17,000 known items.

| step | rows | seconds | peak memory (MiB) |
|---|---:|---:|---:|
| write CSV | 1,000,000 | 1.0 | 391 |
| read CSV | 1,000,000 | 0.2 | 391 |
| validate (CSV cells) | 1,000,000 | 1.4 | 633 |
| write Parquet | 1,000,000 | 0.7 | 692 |
| read Parquet | 1,000,000 | 0.5 | 696 |
| validate (Parquet cells) | 1,000,000 | 1.5 | 855 |
| validate, every tenth quantity not a number | 1,000,000 | 1.8 | 917 |
| write xlsx | 50,000 | 4.1 | 917 |
| read xlsx | 50,000 | 1.4 | 917 |

With every tenth quantity broken, the 100,000 bad cells give 21 problems: the first 20 rows and
a count of the rest. Workbooks are written cell by cell (openpyxl) and read by a streaming XML
parser, a sheet at about 40,000 rows a second (see
[performance.md](performance.md#reading-workbooks)), so prefer CSV or Parquet for large tables;
an xlsx sheet holds at most 1,048,575 data rows.
"""


def _escape(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _number(value: float) -> str:
    """Whole bounds in full (`2147483647`), others in their shortest form (`0.5`)."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _type_label(col: ColumnSchema) -> str:
    return "date (month start)" if col.monthly else col.type


def _constraints(col: ColumnSchema) -> str:
    parts = []
    if col.key:
        parts.append("key")
    if col.reference:
        parts.append(f"-> {col.reference[0]}.{col.reference[1]}")
    for bound, sign in ((col.min, ">="), (col.gt, ">"), (col.max, "<="), (col.lt, "<")):
        if bound is not None and abs(bound) != LARGEST_AMOUNT:  # said once, for every number
            parts.append(f"{sign} {_number(bound)}")
    if col.max_length is not None:
        parts.append(f"at most {col.max_length} characters")
    if col.choices:
        parts.append("one of " + ", ".join(f"`{c}`" for c in col.choices))
    return "; ".join(parts)


def _table_markdown(table: TableSchema) -> str:
    lines = [f"### {table.name}", ""]
    if table.doc:
        lines += [_escape(table.doc), ""]
    lines.append(f"- File `{table.name}.csv` or `{table.name}.parquet`, sheet `{table.name}`.")
    if table.key:
        lines.append("- Key: " + ", ".join(f"`{k}`" for k in table.key) + ".")
    references = [c for c in table.columns if c.reference]
    if references:
        shown = ", ".join(f"`{c.name}` -> `{c.reference[0]}`" for c in references if c.reference)
        lines.append(f"- References: {shown}.")
    for group in table.one_of:
        lines.append("- Exactly one of " + ", ".join(f"`{c}`" for c in group) + " per row.")
    for earlier, later in table.ordered:
        lines.append(f"- `{later}` may not come before `{earlier}`.")
    lines += [
        "",
        "| column | type | required | constraints | default | unit | description | example |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for col in table.columns:
        default = "" if col.default is None else f"`{default_text(col.default)}`"
        example = "" if col.example is None else f"`{_escape(col.example)}`"
        cells = [
            f"`{col.name}`",
            _type_label(col),
            "yes" if col.required else "",
            _escape(_constraints(col)),
            default,
            _escape(col.unit or ""),
            _escape(col.doc),
            example,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def render_markdown(schema: PackageSchema | None = None) -> str:
    """docs/data-package.md: the introduction, then every table with its columns.

    >>> from oneplan.datapack.schema import ColumnSchema, TableSchema
    >>> code = ColumnSchema("code", "string", required=True, key=True)
    >>> t = TableSchema("families", "Product families.", (code,), ("code",))
    >>> "| `code` | string | yes | key |" in render_markdown(PackageSchema((t,)))
    True
    """
    schema = schema if schema is not None else package_schema()
    parts = [
        INTRODUCTION,
        "## Tables\n",
        "Tables are listed parents first, the order an import follows.\n",
    ]
    parts += [_table_markdown(t) for t in schema.tables]
    parts.append(PERFORMANCE)
    return "\n".join(parts)


def _field(col: ColumnSchema) -> dict[str, Any]:
    field: dict[str, Any] = {"name": col.name, "type": col.type}
    sentences = [col.doc.strip().rstrip(".") + "." if col.doc.strip() else ""]
    if col.monthly:
        sentences.append("First day of a month (YYYY-MM is accepted).")
    if col.unit:
        sentences.append(f"Unit: {col.unit}.")
    if col.default is not None:
        sentences.append(f"Default: {default_text(col.default)}.")
    description = " ".join(s for s in sentences if s)
    if description:
        field["description"] = description
    if col.type == "boolean":
        field["trueValues"] = list(TRUE_WORDS)
        field["falseValues"] = list(FALSE_WORDS)
    if col.example is not None:
        field["example"] = col.example
    constraints: dict[str, Any] = {}
    if col.required and col.default is None:
        constraints["required"] = True
    for bound, name in (
        (col.min, "minimum"),
        (col.max, "maximum"),
        (col.gt, "exclusiveMinimum"),
        (col.lt, "exclusiveMaximum"),
    ):
        if bound is not None:
            constraints[name] = int(bound) if col.type == "integer" else bound
    if col.max_length is not None:
        constraints["maxLength"] = col.max_length
    if col.choices is not None:
        constraints["enum"] = list(col.choices)
    if constraints:
        field["constraints"] = constraints
    return field


def _resource(table: TableSchema) -> dict[str, Any]:
    foreign_keys = [
        {
            "fields": col.name,
            # the Table Schema spelling of a reference to the same resource is ""
            "reference": {
                "resource": "" if col.reference[0] == table.name else col.reference[0],
                "fields": col.reference[1],
            },
        }
        for col in table.columns
        if col.reference is not None
    ]
    table_schema: dict[str, Any] = {
        "fields": [_field(c) for c in table.columns],
        "missingValues": [""],
    }
    if table.key:
        table_schema["primaryKey"] = list(table.key)
    if foreign_keys:
        table_schema["foreignKeys"] = foreign_keys
    resource: dict[str, Any] = {
        "name": table.name,
        "path": f"{table.name}.csv",
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
    }
    if table.doc:
        resource["description"] = " ".join(table.doc.split())
    resource["dialect"] = {"delimiter": ",", "header": True, "doubleQuote": True}
    resource["schema"] = table_schema
    return resource


def frictionless_descriptor(schema: PackageSchema | None = None) -> dict[str, Any]:
    """docs/datapackage.json: a Frictionless tabular data package describing the CSV form.

    >>> from oneplan.datapack.schema import ColumnSchema, TableSchema
    >>> t = TableSchema("families", "", (ColumnSchema("code", "string", True, True),), ("code",))
    >>> frictionless_descriptor(PackageSchema((t,)))["resources"][0]["schema"]["primaryKey"]
    ['code']
    """
    schema = schema if schema is not None else package_schema()
    return {
        "profile": "tabular-data-package",
        "name": "oneplan-data-package",
        "title": "oneplan S&OP data package",
        "description": "Planning data exchanged with oneplan; see data-package.md.",
        "licenses": [{"name": "Apache-2.0", "path": "https://www.apache.org/licenses/LICENSE-2.0"}],
        "resources": [_resource(t) for t in schema.tables],
    }


def write_docs(docs_dir: str | Path = "docs", schema: PackageSchema | None = None) -> list[Path]:
    """Write data-package.md and datapackage.json into `docs_dir`; return their paths."""
    schema = schema if schema is not None else package_schema()
    folder = Path(docs_dir)
    folder.mkdir(parents=True, exist_ok=True)
    markdown = folder / "data-package.md"
    markdown.write_text(render_markdown(schema), encoding="utf-8")
    descriptor = folder / "datapackage.json"
    text = json.dumps(frictionless_descriptor(schema), indent=2, ensure_ascii=False) + "\n"
    descriptor.write_text(text, encoding="utf-8")
    return [markdown, descriptor]
