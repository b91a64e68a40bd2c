"""Workbooks that are small on disk but would be huge in memory are refused before they grow.

A sheet's cells can all point at one long shared string, or a sheet can name thousands of columns
over a million rows with almost nothing in them: both pass the zip limits, so the reader counts
the text and the cells it keeps and stops at its own limits."""

from __future__ import annotations

import zipfile
from pathlib import Path

from oneplan.datapack import ReadLimits, package_schema, read_package
from oneplan.datapack.safety import MIB

SCHEMA = package_schema()
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
CONTENT_TYPES = (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPE}.worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_TYPE}.sharedStrings+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_TYPE}.styles+xml"/></Types>'
)
ROOT_RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)


def raw_workbook(path: Path, sheet_xml: str, shared: list[str]) -> None:
    """A workbook of one sheet named sales_history, written part by part."""
    strings = "".join(f"<si><t>{s}</t></si>" for s in shared)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
            '<sheet name="sales_history" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>",
        )
        archive.writestr("xl/sharedStrings.xml", f'<sst xmlns="{MAIN}">{strings}</sst>')
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            f'<worksheet xmlns="{MAIN}"><sheetData>{sheet_xml}</sheetData></worksheet>',
        )


def test_one_shared_string_repeated_past_the_text_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    header = '<row r="1"><c r="A1" t="s"><v>1</v></c></row>'
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="s"><v>0</v></c></row>' for r in range(2, 502))
    raw_workbook(path, header + rows, ["x" * 10_000, "item"])  # 5 MB of text in 500 cells
    raw = read_package(path, SCHEMA, ReadLimits(max_text_bytes=1 * MIB))
    assert raw.tables == {}
    [problem] = raw.problems
    assert problem.file == "plan.xlsx, sheet sales_history"
    assert problem.message.startswith("its cells hold more than 1,048,576 bytes of text")
    assert read_package(path, SCHEMA).problems == []  # the default limit lets it through


def test_a_wide_and_long_but_empty_sheet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    header = '<row r="1">' + "".join(f'<c t="s"><v>{i}</v></c>' for i in range(200)) + "</row>"
    rows = "".join(f'<row r="{r}"><c r="GR{r}"><v>1</v></c></row>' for r in range(2, 2002))
    raw_workbook(path, header + rows, [f"column_{i}" for i in range(200)])
    raw = read_package(path, SCHEMA, ReadLimits(max_cells=100_000))
    assert raw.tables == {}
    [problem] = raw.problems
    assert problem.file == "plan.xlsx, sheet sales_history"
    assert problem.message.startswith("has more than 100,000 cells")


def test_too_many_shared_strings_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    raw_workbook(path, '<row r="1"><c r="A1" t="s"><v>0</v></c></row>', ["a"] * 5000)
    raw = read_package(path, SCHEMA, ReadLimits(max_cells=1000))
    [problem] = raw.problems
    assert problem.file == "plan.xlsx"
    assert "more than 1,000" in problem.message and "xl/sharedStrings.xml" in problem.message
