"""Peak memory and time of reading large xlsx workbooks, each read in a fresh child process.

    .venv/bin/python bench/xlsx_memory.py                  # every case below
    .venv/bin/python bench/xlsx_memory.py --case sales --rows 1000000 --validate

Cases (workbooks are written straight as XML parts, the way a spreadsheet program saves them:
shared strings for text, date cells with a date style, numbers as numbers):

- ``sales``: one sales_history sheet of ``--rows`` rows (item, location, period, quantity,
  revenue), about 190 bytes of XML per row.
- ``limit``: five tables of 1,048,575 rows each (5.2 million rows, 855 MiB inflated).
- ``limits``: the same with longer codes: 27 million values and 241 MiB of text, near both of
  the reader's own limits (``ReadLimits.max_cells``, ``max_text_bytes``) at once.
- ``wide``: one sheet of 1,048,575 rows and 26 columns, 920 MiB inflated, near the 1 GiB limit:
  about the largest single sheet of ordinary values the limits let through.
- ``shared``: every cell of a 1,048,575-row sheet shows the same 32,767-character shared string:
  9 MiB on disk, 64 GiB of text if it were expanded.
- ``shared-limit``: 8,000 cells showing that string: 250 MiB of text, just under the text limit.
- ``inline``: 10,000 cells of 32,768 random characters as inline text: 312 MiB of text that
  does not compress enough to look like a zip bomb.
- ``cells``: a header of 1,000 named columns over 1,048,575 rows with one value each: a billion
  cells, 52 MiB inflated.

Workbooks are built in a child process and kept in ``--folder`` (default: a temporary folder),
reused when present. Each is read in a fresh child process that reports seconds, its peak
resident memory and what the reader found. The peak is ``ru_maxrss``, which Linux carries over
from the parent across exec: the parent stays small (it never imports oneplan) so that the
figure is the reader's own.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

XLSX_ROWS = 1_048_575  # data rows a sheet holds below its header
CASES = ["sales", "limit", "limits", "wide", "shared", "shared-limit", "inline", "cells"]
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_EXCEL_EPOCH = dt.date(1899, 12, 30)

# A cell: ("s", text) shared string, ("is", text) inline string, ("d", date), ("n", number).
Cell = tuple[str, Any]
Row = list[Cell] | dict[int, Cell]  # every cell, or the filled ones by position


def _column_letter(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class _SharedStrings:
    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        return self.index.setdefault(text, len(self.index))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _sheet_rows(header: list[str], rows: Iterator[Row], strings: _SharedStrings) -> Iterator[str]:
    letters = [_column_letter(n) for n in range(1, len(header) + 1)]
    yield f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}">'
    yield "<sheetData>"
    cells = "".join(
        f'<c r="{c}1" t="s"><v>{strings(h)}</v></c>' for c, h in zip(letters, header, strict=True)
    )
    yield f'<row r="1">{cells}</row>'
    for number, row in enumerate(rows, start=2):
        parts = [f'<row r="{number}">']
        cells = row.items() if isinstance(row, dict) else enumerate(row)
        for position, (kind, value) in cells:
            where = f"{letters[position]}{number}"
            if kind == "s":
                parts.append(f'<c r="{where}" t="s"><v>{strings(value)}</v></c>')
            elif kind == "is":
                parts.append(f'<c r="{where}" t="inlineStr"><is><t>{_escape(value)}</t></is></c>')
            elif kind == "d":
                parts.append(f'<c r="{where}" s="1"><v>{(value - _EXCEL_EPOCH).days}</v></c>')
            else:
                parts.append(f'<c r="{where}"><v>{value!r}</v></c>')
        parts.append("</row>")
        yield "".join(parts)
    yield "</sheetData></worksheet>"


def write_workbook(
    path: Path, sheets: dict[str, tuple[list[str], Callable[[], Iterator[Row]]]]
) -> None:
    """A minimal but complete workbook: content types, relationships, styles, shared strings."""
    strings = _SharedStrings()
    names = list(sheets)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for number, (name, (header, rows)) in enumerate(sheets.items(), start=1):
            with archive.open(f"xl/worksheets/sheet{number}.xml", "w", force_zip64=True) as part:
                buffer: list[str] = []
                buffered = 0
                for piece in _sheet_rows(header, rows(), strings):
                    buffer.append(piece)
                    buffered += len(piece)
                    if buffered >= 1 << 24:
                        part.write("\n".join(buffer).encode())
                        buffer, buffered = [], 0
                part.write("\n".join(buffer).encode())
            print(f"  wrote sheet {name}", file=sys.stderr)
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(f'<sst xmlns="{_MAIN}" uniqueCount="{len(strings.index)}">'.encode())
            for text in strings.index:
                part.write(f"<si><t>{_escape(text)}</t></si>".encode())
            part.write(b"</sst>")
        sheet_entries = "".join(
            f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(names, 1)
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
            f"<sheets>{sheet_entries}</sheets></workbook>",
        )
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(names) + 1)
        )
        extra = len(names)
        rels += (
            f'<Relationship Id="rId{extra + 1}" Type="{_REL}/sharedStrings" '
            'Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId{extra + 2}" Type="{_REL}/styles" Target="styles.xml"/>'
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{_PKG_REL}">{rels}</Relationships>',
        )
        archive.writestr(
            "xl/styles.xml",
            f'<styleSheet xmlns="{_MAIN}"><cellXfs count="2"><xf numFmtId="0"/>'
            '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>',
        )
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        sheet_types = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(names) + 1)
        )
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{sheet_types}</Types>",
        )


def _typed_rows(
    columns: list[tuple[str, str]], rows: int, seed: int, long_codes: bool = False
) -> Iterator[list[Cell]]:
    """Plausible values by column type: codes from a pool of 2,000, month starts, amounts."""
    months = [dt.date(2019 + m // 12, m % 12 + 1, 1) for m in range(60)]
    for number in range(rows):
        row: list[Cell] = []
        for position, (name, kind) in enumerate(columns):
            mixed = number * 7919 + position * 104_729 + seed
            if kind in ("date", "datetime"):
                row.append(("d", months[mixed % 60]))
            elif kind in ("number", "integer"):
                row.append(("n", round((mixed % 100_000) / 7.0, 2)))
            elif kind == "boolean":
                row.append(("n", mixed % 2))
            else:
                prefix, digits = (name.upper(), 8) if long_codes else (name[:3].upper(), 5)
                row.append(("s", f"{prefix}-{mixed % 2000:0{digits}d}"))
        yield row


def _sparse_rows(width: int, rows: int) -> Iterator[dict[int, Cell]]:
    """Rows with one number in their last column; the cells before it are left out."""
    for _ in range(rows):
        yield {width - 1: ("n", 1)}


def _random_text_rows(rows: int) -> Iterator[Row]:
    """Rows of 32,768 characters of base64 text: random bytes, so they barely compress."""
    random = np.random.default_rng(7)
    for number in range(rows):
        yield [("is", f"F{number}"), ("is", base64.b64encode(random.bytes(24_576)).decode())]


def _table(
    name: str, rows: int, seed: int, long_codes: bool = False
) -> tuple[list[str], Callable[[], Iterator[Row]]]:
    from oneplan.datapack import package_schema

    table = package_schema().table(name)
    columns = [(c.name, c.type) for c in table.columns]
    return [c[0] for c in columns], lambda: _typed_rows(columns, rows, seed, long_codes)


def _workbook_path(folder: Path, case: str, rows: int) -> Path:
    return folder / (f"sales-{rows}.xlsx" if case == "sales" else f"{case}.xlsx")


def build(case: str, rows: int, folder: Path) -> Path:
    """Write the workbook of `case` into `folder` (in a child process: see the docstring)."""
    path = _workbook_path(folder, case, rows)
    print(f"building {path.name}", file=sys.stderr)
    long_text = "x" * 32_767
    if case == "sales":
        sheets = {"sales_history": _table("sales_history", rows, 1)}
    elif case in ("limit", "limits"):
        names = ["sales_history", "production_actuals", "inventory", "prices", "demand"]
        sheets = {n: _table(n, XLSX_ROWS, i, case == "limits") for i, n in enumerate(names)}
    elif case == "wide":
        columns = [("item", "string"), ("location", "string"), ("period", "date")]
        columns += [(f"note_{i}", "string" if i % 2 else "number") for i in range(23)]
        sheets = {
            "sales_history": ([c[0] for c in columns], lambda: _typed_rows(columns, XLSX_ROWS, 3))
        }
    elif case in ("shared", "shared-limit"):
        rows = XLSX_ROWS if case == "shared" else 4_000
        sheets = {
            "sales_history": (
                ["item", "location"],
                lambda: ([("s", long_text), ("s", long_text)] for _ in range(rows)),
            )
        }
    elif case == "cells":
        header = [f"column_{i}" for i in range(1000)]
        sheets = {"sales_history": (header, lambda: _sparse_rows(len(header), XLSX_ROWS))}
    elif case == "inline":
        sheets = {"families": (["code", "name"], lambda: _random_text_rows(10_000))}
    else:
        raise SystemExit(f"unknown case {case}")
    write_workbook(path, sheets)
    return path


def measure(path: Path, validate: bool) -> dict[str, Any]:
    """In the child: read (and validate) the workbook; seconds, peak MiB and what was found."""
    from oneplan.datapack import package_schema, read_package, validate_package

    schema = package_schema()
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    raw = read_package(path, schema)
    result: dict[str, Any] = {"read_s": round(time.perf_counter() - started, 1)}
    rows = sum(len(t.frame) for t in raw.tables.values())
    problems = [str(p)[:160] for p in raw.problems]
    if validate:
        known = {"items": (), "locations": ()}  # references fail: the check's cost is measured
        started = time.perf_counter()
        _, found = validate_package(raw, schema, known)
        result["validate_s"] = round(time.perf_counter() - started, 1)
        problems = [str(p)[:160] for p in found]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result.update(
        baseline_mib=round(baseline),
        peak_mib=round(peak),
        rows=rows,
        problems=len(problems),
        first_problem=problems[0] if problems else None,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--case", choices=CASES, action="append")
    parser.add_argument("--rows", type=int, action="append", help="rows for the sales case")
    parser.add_argument("--validate", action="store_true", help="also validate what was read")
    parser.add_argument("--folder", type=Path, help="where workbooks are kept between runs")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--build", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.validate)))
        return
    if args.build:
        case, rows = args.build
        build(case, int(rows), args.folder)
        return
    cases = args.case or CASES
    sizes = args.rows or [250_000, 1_000_000]
    folder = args.folder or Path(tempfile.mkdtemp(prefix="oneplan-xlsx-"))
    folder.mkdir(parents=True, exist_ok=True)
    print("| workbook | size on disk | inflated | read s | validate s | peak MiB | result |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for case in cases:
        for rows in sizes if case == "sales" else [XLSX_ROWS]:
            path = _workbook_path(folder, case, rows)
            if not path.exists():
                here = [sys.executable, __file__, "--folder", str(folder)]
                subprocess.run([*here, "--build", case, str(rows)], check=True)
            with zipfile.ZipFile(path) as archive:
                inflated = sum(m.file_size for m in archive.infolist())
            command = [sys.executable, __file__, "--child", str(path)]
            command += ["--validate"] if args.validate else []
            output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            found = json.loads(output.strip().splitlines()[-1])
            outcome = f"{found['rows']:,} rows, {found['problems']} problems"
            if found["first_problem"] and case not in ("sales", "limit", "limits", "wide"):
                outcome += f": {found['first_problem']}"
            print(
                f"| {path.name} | {path.stat().st_size / 2**20:,.0f} MiB "
                f"| {inflated / 2**20:,.0f} MiB | {found['read_s']} "
                f"| {found.get('validate_s', '')} | {found['peak_mib']:,} | {outcome} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
