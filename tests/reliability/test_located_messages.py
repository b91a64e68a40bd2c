"""CSV problems a user can act on: located by row and column, said in plain words."""

from __future__ import annotations

from pathlib import Path

from oneplan.datapack import package_schema, read_package, validate_package
from oneplan.errors import Problem

SCHEMA = package_schema()
GOOD_FAMILIES = "".join(f"F{i},Family {i},Garden\n" for i in range(2000))  # ~45 KB


def problems_of(path: Path, known: dict[str, set[str]] | None = None) -> list[Problem]:
    return validate_package(read_package(path, SCHEMA), SCHEMA, known)[1]


def test_invalid_utf8_past_the_first_block_names_row_and_column(tmp_path: Path) -> None:
    text = ("code,name,category\n" + GOOD_FAMILIES).encode() + b"FX,Caf\xe9 latin-1,Garden\n"
    (tmp_path / "families.csv").write_bytes(text)
    [problem] = problems_of(tmp_path)
    assert (problem.file, problem.row, problem.column) == ("families.csv", 2002, "name")
    assert problem.message == (
        "'Caf\\xe9 latin-1' is not valid UTF-8 text; save the file as UTF-8 CSV"
    )


def test_invalid_utf8_in_several_columns_names_each(tmp_path: Path) -> None:
    text = b"code,name,category\nF1,ok,\xff\n" + b"\xfe\xfe,ok,ok\n"
    (tmp_path / "families.csv").write_bytes(text)
    assert [(p.row, p.column) for p in problems_of(tmp_path)] == [(3, "code"), (2, "category")]


def test_binary_junk_past_the_first_block_names_its_rows(tmp_path: Path) -> None:
    junk = b"F9\x00\x01,\x00x,y,z\nPK\x03\x04\x00\x00,\x00\n"
    (tmp_path / "families.csv").write_bytes(
        ("code,name,category\n" + GOOD_FAMILIES).encode() + junk
    )
    problems = problems_of(tmp_path)
    assert [(p.row, p.column) for p in problems] == [(2002, None), (2003, None)]
    assert problems[0].message == "has 4 cells but the header has 3: 'F9\\x00\\x01,\\x00x,y,z'"


def test_a_nul_byte_past_the_first_block_names_row_and_column(tmp_path: Path) -> None:
    text = "item,location,period,quantity\n" + "".join(
        f"A,L{i},2027-01-01,1\n" for i in range(3000)
    )
    (tmp_path / "sales_history.csv").write_text(text + "A,L\x00,2027-02-01,2\n")
    [problem] = problems_of(tmp_path, {"items": {"A"}})
    assert (problem.row, problem.column) == (3002, "location")
    assert problem.message.startswith("holds a NUL byte")


def test_an_overlong_header_is_said_plainly(tmp_path: Path) -> None:
    header = "code,name,category," + ",".join(f"extra_{i}" for i in range(150_000))
    (tmp_path / "families.csv").write_text(header + "\nF1,One,C\n")
    [problem] = problems_of(tmp_path)
    assert (problem.file, problem.row) == ("families.csv", 1)
    assert problem.message.startswith("the header row is longer than 1,048,576 bytes; ")


def test_a_quote_that_never_closes_is_said_plainly(tmp_path: Path) -> None:
    rows = "F1,One,C\n" + 'F2,"Two,C\n' + "F3,Three,C\n" * 120_000
    (tmp_path / "families.csv").write_text("code,name,category\n" + rows)
    [problem] = problems_of(tmp_path)
    assert (problem.file, problem.row) == ("families.csv", 3)
    assert problem.message.startswith("opens a quote that never closes")


def test_a_row_longer_than_a_block_is_said_plainly(tmp_path: Path) -> None:
    rows = "F1,One,C\n" + 'F2,"' + "x" * 3_000_000 + '",C\n'
    (tmp_path / "families.csv").write_text("code,name,category\n" + rows)
    [problem] = problems_of(tmp_path)
    assert (problem.file, problem.row) == ("families.csv", 3)
    assert "straddl" not in problem.message and "block" not in problem.message
    assert problem.message.startswith("is longer than 1,048,576 bytes")


def test_a_semicolon_separated_file_is_recognised(tmp_path: Path) -> None:
    (tmp_path / "families.csv").write_text(
        'code;name;category\nF1;One;Garden\nF2;"Two, three";Garden\n'
    )
    assert problems_of(tmp_path) == [
        Problem(
            "families.csv",
            1,
            None,
            "this file seems to be separated by semicolons; save it as CSV with commas "
            "(or UTF-8 CSV)",
        )
    ]


def test_a_semicolon_in_a_single_column_of_a_real_name_is_not_mistaken(tmp_path: Path) -> None:
    (tmp_path / "families.csv").write_text("code;x\nF1\n")
    messages = [p.message for p in problems_of(tmp_path)]
    assert not any("semicolons" in m for m in messages), messages


def test_a_quote_inside_a_cell_does_not_hide_the_row_of_the_wrong_width(tmp_path: Path) -> None:
    text = 'code,name,category\nF1,12" pipe,Garden\nF2,Two\nF3,Three,Garden\n'
    (tmp_path / "families.csv").write_text(text)
    assert problems_of(tmp_path) == [
        Problem("families.csv", 3, None, "has 2 cells but the header has 3: 'F2,Two'")
    ]


def test_rows_ended_by_carriage_returns_alone_are_located(tmp_path: Path) -> None:
    (tmp_path / "families.csv").write_bytes(b"code,name,category\rF1,One,C\rF2,Two\r")
    assert [(p.row, p.message[:30]) for p in problems_of(tmp_path)] == [
        (3, "has 2 cells but the header has")
    ]
