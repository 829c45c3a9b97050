"""Create or edit one profile: a form per kind, checked field by field before anything is saved.

The dialog only collects and validates; the pane writes (in a task, through ProfileWriter).
Keys of the kinds not chosen are removed on save (None), keys the form does not know are kept.
The secret key is masked and, when editing, left unchanged unless something is typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.aws.profiles.kinds import ACCOUNT as _ACCOUNT
from app.core.aws.profiles.kinds import EXTERNAL_ID as _EXTERNAL_ID
from app.core.aws.profiles.kinds import KEY_ID as _KEY_ID
from app.core.aws.profiles.kinds import MFA as _MFA
from app.core.aws.profiles.kinds import REGION as _REGION
from app.core.aws.profiles.kinds import ROLE as _ROLE
from app.core.aws.profiles.kinds import SESSION_NAME as _SESSION_NAME
from app.core.aws.profiles.model import Profile, ProfileKind, SsoSession
from app.core.aws.profiles.names import validate_name
from app.core.errors import ProfileError
from app.ui.icons import dress
from app.ui.widgets.colours import error_css

REGIONS = ("us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
           "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1",
           "eu-south-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
           "ap-southeast-1", "ap-southeast-2", "ap-east-1", "me-south-1", "af-south-1")
KIND_STATIC, KIND_ROLE, KIND_SSO, KIND_PROCESS = range(4)
_KIND_NAMES = ("Access keys", "Assume a role", "SSO (IAM Identity Center)", "Credential process")
CREDENTIAL_SOURCES = ("Environment", "Ec2InstanceMetadata", "EcsContainer")
LEGACY_SSO = "(start URL in this profile)"
# Every key this form owns; anything else in the profile is left as it is.
MANAGED_KEYS = ("region", "aws_access_key_id", "aws_secret_access_key", "aws_session_token",
                "mfa_serial", "role_arn", "source_profile", "credential_source", "external_id",
                "duration_seconds", "role_session_name", "sso_session", "sso_start_url",
                "sso_region", "sso_account_id", "sso_role_name", "credential_process")



@dataclass(frozen=True)
class EditorResult:
    """What to write: the name, and keys for each file (None = remove the key)."""

    name: str
    config: dict[str, str | None] = field(default_factory=dict)
    credentials: dict[str, str | None] = field(default_factory=dict)


def _line(text: str = "", placeholder: str = "") -> QLineEdit:
    edit = QLineEdit(text)
    edit.setPlaceholderText(placeholder)
    edit.setClearButtonEnabled(True)
    return edit


class ProfileEditor(QDialog):
    def __init__(self, existing: Sequence[str], sso_sessions: Sequence[SsoSession] = (),
                 profile: Profile | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile = profile
        self.existing = set(existing) - ({profile.name} if profile else set())
        self.setWindowTitle(f"Edit profile {profile.name}" if profile else "New profile")
        self.setMinimumWidth(520)
        self._errors: dict[QWidget, QLabel] = {}
        fields = profile.fields if profile else {}

        self.name = _line(profile.name if profile else "", "e.g. prod or prod admin")
        self.kind = QComboBox()
        self.kind.addItems(_KIND_NAMES)
        self.region = QComboBox()
        self.region.setEditable(True)
        self.region.addItem("")
        self.region.addItems(REGIONS)
        self.region.setCurrentText(fields.get("region", ""))
        head = QFormLayout()
        self._add(head, "Name:", self.name)
        self._add(head, "Kind:", self.kind)
        self._add(head, "Region:", self.region)

        # Access keys (optionally with MFA).
        self.key_id = _line(fields.get("aws_access_key_id", ""), "AKIA…")
        self.secret = _line("", "unchanged" if profile else "")
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setObjectName("secret")
        self.mfa = _line(fields.get("mfa_serial", ""), "arn:aws:iam::123456789012:mfa/me "
                         "(optional)")
        static = QFormLayout()
        self._add(static, "Access key ID:", self.key_id)
        self._add(static, "Secret access key:", self.secret)
        self._add(static, "MFA device:", self.mfa)
        self.protected_note = QLabel("The keys of this profile are protected in the OS keyring;"
                                     " use Restore keys to edit them.")
        self.protected_note.setTextFormat(Qt.TextFormat.PlainText)
        self.protected_note.setWordWrap(True)
        static.addRow(self.protected_note)

        # Assume role.
        self.role_arn = _line(fields.get("role_arn", ""), "arn:aws:iam::123456789012:role/Name")
        self.source = QComboBox()
        self.source.addItem("(credential source instead)", "")
        for name in sorted(self.existing | ({profile.name} if profile else set())):
            self.source.addItem(name, name)
        index = self.source.findData(fields.get("source_profile", ""))
        self.source.setCurrentIndex(index if index >= 0 else (1 if self.source.count() > 1
                                                              else 0))
        self.cred_source = QComboBox()
        self.cred_source.addItem("", "")
        for item in CREDENTIAL_SOURCES:
            self.cred_source.addItem(item, item)
        self.cred_source.setCurrentIndex(max(0, self.cred_source.findData(
            fields.get("credential_source", ""))))
        self.role_mfa = _line(fields.get("mfa_serial", ""), "optional")
        self.external_id = _line(fields.get("external_id", ""), "optional")
        self.duration = QSpinBox()
        self.duration.setRange(0, 43200)
        self.duration.setSingleStep(900)
        self.duration.setSpecialValueText("default (1 hour, see Settings)")
        self.duration.setSuffix(" s")
        raw = fields.get("duration_seconds", "")
        self.duration.setValue(int(raw) if raw.isdigit() else 0)
        self.session_name = _line(fields.get("role_session_name", ""), "optional")
        role = QFormLayout()
        self._add(role, "Role ARN:", self.role_arn)
        self._add(role, "Source profile:", self.source)
        self._add(role, "Credential source:", self.cred_source)
        self._add(role, "MFA device:", self.role_mfa)
        self._add(role, "External ID:", self.external_id)
        self._add(role, "Duration:", self.duration)
        self._add(role, "Session name:", self.session_name)

        # SSO.
        self.sso_session = QComboBox()
        for s in sso_sessions:
            self.sso_session.addItem(f"{s.name} ({s.start_url})", s.name)
        self.sso_session.addItem(LEGACY_SSO, "")
        self.sso_session.setCurrentIndex(max(0, self.sso_session.findData(
            fields.get("sso_session", "")) if fields.get("sso_session") else
            (self.sso_session.count() - 1 if fields.get("sso_start_url") else 0)))
        self.sso_url = _line(fields.get("sso_start_url", ""), "https://my-org.awsapps.com/start")
        self.sso_region = _line(fields.get("sso_region", ""), "us-east-1")
        self.sso_account = _line(fields.get("sso_account_id", ""), "123456789012")
        self.sso_role = _line(fields.get("sso_role_name", ""), "ReadOnlyAccess")
        sso = QFormLayout()
        self._add(sso, "SSO session:", self.sso_session)
        self._add(sso, "Start URL:", self.sso_url)
        self._add(sso, "SSO region:", self.sso_region)
        self._add(sso, "Account ID:", self.sso_account)
        self._add(sso, "Role name:", self.sso_role)

        # credential_process.
        self.process = _line(fields.get("credential_process", ""), "/path/to/program --args")
        proc = QFormLayout()
        self._add(proc, "Command:", self.process)

        self.pages = QStackedWidget()
        for form in (static, role, sso, proc):
            page = QWidget()
            form.setContentsMargins(0, 0, 0, 0)
            page.setLayout(form)
            self.pages.addWidget(page)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.sso_session.currentIndexChanged.connect(self._sso_changed)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        dress(self.buttons)
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.pages)
        layout.addStretch(1)
        layout.addSpacing(8)  # the last field never touches the buttons
        layout.addWidget(self.buttons)

        self.result_value: EditorResult | None = None
        kind = profile.kind if profile else ProfileKind.STATIC
        self.kind.setCurrentIndex(self._kind_index(kind))
        protected = kind is ProfileKind.PROTECTED
        self.protected_note.setVisible(protected)
        for w in (self.key_id, self.secret):
            w.setEnabled(not protected)
        if protected:
            self.kind.setEnabled(False)
        self._kind_changed(self.kind.currentIndex())
        self._sso_changed()

    @staticmethod
    def _kind_index(kind: ProfileKind) -> int:
        if kind is ProfileKind.ASSUME_ROLE:
            return KIND_ROLE
        if kind is ProfileKind.SSO:
            return KIND_SSO
        if kind is ProfileKind.PROCESS:
            return KIND_PROCESS
        return KIND_STATIC

    def _add(self, form: QFormLayout, label: str, widget: QWidget) -> None:
        caption = QLabel(label)
        caption.setMinimumWidth(130)  # one label column across the head and every kind
        form.addRow(caption, widget)
        error = QLabel()
        error.setTextFormat(Qt.TextFormat.PlainText)
        error.setWordWrap(True)
        error.setStyleSheet(error_css(self.palette()))
        error.hide()
        form.addRow("", error)
        self._errors[widget] = error

    def _kind_changed(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        # A stack is as tall as its tallest page; an Ignored page does not count, so the
        # dialog fits the kind shown (no dead space under keys, no crowding under a role).
        shown, ignored = QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored
        for page in range(self.pages.count()):
            w = self.pages.widget(page)
            if w is not None:
                w.setVisible(page == index)
                policy = shown if page == index else ignored
                w.setSizePolicy(policy, policy)
        QTimer.singleShot(0, self, self._fit)  # once the layout has taken the change in

    def _fit(self) -> None:
        """As tall as what is shown now (adjustSize alone keeps a taller old height)."""
        layout = self.layout()
        if layout is not None:
            layout.activate()
        self.resize(self.width(), self.sizeHint().height())

    def _sso_changed(self) -> None:
        legacy = not self.sso_session.currentData()
        self.sso_url.setEnabled(legacy)
        self.sso_region.setEnabled(legacy)

    # --- validation --------------------------------------------------------------------------

    def error_for(self, widget: QWidget) -> str:
        label = self._errors.get(widget)
        return label.text() if label is not None and not label.isHidden() else ""

    def _bad(self, widget: QWidget, message: str) -> None:
        self._errors[widget].setText(message)
        self._errors[widget].show()
        self._found.append(widget)

    def _match(self, widget: QLineEdit, pattern: re.Pattern[str], message: str,
               required: bool = False) -> None:
        text = widget.text().strip()
        if not text:
            if required:
                self._bad(widget, "Required.")
        elif not pattern.fullmatch(text):
            self._bad(widget, message)

    def _check(self) -> bool:
        for label in self._errors.values():
            label.hide()
        self._found: list[QWidget] = []
        name = self.name.text()
        try:
            validate_name(name)
            if name in self.existing:
                raise ProfileError(f"A profile named '{name}' already exists.")
        except ProfileError as exc:
            self._bad(self.name, exc.message)
        region = self.region.currentText().strip()
        if region and not _REGION.fullmatch(region):
            self._bad(self.region, "Not a region name (like eu-west-1).")
        kind = self.kind.currentIndex()
        if kind == KIND_STATIC:
            self._check_static()
        elif kind == KIND_ROLE:
            self._check_role()
        elif kind == KIND_SSO:
            self._check_sso()
        elif kind == KIND_PROCESS and not self.process.text().strip():
            self._bad(self.process, "Required.")
        if self._found:
            self._found[0].setFocus()
        QTimer.singleShot(0, self, self._fit)  # room for the messages shown (or back)
        return not self._found

    def _check_static(self) -> None:
        protected = self.profile is not None and self.profile.kind is ProfileKind.PROTECTED
        if not protected:
            self._match(self.key_id, _KEY_ID, "An access key ID is 16 or more capital letters "
                        "and digits (AKIA…).", required=True)
            secret = self.secret.text()
            if not secret and self.profile is None:
                self._bad(self.secret, "Required.")
            elif secret and (len(secret) < 16 or any(c.isspace() for c in secret)):
                self._bad(self.secret, "A secret access key is 40 characters without spaces.")
        self._match(self.mfa, _MFA, "An MFA device is an ARN like arn:aws:iam::123456789012:"
                    "mfa/name, or a hardware serial.")

    def _check_role(self) -> None:
        self._match(self.role_arn, _ROLE, "A role ARN looks like arn:aws:iam::123456789012:"
                    "role/Name.", required=True)
        source, cred = self.source.currentData(), self.cred_source.currentData()
        if source and cred:
            self._bad(self.cred_source, "Choose a source profile or a credential source, "
                      "not both.")
        elif not source and not cred:
            self._bad(self.source, "Choose where the role's credentials come from.")
        self._match(self.role_mfa, _MFA, "An MFA device is an ARN like arn:aws:iam::"
                    "123456789012:mfa/name.")
        self._match(self.external_id, _EXTERNAL_ID, "2 to 1224 letters, digits or +=,.@:/-.")
        self._match(self.session_name, _SESSION_NAME, "2 to 64 letters, digits or +=,.@-.")
        if 0 < self.duration.value() < 900:
            self._bad(self.duration, "At least 900 seconds (15 minutes).")

    def _check_sso(self) -> None:
        if not self.sso_session.currentData():
            url = self.sso_url.text().strip()
            if not url.startswith("https://") or any(c.isspace() for c in url):
                self._bad(self.sso_url, "The start URL begins with https://.")
            self._match(self.sso_region, _REGION, "Not a region name (like eu-west-1).",
                        required=True)
        self._match(self.sso_account, _ACCOUNT, "An account ID is 12 digits.", required=True)
        if not self.sso_role.text().strip():
            self._bad(self.sso_role, "Required.")

    # --- result ------------------------------------------------------------------------------

    def collect(self) -> EditorResult:
        """The keys to write (valid only after `_check()`)."""
        kind = self.kind.currentIndex()
        values: dict[str, str | None] = dict.fromkeys(MANAGED_KEYS)
        values["region"] = self.region.currentText().strip() or None

        def put(key: str, widget: QLineEdit) -> None:
            values[key] = widget.text().strip() or None

        protected = self.profile is not None and self.profile.kind is ProfileKind.PROTECTED
        if protected:
            values.pop("credential_process")  # ours: leave it alone
            for key in ("aws_access_key_id", "aws_secret_access_key", "aws_session_token"):
                values.pop(key)
            put("mfa_serial", self.mfa)
        elif kind == KIND_STATIC:
            put("aws_access_key_id", self.key_id)
            put("mfa_serial", self.mfa)
            if self.secret.text():
                values["aws_secret_access_key"] = self.secret.text()
                values["aws_session_token"] = None
            elif self.profile is not None:
                values.pop("aws_secret_access_key")  # unchanged
                values.pop("aws_session_token")
        elif kind == KIND_ROLE:
            put("role_arn", self.role_arn)
            values["source_profile"] = self.source.currentData() or None
            values["credential_source"] = self.cred_source.currentData() or None
            put("mfa_serial", self.role_mfa)
            put("external_id", self.external_id)
            put("role_session_name", self.session_name)
            values["duration_seconds"] = str(self.duration.value()) if self.duration.value() \
                else None
        elif kind == KIND_SSO:
            values["sso_session"] = self.sso_session.currentData() or None
            if not values["sso_session"]:
                put("sso_start_url", self.sso_url)
                put("sso_region", self.sso_region)
            put("sso_account_id", self.sso_account)
            put("sso_role_name", self.sso_role)
        else:
            put("credential_process", self.process)
        creds: dict[str, str | None] = {
            k: values.pop(k) for k in ("aws_access_key_id", "aws_secret_access_key",
                                       "aws_session_token") if k in values}
        if self.profile is None:  # a new profile: no "remove" entries
            values = {k: v for k, v in values.items() if v is not None}
            creds = {k: v for k, v in creds.items() if v is not None}
        return EditorResult(self.name.text(), values, creds)

    def _save(self) -> None:
        if self._check():
            self.result_value = self.collect()
            self.accept()


def open_editor(parent: QWidget | None, existing: Sequence[str],
                sso_sessions: Sequence[SsoSession], profile: Profile | None,
                on_result: Callable[[EditorResult], None]) -> ProfileEditor:
    """Show the editor window-modally; `on_result` runs when Save passes validation."""
    editor = ProfileEditor(existing, sso_sessions, profile, parent)
    def accepted() -> None:
        if editor.result_value is not None:
            on_result(editor.result_value)

    editor.accepted.connect(accepted)
    editor.finished.connect(editor.deleteLater)
    editor.open()
    return editor
