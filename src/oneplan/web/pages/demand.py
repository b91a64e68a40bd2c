"""Demand: one node of the demand plan at a time (the total, a region, a location, a category, a
family, an item or one item at one location), linkable as ``/app/demand?level=family&node=HOS``.

The node's chart (history, statistical forecast with its bands, each layer, the consensus), its
grid of months by layer where a planner types a change with a reason, the nodes below it a page
at a time, and the read-only lists: forecast accuracy and value added, launches and phase-outs,
events and the overrides that change it. Every figure comes from the demand services; a change
is an override the services check, split and record."""

from __future__ import annotations

from typing import Any

from nicegui import ui
from nicegui.events import ValueChangeEventArguments
from starlette.requests import Request
from starlette.responses import RedirectResponse

from oneplan.choices import CommentOn
from oneplan.errors import OneplanError, Stale
from oneplan.services.demand.node_edits import change_node
from oneplan.services.demand.node_lists import NodeLists, node_lists
from oneplan.services.demand.nodes import NodePlan, level_choices, node_plan
from oneplan.services.permissions import Permission
from oneplan.web.comments import thread_here
from oneplan.web.demand import node_url
from oneplan.web.demand.browse import NodeBrowser
from oneplan.web.demand.chart import chart_options
from oneplan.web.demand.panels import (
    ACCURACY_LEVELS,
    accuracy_panel,
    events_panel,
    lists_panel,
    overrides_panel,
)
from oneplan.web.demand.plan_grid import PlanGrid, stale_words
from oneplan.web.demand.rebuild import Rebuild
from oneplan.web.format import sentence, units, when
from oneplan.web.layout import attempt, frame, require_visitor, show_problem
from oneplan.web.visitor import Visitor

#: The path from the total down to a node, by level: the product side and the location side.
PATH_LEVELS = {
    "category": ["category"],
    "family": ["category", "family"],
    "item": ["category", "family", "item"],
    "item_location": ["category", "family", "item", "item_location"],
    "region": ["region"],
    "location": ["region", "location"],
}


class DemandView:
    """One node's plan, kept in step with the services after every change."""

    def __init__(self, visitor: Visitor, level: str, node: str) -> None:
        self.visitor, self.level, self.node = visitor, level, node
        self.plan: NodePlan | None = None
        self.grid: PlanGrid | None = None
        self.chart: ui.echart | None = None
        self.parents: dict[str, str] = {}
        self.overrides_tab: ui.tab | None = None

    async def load(self) -> NodePlan:
        self.plan = await self.visitor.call(node_plan, self.level, self.node)
        return self.plan

    async def save(self, month: str, entry: str, reason: str, seen: float) -> NodePlan | None:
        """Record a typed change; the plan as it is afterwards (or as someone else left it)."""
        assert self.plan is not None
        plan = self.plan
        try:
            done = await self.visitor.call(
                change_node, plan.level, plan.member, month, entry, reason, seen=seen
            )
        except Stale as error:  # show the other person's figure instead of overwriting it
            await self.refresh()
            show_problem(error)
            ui.notify(stale_words(error), type="warning")
            return self.plan
        except OneplanError as error:  # a refusal in words: scope, a bad entry, no reason
            show_problem(error)
            return None
        await self.refresh()
        ui.notify(
            f"{plan.title}, {month}: {units(done.before)} → {units(done.after)} units "
            f"(override #{done.override.sequence} by {done.override.author})",
            type="positive",
        )
        return self.plan

    async def refresh(self) -> None:
        await self.load()
        assert self.plan is not None
        if self.chart is not None:
            self.chart.options.clear()
            self.chart.options.update(chart_options(self.plan))
            self.chart.update()
        if self.grid is not None:
            self.grid.show(self.plan)
        if self.overrides_tab is not None:
            self.overrides_tab.props(f'label="Overrides ({len(self.plan.overrides)})"')
        self.overrides.refresh()
        self.about.refresh()

    def header(self) -> None:
        plan = self.plan
        assert plan is not None
        with ui.row().classes("items-center gap-1 text-sm").mark("breadcrumbs") as path:
            path.set_visibility(plan.level != "total")  # the total is the top: no path to it
            ui.link("All demand", node_url("total"))
            for step in PATH_LEVELS.get(plan.level, []):
                member = self._ancestor(step)
                if member is None:
                    continue
                ui.icon("chevron_right").classes("text-gray-400")
                words = member.replace("|", " at ")
                if step == plan.level:
                    ui.label(words).classes("font-semibold")
                else:
                    ui.link(words, node_url(step, member))
        level_words = sentence(level_choices()[plan.level])
        with ui.row().classes("items-baseline gap-3"):
            ui.label(plan.title).classes("text-xl font-semibold").mark("node-title")
            ui.label(level_words).classes("text-gray-600")
        self.about()

    @ui.refreshable_method
    def about(self) -> None:
        assert self.plan is not None
        version, changing = self.plan.version, len(self.plan.overrides)
        ui.label(
            f"Demand plan version #{version.id} of cycle {version.cycle} ({version.state}, run "
            f"{when(version.created_at)} by {version.created_by}), with every override of the "
            f"cycle as it stands now (overrides changing this node: {changing})."
        ).classes("text-sm text-gray-600").mark("about")

    def _ancestor(self, level: str) -> str | None:
        """The member of ``level`` above the node (the node itself at its own level)."""
        plan = self.plan
        assert plan is not None
        if level == plan.level:
            return plan.member
        return self.parents.get(level)

    @ui.refreshable_method
    def overrides(self) -> None:
        assert self.plan is not None
        overrides_panel(self.plan.overrides)


async def _parents(visitor: Visitor, plan: NodePlan) -> dict[str, str]:
    """The node's ancestors by level (category and family of an item, region of a location)."""
    from oneplan.services.demand.nodes import ancestors

    found: dict[str, str] = await visitor.call(ancestors, plan.level, plan.member)
    return found


#: The nodes people discuss on the page: a family, an item (a cell has its own thread in the
#: API and the command line).
DISCUSSED = {"family": CommentOn.family, "item": CommentOn.item}


async def demand_page(
    request: Request, level: str = "total", node: str = "", built: str = ""
) -> RedirectResponse | None:
    """``built``: the demand plan a run just stored (the page shows the newest plan anyway)."""
    visitor = require_visitor(request)
    if isinstance(visitor, RedirectResponse):
        return visitor
    view = DemandView(visitor, level, node)
    with frame(visitor, request, "Demand", "/demand"):
        if await attempt(view.load) is None:
            ui.label(
                "No demand plan to show here: run the demand step first (oneplan demand run), "
                "or pick another node."
            ).mark("no-plan")
            ui.link("All demand", node_url("total"))
            return None
        plan = view.plan
        assert plan is not None
        view.parents = await _parents(visitor, plan)
        view.header()
        link = node_url(plan.level, plan.member)
        await Rebuild(visitor, link if "?" in link else link + "?").build()
        lists: NodeLists = await visitor.call(node_lists, plan.level, plan.member)
        with ui.tabs().classes("w-full") as tabs:  # names are plain words: a count may change
            plan_tab = ui.tab("plan", "Plan")
            below = ui.tab("below", "Below this node") if plan.children else None
            accuracy = ui.tab("accuracy", "Accuracy")
            counts = f"{len(lists.launches)}, {len(lists.phase_outs)}"
            launches = ui.tab("lifecycle", f"Launches and phase-outs ({counts})")
            events = ui.tab("events", f"Events ({len(lists.events)})")
            overrides = ui.tab("overrides", f"Overrides ({len(plan.overrides)})")
            view.overrides_tab = overrides
        panels = ui.tab_panels(tabs, value=plan_tab, animated=False).classes("w-full")
        with panels:
            with ui.tab_panel(plan_tab).classes("p-0 gap-2"):
                view.chart = (
                    ui.echart(chart_options(plan)).classes("w-full").style("height: 230px")
                ).mark("chart")
                view.grid = PlanGrid(plan, visitor.may(Permission.override_demand), view.save)
                if plan.level in DISCUSSED:
                    thread_here(visitor, DISCUSSED[plan.level], plan.member, "Discussion")
            below_panel = ui.tab_panel(below).classes("p-0") if below is not None else None
            with ui.tab_panel(accuracy).classes("p-0") as accuracy_panel_:
                measured = AccuracyTab(visitor, accuracy_panel_)
            with ui.tab_panel(launches).classes("p-0"):
                lists_panel(lists)
            with ui.tab_panel(events).classes("p-0"):
                events_panel(lists.events)
            with ui.tab_panel(overrides).classes("p-0"):
                view.overrides()

        browsed: list[NodeBrowser] = []

        async def switched(event: ValueChangeEventArguments[Any]) -> None:
            if event.value == "accuracy":
                await measured.open()
            if event.value == "below" and below_panel is not None and not browsed:
                assert plan.children is not None
                with below_panel:
                    browsed.append(
                        NodeBrowser(
                            visitor,
                            plan.level,
                            plan.member,
                            plan.title,
                            plan.children,
                            plan.currency,
                        )
                    )
                await browsed[0].load()

        # accuracy reads every stored plan, the nodes below are pages of their own: each is
        # read when its tab is first opened, not before the plan is shown
        panels.on_value_change(switched)
    return None


class AccuracyTab:
    """Forecast accuracy and value added, measured once, when first shown."""

    def __init__(self, visitor: Visitor, panel: ui.element) -> None:
        self.visitor, self.panel, self.done = visitor, panel, False
        with panel:
            self.waiting = ui.label("Measuring the stored plans against the sales...")

    async def open(self) -> None:
        from oneplan.services.demand.accuracy import demand_accuracy

        if self.done:
            return
        self.done = True
        measured = await attempt(lambda: self.visitor.call(demand_accuracy))
        self.waiting.delete()
        if measured is None:
            return
        with self.panel:
            choice = ui.toggle(ACCURACY_LEVELS, value="family").mark("accuracy-level")

            @ui.refreshable
            def shown() -> None:
                accuracy_panel(measured, str(choice.value))

            choice.on_value_change(shown.refresh)
            shown()


PAGES = [("/demand", demand_page)]
