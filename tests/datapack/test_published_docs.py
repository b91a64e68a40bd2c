"""The data package documentation in docs/ is what the models generate today."""

from __future__ import annotations

import json
from pathlib import Path

from oneplan.datapack import frictionless_descriptor, render_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_data_package_page_is_current() -> None:
    assert (DOCS / "data-package.md").read_text(encoding="utf-8") == render_markdown(), (
        "docs/data-package.md is out of date: run `make docs`"
    )


def test_datapackage_json_is_current() -> None:
    published = json.loads((DOCS / "datapackage.json").read_text(encoding="utf-8"))
    assert published == frictionless_descriptor(), (
        "docs/datapackage.json is out of date: run `make docs`"
    )
