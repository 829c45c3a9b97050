"""Help > About: what this Gangway is made of, for bug reports: Gangway, Python, Qt, PySide6,
boto3 and the session-manager-plugin (found on a worker: it runs `--version`)."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from app import APP_NAME
from app.ui.icons import dress
from app.ui.tasks import TaskRunner


def package_version(name: str) -> str:
    """From the installed metadata: boto3 itself is not imported for this."""
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def plugin_version() -> str:
    from app.core.aws.sessions.plugin import find_plugin

    info = find_plugin()
    return "not found (Help > Doctor)" if info is None else f"{info.version} ({info.path})"


def versions(plugin: str) -> list[tuple[str, str]]:
    from app import __version__

    return [(APP_NAME, __version__), ("Python", platform.python_version()),
            ("Qt", qVersion()), ("PySide6", pyside_version),
            ("boto3", package_version("boto3")), ("botocore", package_version("botocore")),
            ("session-manager-plugin", plugin),
            ("System", f"{platform.system()} {platform.release()} {platform.machine()}")]


class AboutDialog(QMessageBox):
    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_NAME}")
        self.setIcon(QMessageBox.Icon.Information)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(f"{APP_NAME}: SSH, shells and tunnels over AWS Systems Manager Session "
                     "Manager. No inbound ports, identity from IAM, every session audited.")
        self.copy_button = QPushButton("Copy versions")
        self.addButton(self.copy_button, QMessageBox.ButtonRole.ActionRole)
        self.copy_button.clicked.disconnect()  # an action button would close the box
        self.copy_button.clicked.connect(self.copy)
        self.addButton(QMessageBox.StandardButton.Close)
        dress(self, {self.copy_button: "copy"})
        self.show_versions("checking…")
        task = tasks.submit(plugin_version, name="about: plugin")
        task.result.connect(self.show_versions)

    def show_versions(self, plugin: object) -> None:
        self.lines = [f"{name}: {value}" for name, value in versions(str(plugin))]
        self.setInformativeText("\n".join(self.lines))

    def copy(self) -> None:
        QGuiApplication.clipboard().setText("\n".join(self.lines))
        self.copy_button.setText("Copied")
