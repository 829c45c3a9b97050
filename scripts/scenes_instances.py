"""Screenshot scenes of the Instances pane: empty, loading, a failing region, 2,000 rows,
hostile names. Registered with `scripts/screenshots.py` (listed in its SCENE_MODULES).

Each scene builds its own pane with the application's TaskRunner and paths, against the
sandbox through the standard AWS settings; the 2,000-row scene uses synthetic rows built by
core code (the sandbox fleet has 300 nodes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scripts.screenshots import Ctx, scene

if TYPE_CHECKING:
    from app.ui.panes.instances_pane import InstancesPane


def _pane(ctx: Ctx, profiles: tuple[str, ...] = ("default", "jumpbox-only")) -> InstancesPane:
    from app.ui.panes.instances_pane import InstancesPane

    s = ctx.app.services
    pane = InstancesPane(s.tasks, s.credentials, s.favourites, s.permissions, profiles=profiles)
    pane.resize(1400, 760)
    pane.show()
    ctx.settle(200)
    return pane


def _refresh(ctx: Ctx, pane: InstancesPane, timeout_s: float = 90) -> None:
    done: list[bool] = []
    pane.refreshed.connect(lambda: done.append(True))
    pane.refresh()
    if not ctx.wait_until(lambda: bool(done), timeout_s):
        ctx.notes.append("instances: refresh did not finish in time")


@scene("instances-empty")
def instances_empty(ctx: Ctx) -> InstancesPane:
    return _pane(ctx, profiles=())


@scene("instances-loading")
def instances_loading(ctx: Ctx) -> None:
    pane = _pane(ctx)
    pane.set_regions(all_regions=True)
    pane.refresh()
    ctx.settle(150)
    ctx.save(pane, "instances-loading")
    pane.cancel()
    ctx.settle(300)
    ctx.save(pane, "instances-cancelled")


@scene("instances-error-region")
def instances_error_region(ctx: Ctx) -> InstancesPane:
    control = ctx.sandbox.control
    control.fault_region("eu-west-1", "OptInRequired")
    try:
        pane = _pane(ctx)
        pane.set_regions(all_regions=True)
        _refresh(ctx, pane)
    finally:
        control.clear_faults()
    return pane


@scene("instances-2000-rows")
def instances_2000_rows(ctx: Ctx) -> InstancesPane:
    from tests.ui.instances_factory import fleet

    pane = _pane(ctx, profiles=("bench",))
    pane.model.add_rows(fleet(2000))
    pane.only_connectable.setChecked(False)
    pane.filter_edit.setText("tag:Environment=prod")
    ctx.settle(300)
    return pane


@scene("instances-hostile-names")
def instances_hostile_names(ctx: Ctx) -> InstancesPane:
    from PySide6.QtCore import Qt

    from app.ui.models.instances_model import COL_NAME

    pane = _pane(ctx)
    # The region holding "<b>bold</b>"; sorted by name, punctuation-led hostile names come first.
    pane.set_regions([ctx.sandbox.fleet.by_name("<b>bold</b>").region])
    pane.only_connectable.setChecked(False)
    _refresh(ctx, pane)
    pane.view.sortByColumn(COL_NAME, Qt.SortOrder.AscendingOrder)
    ctx.settle(300)
    row = next((r for r in pane.model.rows if r.name == "<b>bold</b>"), None)
    if row is not None:
        menu = pane.build_menu(row)
        menu.popup(pane.mapToGlobal(pane.rect().center()))
        ctx.settle(300)
        ctx.save(menu, "instances-hostile-menu")
        menu.close()
    return pane
