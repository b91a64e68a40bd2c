"""Every page of the web application, registered on NiceGUI by `register`.

Pages are registered by a call, not when their module is imported, so importing a page (a
doctest, a type check) changes nothing, and a test can register them on a fresh NiceGUI.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import ui

from oneplan.web.layout import REGISTERED


def _pages() -> list[tuple[str, Callable[..., Any]]]:
    from oneplan.web.pages import (
        admin,
        audit,
        cycle,
        data,
        demand,
        executive,
        finance,
        home,
        login,
        scenarios,
        supply,
    )

    modules = (login, home, data, demand, supply, finance, scenarios, executive, cycle, audit)
    return [page for module in (*modules, admin) for page in module.PAGES]


def register() -> None:
    """Register every page with NiceGUI (once per NiceGUI app)."""
    for path, build in _pages():
        ui.page(path)(build)
        REGISTERED.add(path)
