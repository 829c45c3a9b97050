"""The Profiles pane's identity checks: Check identity, and the quiet first check of keys.

Long-term keys (in the file, or protected without MFA) say "keys not checked yet" until AWS
has seen them; the pane checks each once, quietly (no message, no prompt), when first shown,
so keys AWS rejects never read "valid". A refused check - quiet or asked for - updates the
row as well as showing the error. `ProfilesPane` mixes this in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QWidget

from app.core.aws.profiles.view import needs_check, refreshed, with_identity
from app.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from app.core.aws.credentials.service import CredentialService
    from app.core.aws.profiles.view import ProfileRow, ProfilesView
    from app.ui.mfa_broker import MfaBroker
    from app.ui.models.profiles_model import ProfilesModel


class ProfileChecksMixin(QWidget):
    """Needs from the pane: service, broker, tasks, view, model, selection and messages."""

    service: CredentialService
    broker: MfaBroker
    tasks: TaskRunner
    view: ProfilesView | None
    model: ProfilesModel
    _checked: set[str]
    _quiet: dict[object, str]  # running quiet checks: task -> profile

    def selected_name(self) -> str | None:
        raise NotImplementedError

    def show_message(self, text: str, error: bool = False) -> None:
        raise NotImplementedError

    def _failed(self, exc: BaseException) -> None:
        raise NotImplementedError

    def reload(self) -> None:
        raise NotImplementedError

    def check_identity(self) -> None:
        name = self.selected_name()
        if name is None:
            return
        self.show_message(f"Checking {name} with sts:GetCallerIdentity…")
        task = self.tasks.submit(self.service.identity, name, self.broker.prompt, refresh=True,
                                 name="identity")

        def ok(identity: Any) -> None:
            self.show_message(f"{name}: account {identity.account}, {identity.arn}")
            if self.view is not None:
                self.view = with_identity(self.view, name, identity)
                self._show_row(name)

        def failed(exc: BaseException) -> None:
            self.reload()  # "valid" no longer: the rows say what AWS answered, as read now
            self._failed(exc)

        task.result.connect(ok)
        task.error.connect(failed)

    def check_quietly(self, rows: tuple[ProfileRow, ...]) -> None:
        """The first identity check of each row's long-term keys, without a word."""
        for row in rows:
            if not needs_check(row) or row.name in self._checked:
                continue
            self._checked.add(row.name)
            name = row.name
            # No prompt: these kinds never need a code; a failure is recorded by the service.
            task = self.tasks.submit(self.service.identity, name, None, name="quiet-identity")
            self._quiet[task] = name
            # Bound slots, not lambdas: Qt drops them when the pane goes, a late answer too.
            task.result.connect(self._quiet_done)
            task.error.connect(self._quiet_done)

    def _quiet_done(self, _answer: object) -> None:
        name = self._quiet.pop(self.sender(), None)
        if name is not None:
            self._refresh_row(name)

    def _refresh_row(self, name: str) -> None:
        if self.view is not None and name in self.view.profiles:
            self.view = refreshed(self.view, self.service, name)
            self._show_row(name)

    def _show_row(self, name: str) -> None:
        assert self.view is not None
        index = self.model.row_of(name)
        row = next((r for r in self.view.rows if r.name == name), None)
        if index >= 0 and row is not None:
            self.model.replace_row(row)
