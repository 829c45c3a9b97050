"""The Profiles pane's write actions: new, edit, duplicate, rename, delete, protect, restore.

Each runs the ProfileWriter call in a task against the `ProfileSet` on screen, so a file
changed on disk meanwhile is refused (FileChangedError -> the pane's Reload banner), then
reloads. Kept apart from the pane's display code; `ProfilesPane` mixes it in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QLabel, QMessageBox, QWidget

from app.core.aws.profiles.model import ProfileSet
from app.core.aws.profiles.names import validate_name
from app.core.aws.profiles.writer import ProfileWriter
from app.core.errors import ProfileError
from app.ui.dialogs.profile_editor import EditorResult, open_editor
from app.ui.icons import dress
from app.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from app.core.aws.profiles.view import ProfileRow, ProfilesView


class ProfileEditsMixin(QWidget):
    """Needs from the pane: view, writer, tasks, selection, messages and reload."""

    view: ProfilesView | None
    writer: ProfileWriter
    tasks: TaskRunner
    editor: Any
    _pending_select: str | None

    def selected_row(self) -> ProfileRow | None:
        raise NotImplementedError

    def selected_name(self) -> str | None:
        raise NotImplementedError

    def show_message(self, text: str, error: bool = False) -> None:
        raise NotImplementedError

    def reload(self) -> None:
        raise NotImplementedError

    def _failed(self, exc: BaseException) -> None:
        raise NotImplementedError

    def _write(self, fn: Callable[..., ProfileSet], *args: Any, select: str | None = None,
               done: str = "") -> None:
        if self.view is None:
            return
        self.show_message("")
        task = self.tasks.submit(fn, self.view.profiles, *args, name=getattr(fn, "__name__", ""))

        def ok(_result: object) -> None:
            self._pending_select = select
            if done:
                self.show_message(done)
            self.reload()

        task.result.connect(ok)
        task.error.connect(self._failed)

    def new_profile(self) -> None:
        view = self.view
        names = [r.name for r in view.rows] if view else []
        sessions = list(view.profiles.sso_sessions.values()) if view else []
        self.editor = open_editor(self, names, sessions, None, self._create)

    # --- first run ---------------------------------------------------------------------------

    def add_keys(self) -> None:
        """New access-key profile whose keys go straight into the keyring (when there is one)."""
        self.editor = open_editor(self, [], [], None, self._create_protected)
        self.editor.kind.setCurrentIndex(0)  # "Access keys"

    def _create_protected(self, result: EditorResult) -> None:
        writer, real = self.writer, bool(getattr(self, "keyring_real", False))

        def create_and_protect(profiles: ProfileSet, res: EditorResult) -> ProfileSet:
            config = {k: v for k, v in res.config.items() if v is not None}
            creds = {k: v for k, v in res.credentials.items() if v is not None}
            made = writer.create(profiles, res.name, config, creds)
            has_keys = bool(res.credentials.get("aws_secret_access_key"))
            return writer.protect_keys(made, res.name) if real and has_keys else made

        done = (f"Created profile {result.name}; its keys are in the OS keyring." if real else
                f"Created profile {result.name}. No OS keyring here, so its keys are in the "
                "credentials file; Protect keys moves them once a keyring is available.")
        self._write(create_and_protect, result, select=result.name, done=done)

    def open_config(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        dialog = QFileDialog(self, "Open an AWS config file")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.fileSelected.connect(self.import_config)
        dialog.finished.connect(dialog.deleteLater)
        self.file_dialog = dialog
        dialog.open()

    def import_config(self, path: str) -> None:
        from pathlib import Path

        from app.core.aws.profiles.importer import import_config

        task = self.tasks.submit(import_config, Path(path), name="import-config")

        def ok(profiles: object) -> None:
            count = len(profiles.names()) if isinstance(profiles, ProfileSet) else 0
            self.show_message(f"Imported {count} profile(s) from {path}.")
            self.reload()

        task.result.connect(ok)
        task.error.connect(self._failed)

    def _create(self, result: EditorResult) -> None:
        self._write(self.writer.create, result.name, result.config, result.credentials,
                    select=result.name, done=f"Created profile {result.name}.")

    def edit_profile(self) -> None:
        row, view = self.selected_row(), self.view
        if row is None or view is None:
            return
        old = row.name
        writer = self.writer

        def save(result: EditorResult) -> None:
            def edit(profiles: ProfileSet) -> ProfileSet:
                if result.name != old:
                    profiles = writer.rename(profiles, old, result.name)
                return writer.update(profiles, result.name, result.config, result.credentials)

            self._write(edit, select=result.name, done=f"Saved profile {result.name}.")

        self.editor = open_editor(self, [r.name for r in view.rows],
                                  list(view.profiles.sso_sessions.values()), row.profile, save)

    def _ask_name(self, title: str, label: str, default: str,
                  then: Callable[[str], None]) -> QInputDialog:
        dialog = QInputDialog(self)
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        dialog.setTextValue(default)
        for text in dialog.findChildren(QLabel):
            text.setTextFormat(Qt.TextFormat.PlainText)  # the label quotes a profile name

        def chosen(name: str) -> None:
            try:
                validate_name(name)
            except ProfileError as exc:
                self.show_message(exc.message, error=True)
                return
            then(name)

        dialog.textValueSelected.connect(chosen)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        self.name_dialog = dialog
        return dialog

    def duplicate_profile(self) -> None:
        name = self.selected_name()
        if name is not None:
            self._ask_name("Duplicate profile", f"Name for the copy of {name}:",
                           f"{name}-copy", lambda new: self._write(
                               self.writer.duplicate, name, new, select=new,
                               done=f"Copied {name} to {new}."))

    def rename_profile(self) -> None:
        name = self.selected_name()
        if name is not None:
            def rename(new: str) -> None:
                if new != name:
                    self._write(self.writer.rename, name, new, select=new,
                                done=f"Renamed {name} to {new}.")

            self._ask_name("Rename profile", f"New name for {name}:", name, rename)

    def delete_profile(self) -> None:
        name = self.selected_name()
        if name is None:
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Delete profile",
                          f"Delete the profile {name}?", parent=self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setInformativeText("Its sections are removed from both AWS files (a backup is "
                               "kept next to them) and its secrets from the keyring.")
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Yes).setText("Delete")
        dress(box, {box.button(QMessageBox.StandardButton.Yes): "delete"})

        def answered(button: Any) -> None:
            if box.standardButton(button) == QMessageBox.StandardButton.Yes:
                self._write(self.writer.delete, name, done=f"Deleted profile {name}.")

        box.buttonClicked.connect(answered)
        box.finished.connect(box.deleteLater)
        box.open()
        self.confirm_box = box

    def protect_keys(self) -> None:
        name = self.selected_name()
        if name is not None:
            self._write(self.writer.protect_keys, name, select=name,
                        done=f"The keys of {name} are now in the OS keyring; the credentials "
                        "file runs Gangway instead.")

    def restore_keys(self) -> None:
        name = self.selected_name()
        if name is not None:
            self._write(self.writer.unprotect_keys, name, select=name,
                        done=f"The keys of {name} are back in the credentials file.")
