"""Workbook cells as spreadsheet programs other than openpyxl write them: every cell type,
number formats that make dates, rich text, missing cell and row references, prefixed XML."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd

from oneplan.datapack.read import read_package
from oneplan.datapack.schema import ColumnSchema, PackageSchema, TableSchema

SCHEMA = PackageSchema(
    (TableSchema("items", "", (ColumnSchema("code", "string", True, True),), ("code",)),)
)
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
CONTENT_TYPES = (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/s.xml" ContentType="{_TYPE}.worksheet+xml"/>'
    f'<Override PartName="/xl/strings.xml" ContentType="{_TYPE}.sharedStrings+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_TYPE}.styles+xml"/></Types>'
)
ROOT_RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
STYLES = (
    f'<styleSheet xmlns="{MAIN}"><numFmts count="2">'
    '<numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd\\ hh:mm"/>'
    '<numFmt numFmtId="165" formatCode="0.00&quot; kg&quot;"/></numFmts>'
    '<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/>'
    '<xf numFmtId="20"/><xf numFmtId="165"/></cellXfs></styleSheet>'
)


def workbook(
    path: Path,
    sheet_xml: str,
    shared: tuple[str, ...] = (),
    workbook_pr: str = "",
    prefix: str = "",
) -> None:
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr(
            "xl/workbook.xml",
            f'<{p}workbook {xmlns} xmlns:r="{REL}">{workbook_pr}<{p}sheets>'
            f'<{p}sheet name="items" sheetId="1" state="hidden" r:id="rId7"/></{p}sheets>'
            f"</{p}workbook>",
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId7" Type="{REL}/worksheet" Target="/xl/worksheets/s.xml"/>'
            f'<Relationship Id="rId8" Type="{REL}/sharedStrings" Target="strings.xml"/>'
            f'<Relationship Id="rId9" Type="{REL}/styles" Target="styles.xml"/>'
            "</Relationships>",
        )
        strings = "".join(f"<{p}si>{s}</{p}si>" for s in shared)
        archive.writestr("xl/strings.xml", f"<{p}sst {xmlns}>{strings}</{p}sst>")
        archive.writestr("xl/styles.xml", STYLES)
        archive.writestr(
            "xl/worksheets/s.xml",
            f"<{p}worksheet {xmlns}><{p}sheetData>{sheet_xml}</{p}sheetData></{p}worksheet>",
        )


def cells(path: Path) -> dict[str, list[str | None]]:
    raw = read_package(path, SCHEMA)
    assert raw.problems == []
    frame = raw.tables["items"].frame
    return {c: [None if pd.isna(v) else v for v in frame[c]] for c in frame.columns}


def test_every_cell_type(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    header = '<row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c></row>'
    rows = [
        '<c r="A2" t="s"><v>0</v></c>',
        '<c r="A3" t="inlineStr"><is><r><t>in</t></r><r><t xml:space="preserve">line </t></r>'
        "</is></c>",
        '<c r="A4" t="str"><f>CONCAT("a","b")</f><v>ab</v></c>',
        '<c r="A5" t="b"><v>1</v></c>',
        '<c r="A6" t="b"><v>0</v></c>',
        '<c r="A7" t="e"><v>#N/A</v></c>',
        '<c r="A8" t="n"><v>1E-3</v></c>',
        '<c r="A9"><v>3.0</v></c>',
        '<c r="A10"><v>007</v></c>',
        '<c r="A11"><v>12345678901234567890</v></c>',
        '<c r="A12" t="d"><v>2027-03-01T00:00:00</v></c>',
        '<c r="A13" t="s"><v>1</v></c>',
        '<c r="A14" s="4"><v>2.5</v></c>',
        '<c r="A15"><v>-0.1</v></c>',
    ]
    sheet = header + "".join(f'<row r="{n}">{c}</row>' for n, c in enumerate(rows, start=2))
    shared = [
        '<r><t>Gar</t></r><r><rPr><b/></rPr><t>den</t></r><rPh sb="0" eb="1"><t>NOT READ</t></rPh>',
        "<t></t>",
    ]
    workbook(path, sheet, tuple(shared))
    assert cells(path) == {
        "code": [
            "Garden",
            "inline ",
            "ab",
            "true",
            "false",
            "#N/A",
            "0.001",
            "3",
            "7",
            "12345678901234567890",
            "2027-03-01",
            "2.5",
            "-0.1",
        ]
    }


def test_number_formats_that_make_dates_and_times(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    header = '<row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c></row>'
    rows = [
        '<c r="A2" s="1"><v>46447</v></c>',  # 2027-03-01
        '<c r="A3" s="2"><v>46447.25</v></c>',  # 2027-03-01 06:00
        '<c r="A4" s="3"><v>0.75</v></c>',  # 18:00 (format h:mm)
        '<c r="A5" s="4"><v>46447</v></c>',  # a number format that is not a date
        '<c r="A6" s="99"><v>5</v></c>',  # a style the workbook does not have
    ]
    sheet = header + "".join(f'<row r="{n}">{c}</row>' for n, c in enumerate(rows, start=2))
    workbook(path, sheet)
    assert cells(path) == {"code": ["2027-03-01", "2027-03-01 06:00:00", "18:00:00", "46447", "5"]}


def test_dates_of_a_1904_workbook(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    sheet = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c></row>'
        '<row r="2"><c r="A2" s="1"><v>44985</v></c></row>'
    )
    workbook(path, sheet, workbook_pr='<workbookPr date1904="1"/>')
    assert cells(path) == {"code": ["2027-03-01"]}


def test_cells_and_rows_without_references_and_a_prefixed_namespace(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    sheet = (
        '<x:row><x:c t="inlineStr"><x:is><x:t>code</x:t></x:is></x:c>'
        '<x:c t="inlineStr"><x:is><x:t>name</x:t></x:is></x:c></x:row>'
        "<x:row><x:c><x:v>1</x:v></x:c><x:c><x:v>2</x:v></x:c></x:row>"
        '<x:row r="5"><x:c r="B5"><x:v>3</x:v></x:c></x:row>'
        "<x:row><x:c><x:v>4</x:v></x:c></x:row>"
    )
    workbook(path, sheet, prefix="x")
    raw = read_package(path, SCHEMA)
    assert raw.problems == []
    frame = raw.tables["items"].frame
    assert list(frame.index) == [2, 5, 6]
    assert frame["code"].tolist()[0::2] == ["1", "4"] and pd.isna(frame["code"].tolist()[1])
    assert frame["name"].tolist()[:2] == ["2", "3"] and pd.isna(frame["name"].tolist()[2])
