"""Data: upload a data package, see every problem (file, row, column) before anything changes,
import it with its provenance; the past imports; the database's package to download.

An upload is read and checked first, with nothing written; only the Import button writes, and
the import service checks again inside its transaction (someone may have imported meanwhile)
and decides who may import."""

from __future__ import annotations

from typing import Any

import pandas as pd
from nicegui import events, run, ui
from starlette.requests import Request
from starlette.responses import RedirectResponse

from oneplan.errors import OneplanError, Problem, ValidationFailed
from oneplan.services.data.schemas import ImportReport, ValidationReport
from oneplan.services.data.service import PackageFiles
from oneplan.services.permissions import Permission
from oneplan.web.format import units, when
from oneplan.web.grid import data_grid
from oneplan.web.layout import attempt, frame, require_visitor, show_problem
from oneplan.web.visitor import Visitor, site

EXPORT_FORMATS = {
    "csv": "CSV files (zip)",
    "xlsx": "One xlsx workbook",
    "parquet": "Parquet files (zip)",
}


def problem_frame(problems: list[Problem]) -> pd.DataFrame:
    """Problems as grid rows: the file (or sheet), the spreadsheet row, the column, what is wrong.

    >>> problem_frame([Problem("items.csv", 3, "uom", "is empty")]).to_dict("records")
    [{'file': 'items.csv', 'row': 3, 'column': 'uom', 'problem': 'is empty'}]
    """
    return pd.DataFrame(
        {
            "file": [p.file for p in problems],
            "row": pd.array([p.row for p in problems], dtype="Int64"),
            "column": [p.column or "" for p in problems],
            "problem": [p.message for p in problems],
        }
    )


def replaceable(files: PackageFiles) -> list[str]:
    """The package's tables an import may replace: those no other table refers to."""
    from oneplan.datapack import package_schema
    from oneplan.services.data.service import referenced_by

    referring = referenced_by(package_schema())
    return [name for name in files.raw.tables if not referring.get(name, ["?"])]


def table_counts(tables: dict[str, dict[str, int]]) -> str:
    """What an import wrote, table by table; the tables it left as they were are left out.

    >>> table_counts({"items": {"inserted": 3, "updated": 1}, "sales": {"inserted": 0}})
    'items: 3 new, 1 changed'
    """
    words = {"inserted": "new", "updated": "changed", "deleted": "deleted"}
    said = [
        f"{name}: " + ", ".join(f"{units(n)} {words.get(k, k)}" for k, n in counts.items() if n)
        for name, counts in tables.items()
        if any(counts.values())
    ]
    return "; ".join(said) or "nothing changed"


class DataView:
    """One upload at a time: what it holds or what is wrong with it, then its import."""

    def __init__(self, visitor: Visitor) -> None:
        self.visitor = visitor
        self.name = ""
        self.files: PackageFiles | None = None
        self.checked: ValidationReport | None = None
        self.problems: list[Problem] = []
        self.imported: ImportReport | None = None
        self.replace: list[str] = []
        self.busy = False
        self.anchor: ui.element | None = None  # a part of the page that is never redrawn

    async def received(self, event: events.UploadEventArguments) -> None:
        from oneplan.services.data.archive import check_upload, read_upload

        self.name, self.files, self.checked, self.problems = event.file.name, None, None, []
        self.imported, self.replace = None, []
        content = await event.file.read()
        self.busy = True
        self.outcome.refresh()
        try:
            files = await run.io_bound(read_upload, self.name, content, site().settings)
            self.checked = await self.visitor.call(check_upload, files)
            self.files = files
        except ValidationFailed as error:
            self.problems = error.problems
        except OneplanError as error:
            show_problem(error)
        finally:
            self.busy = False
            event.sender.reset()  # type: ignore[attr-defined]
        self.outcome.refresh()

    async def import_package(self) -> None:
        assert self.anchor is not None
        with self.anchor:  # the button that called is redrawn away at once
            await self._import()

    async def _import(self) -> None:
        from oneplan.services.data.service import import_package

        files = self.files
        if files is None:
            return
        self.busy = True
        self.outcome.refresh()
        report: ImportReport | None = None
        try:
            report = await self.visitor.call(import_package, files, replace=list(self.replace))
        except ValidationFailed as error:  # the grid shows every problem
            self.problems = error.problems
        except OneplanError as error:  # refused (permission, another import): in words
            show_problem(error)
        finally:
            self.busy = False
        if report is not None:
            self.imported, self.files = report, None
            ui.notify(
                f"Import #{report.import_id}: {units(report.inserted)} rows inserted, "
                f"{units(report.updated)} updated",
                type="positive",
            )
            await self.history.refresh()
        self.outcome.refresh()

    @ui.refreshable_method
    def outcome(self) -> None:
        if self.busy:
            with ui.row().classes("items-center gap-2"):
                ui.spinner()
                ui.label(f"Working on {self.name}...")
            return
        if self.problems:
            self.show_problems()
        elif self.imported is not None:
            self.show_import(self.imported)
        elif self.files is not None and self.checked is not None:
            self.show_valid(self.files, self.checked)

    def show_problems(self) -> None:
        count = len(self.problems)
        ui.label(
            f"{self.name}: {count:,} problem{'s' if count != 1 else ''} found. Nothing was "
            "imported: correct them in the file and upload it again."
        ).classes("text-negative font-medium").mark("upload-problems").props(
            'data-testid="upload-problems"'
        )
        grid = data_grid(problem_frame(self.problems), name="problems", formats={"row": "units"})
        for column in grid.options["columnDefs"]:  # the message is the long part
            column["flex"] = 3 if column["field"] == "problem" else 1
            if column["field"] == "problem":
                column["tooltipField"] = "problem"

    def show_valid(self, files: PackageFiles, report: ValidationReport) -> None:
        basis = "against the rows the database holds" if report.against_database else "alone"
        ui.label(
            f"{self.name} is valid: {report.tables} tables, {units(report.total_rows)} rows "
            f"(references checked {basis}). Nothing has changed yet."
        ).classes("text-positive font-medium").mark("upload-valid").props(
            'data-testid="upload-valid"'
        )
        for notice in report.left_out:
            ui.label(f"Left out: {notice}").classes("text-gray-600 text-sm")
        rows = pd.DataFrame({"table": list(report.rows), "rows": list(report.rows.values())})
        with ui.row().classes("w-full items-start gap-4 no-wrap"):
            with ui.column().classes("w-96"):
                data_grid(rows, name="package-tables", formats={"rows": "units"}, height="h-64")
            with ui.column().classes("gap-2"):
                choices = replaceable(files)
                if choices:
                    ui.select(choices, multiple=True, label="Tables to replace").classes(
                        "w-96"
                    ).bind_value(self, "replace").props("use-chips").mark("replace")
                ui.label(
                    "Rows are inserted or updated by their key and never deleted, except in the "
                    "tables to replace: there, the rows the package lacks are deleted (for "
                    "snapshots such as inventory and open customer orders)."
                ).classes("text-sm text-gray-600 w-96")
                if not self.visitor.may(Permission.import_data):
                    ui.label(
                        "Your roles do not give import_data (admin and the planners have it): "
                        "the import will be refused."
                    ).classes("text-sm text-warning w-96")
                ui.button("Import", icon="file_upload", on_click=self.import_package).props(
                    'color=primary data-testid="import"'
                ).mark("import")

    def show_import(self, report: ImportReport) -> None:
        ui.label(
            f"Imported as #{report.import_id} from {report.source}: "
            f"{units(report.inserted)} rows inserted, {units(report.updated)} updated, "
            f"{units(report.unchanged)} unchanged"
            + (f", {units(report.deleted)} deleted" if report.replaced else "")
            + "."
        ).classes("text-positive font-medium").mark("import-done").props(
            'data-testid="import-done"'
        )

    @ui.refreshable_method
    async def history(self) -> None:
        from oneplan.services.data.history import list_imports

        imports = await self.visitor.call(list_imports)
        if not imports:
            ui.label("Nothing has been imported yet.").classes("text-gray-500")
            return
        past = pd.DataFrame(
            {
                "import": [i.id for i in imports],
                "when": [when(i.started_at) for i in imports],
                "by": [i.started_by for i in imports],
                "file": [i.source for i in imports],
                "format": [i.format for i in imports],
                "inserted": [i.inserted for i in imports],
                "updated": [i.updated for i in imports],
                "deleted": [i.deleted for i in imports],
                "rows per table": [table_counts(i.tables) for i in imports],
            }
        )
        grid = data_grid(
            past,
            name="imports",
            formats={"inserted": "units", "updated": "units", "deleted": "units"},
            height="h-56",
        ).props('data-testid="imports"')
        for column in grid.options["columnDefs"]:
            column["flex"] = 1
            if column["field"] == "when":
                column["minWidth"] = 140
            if column["field"] == "rows per table":  # long: the whole text on hovering
                column |= {"flex": 4, "tooltipField": "rows per table"}
        ui.label(
            "Every row of the package tables names the import that wrote it last (its "
            "import_id), and who created and changed it when."
        ).classes("text-sm text-gray-600")

    async def download(self, fmt: str) -> None:
        from oneplan.services.data.archive import package_archive

        found: Any = await attempt(lambda: self.visitor.call(package_archive, fmt))
        if found is not None:
            name, content = found
            ui.download.content(content, name)


async def data_page(request: Request) -> RedirectResponse | None:
    visitor = require_visitor(request)
    if isinstance(visitor, RedirectResponse):
        return visitor
    view = DataView(visitor)
    limit = site().settings.max_upload_bytes
    with frame(visitor, request, "Data", "/data"):
        view.anchor = ui.element()
        with ui.card().classes("w-full"):
            ui.label("Upload a data package").classes("text-lg font-semibold")
            ui.label(
                "A zip of the package's CSV or Parquet files, or one xlsx workbook with a sheet "
                f"per table; at most {limit // 1024**2:,} MiB. It is checked first: nothing "
                "changes until you press Import."
            ).classes("text-gray-600")

            def too_big() -> None:
                ui.notify(
                    f"That file is larger than the {limit // 1024**2:,} MiB an upload may be.",
                    type="negative",
                )

            ui.upload(
                on_upload=view.received,
                on_rejected=too_big,
                auto_upload=True,
                max_file_size=limit,
                label="Data package (.zip or .xlsx)",
            ).props('accept=".zip,.xlsx" flat bordered data-testid="package-upload"').classes(
                "w-96"
            ).mark("package-upload")
            view.outcome()
        with ui.card().classes("w-full"):
            ui.label("Past imports").classes("text-lg font-semibold")
            await view.history()
        with ui.card().classes("w-full"):
            ui.label("Export the data package").classes("text-lg font-semibold")
            ui.label(
                "Everything the database holds, in the shape an import reads (for the whole "
                "company: a grant over some families or locations does not give it)."
            ).classes("text-gray-600")
            with ui.row().classes("items-center gap-2"):
                chosen = ui.select(EXPORT_FORMATS, value="csv", label="Format").classes("w-56")
                ui.button(
                    "Download", icon="download", on_click=lambda: view.download(chosen.value)
                ).props('data-testid="export-package"').mark("export-package")
    return None


PAGES = [("/data", data_page)]
