"""UI tests run real Qt widgets on the offscreen platform (Xvfb only for screenshots/e2e)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
