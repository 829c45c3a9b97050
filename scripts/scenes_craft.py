"""Screenshot scenes for the desktop craft work: the doctor, the first run, quick connect,
the policy helper, settings, light and dark palettes. Registered in `scripts/screenshots.py`.
"""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING

from scripts.screenshots import Ctx, scene

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget


@scene("doctor-failures")
def doctor_failures(ctx: Ctx) -> QWidget:
    """This computer without the plugin, ssh or a tray; an instance with an old agent that
    the policy denies."""
    from app.core.aws.discovery.permissions import Access
    from app.core.doctor import run_checks
    from app.ui.dialogs.doctor_dialog import DoctorDialog
    from tests.ui.instances_factory import make_row

    saved = os.environ.get("PATH", "")
    with tempfile.TemporaryDirectory() as empty:
        os.environ["PATH"] = empty
        try:
            checks = run_checks(tray_available=False, family="debian")
        finally:
            os.environ["PATH"] = saved
    row = make_row("payments-db-primary.prod", n=42, agent="3.0.161.0", access=Access.DENIED,
                   region="eu-central-1")
    dialog = DoctorDialog(ctx.app.services.tasks, row=row, account="123456789012",
                          checks=checks, parent=ctx.app.window)
    dialog.resize(820, 980)
    dialog.show()
    ctx.settle(400)
    return dialog
