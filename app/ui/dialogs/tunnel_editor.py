"""Add or edit a saved tunnel. Receives values, never a controller:

    dlg = TunnelEditor(existing=bridge.specs(), rows=inventory, profiles=names, spec=None)
    dlg.saved.connect(lambda spec, original: bridge.save(spec, original))
    dlg.open()

Every field is checked as it changes (after the first Save attempt, or once the field was
edited) and its error is shown under it: ports 1-65535, privileged ports explained, duplicate
names and local ports refused, the target checked against the instances the window has listed
(when it has). `check()` is the same check without a dialog.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.core.aws.discovery.rows import InstanceRow
from app.core.tunnels.spec import (
    Mode,
    Target,
    TargetKind,
    TunnelError,
    TunnelSpec,
    check_name,
    privileged_note,
)
from app.ui.icons import dress
from app.ui.widgets.state_light import failure_colour

MODES = ((Mode.INSTANCE_PORT, "A port on the instance"),
         (Mode.REMOTE_HOST, "A host the instance reaches (RDS, ...)"),
         (Mode.SSH, "ssh -L through the instance"))
FIELDS = ("name", "profile", "target", "remote_host", "ssh_user", "remote_port", "bind",
          "local_port", "group", "open")
SSH_NOTE = ("Runs ssh -L over `gangway proxy` with your SSH key (your ssh config or agent), or "
            "Gangway's ephemeral key when Keyless SSH is on. The remote host is as the "
            "instance sees it (empty: localhost).")


@dataclass
class Values:
    """What the form holds, as typed (ports as text: "" and "abc" are errors to show)."""

    name: str = ""
    profile: str = ""
    target: str = ""
    mode: Mode = Mode.INSTANCE_PORT
    remote_host: str = ""
    remote_port: str = ""
    ssh_user: str = ""  # ssh -L only; "" = ssh's config
    bind: str = "127.0.0.1"
    pick_port: bool = True
    local_port: str = ""
    group: str = ""
    open: str = ""
    start_at_launch: bool = False


@dataclass
class Verdict:
    errors: dict[str, str] = field(default_factory=dict)  # field -> what is wrong
    notes: dict[str, str] = field(default_factory=dict)  # field -> worth knowing, not wrong
    spec: TunnelSpec | None = None


def _port(text: str, what: str) -> tuple[int | None, str]:
    text = text.strip()
    if not text:
        return None, f"Give the {what} (1-65535)."
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        return None, f"The {what} must be a whole number from 1 to 65535."
    return int(text), ""


def _target_note(target: Target, rows: Sequence[InstanceRow]) -> tuple[str, str]:
    """(error, note) for the target against the listed instances."""
    if not rows:
        return "", ""
    if target.kind is TargetKind.INSTANCE_ID:
        match = [r for r in rows if r.instance_id == target.value]
    else:
        match = [r for r in rows if r.tag(target.key) == target.value]
    if not match:
        return "", ("No listed instance matches this; it may be in another region or "
                    "profile. It is looked up again at every start.")
    usable = [r for r in match if r.state in ("running", "") and r.ping_status == "Online"]
    if not usable:
        return "", (f"{len(match)} listed instance(s) match, none running with a connected "
                    "SSM agent now; the tunnel fails until one is.")
    if len(usable) > 1:
        return "", (f"{len(usable)} running instances with a connected agent match: each "
                    "start uses the most recently launched.")
    return "", f"Matches {usable[0].instance_id} ({usable[0].region})."


def _check_name(v: Values, existing: Sequence[TunnelSpec], others: Sequence[TunnelSpec],
                original: str, out: Verdict) -> None:
    try:
        check_name(v.name)
    except TunnelError as exc:
        out.errors["name"] = exc.one_line()
        return
    if any(s.name == v.name for s in others):
        out.errors["name"] = f"A tunnel named {v.name!r} already exists. Pick another name."
    elif v.name != original and any(s.name == v.name and s.shared for s in existing):
        out.notes["name"] = "A team tunnel has this name: yours overrides it on this machine."


def _check_profile_target(v: Values, rows: Sequence[InstanceRow], profiles: Sequence[str],
                          out: Verdict) -> None:
    if not v.profile.strip():
        out.errors["profile"] = "Pick the AWS profile that opens the sessions."
    elif profiles and v.profile not in profiles:
        out.errors["profile"] = f"There is no profile {v.profile!r} in your AWS config."
    try:
        target = Target.parse(v.target)
    except TunnelError as exc:
        out.errors["target"] = exc.one_line()
        return
    error, note = _target_note(target, rows)
    if error:
        out.errors["target"] = error
    if note:
        out.notes["target"] = note


def _check_local(v: Values, others: Sequence[TunnelSpec], out: Verdict) -> int | None:
    if v.pick_port:
        return 0
    local, error = _port(v.local_port, "local port")
    if local is None:
        out.errors["local_port"] = error
        return None
    owner = next((s.name for s in others
                  if s.local_port == local and s.bind == v.bind.strip()), None)
    if owner is not None:
        out.errors["local_port"] = (f"Local port {local} is already used by the tunnel "
                                    f"{owner!r}. Pick another port.")
    elif privileged_note(local):
        out.notes["local_port"] = privileged_note(local)
    return local


def check(values: Values, existing: Sequence[TunnelSpec], rows: Sequence[InstanceRow] = (),
          profiles: Sequence[str] = (), original: str = "") -> Verdict:
    """Every field's error (or note), and the spec when there is no error."""
    v, out = values, Verdict()
    others = [s for s in existing if s.name != original and not s.shared]
    _check_name(v, existing, others, original, out)
    _check_profile_target(v, rows, profiles, out)
    if v.mode is Mode.REMOTE_HOST and not v.remote_host.strip():
        out.errors["remote_host"] = "Give the host the instance forwards to."
    remote, error = _port(v.remote_port, "remote port")
    if error:
        out.errors["remote_port"] = error
    local = _check_local(v, others, out)
    try:
        ipaddress.ip_address(v.bind.strip())
        if v.bind.strip() not in ("127.0.0.1", "::1"):
            out.notes["bind"] = "Other machines on your network can reach this tunnel."
    except ValueError:
        out.errors["bind"] = "Use an IP address: 127.0.0.1 (this machine only) or 0.0.0.0."
    if v.open and "{port}" not in v.open:
        out.notes["open"] = "Put {port} where the local port goes."
    if out.errors or remote is None or local is None:
        return out
    far = v.mode is not Mode.INSTANCE_PORT
    spec = TunnelSpec(name=v.name, profile=v.profile.strip(), target=v.target.strip(),
                      remote_port=remote, local_port=local, mode=v.mode,
                      remote_host=v.remote_host.strip() if far else "",
                      ssh_user=v.ssh_user.strip() if v.mode is Mode.SSH else "",
                      bind=v.bind.strip(), group=v.group.strip(), open=v.open.strip(),
                      start_at_launch=v.start_at_launch)
    try:
        out.spec = spec.validate()
    except TunnelError as exc:  # what the core refuses beyond the checks above
        field_name = ("ssh_user" if "login name" in exc.message else "remote_host"
                      if "remote host" in exc.message or "forward to" in exc.message
                      else "open")
        out.errors[field_name] = exc.one_line()
    return out


def values_of(spec: TunnelSpec) -> Values:
    return Values(name=spec.name, profile=spec.profile, target=spec.target, mode=spec.mode,
                  remote_host=spec.remote_host, remote_port=str(spec.remote_port),
                  ssh_user=spec.ssh_user,
                  bind=spec.bind, pick_port=False, local_port=str(spec.local_port),
                  group=spec.group, open=spec.open, start_at_launch=spec.start_at_launch)


class TunnelEditor(QDialog):
    saved = Signal(object, str)  # TunnelSpec, the name it had ("" for a new tunnel)

    def __init__(self, existing: Sequence[TunnelSpec], rows: Sequence[InstanceRow] = (),
                 profiles: Sequence[str] = (), spec: TunnelSpec | Values | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.existing, self.rows, self.profiles = list(existing), list(rows), list(profiles)
        editing = isinstance(spec, TunnelSpec) and not spec.shared
        self.original = spec.name if isinstance(spec, TunnelSpec) and editing else ""
        self.setWindowTitle("Edit tunnel" if editing else "New tunnel")
        self.setMinimumWidth(560)
        self.touched: set[str] = set()
        self.tried = False
        self._build()
        start = values_of(spec) if isinstance(spec, TunnelSpec) else spec or Values(
            profile=self.profiles[0] if self.profiles else "")
        self.set_values(start)
        self.refresh()

    # --- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.name = QLineEdit()
        self.name.setPlaceholderText("prod-db")
        self.profile = QComboBox()
        self.profile.setEditable(True)
        self.profile.addItems(self.profiles)
        self.target = QLineEdit()
        self.target.setPlaceholderText("i-0123456789abcdef0, a Name tag, or tag:Role=bastion")
        words = sorted({r.instance_id for r in self.rows} | {r.name for r in self.rows if r.name})
        if words:
            completer = QCompleter(words, self)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            self.target.setCompleter(completer)
        self.mode = QComboBox()
        for mode, label in MODES:
            self.mode.addItem(label, mode)
        self.remote_host = QLineEdit()
        self.remote_host.setPlaceholderText("db.abc123.eu-west-1.rds.amazonaws.com")
        self.remote_port = QLineEdit()
        self.remote_port.setPlaceholderText("5432")
        self.ssh_user = QLineEdit()
        self.ssh_user.setPlaceholderText("from your ssh config (e.g. ec2-user)")
        self.bind = QLineEdit()
        self.pick = QRadioButton("Pick a free one and keep it")
        self.fixed = QRadioButton("Fixed:")
        self.local_port = QLineEdit()
        self.local_port.setPlaceholderText("15432")
        group = QButtonGroup(self)
        group.addButton(self.pick)
        group.addButton(self.fixed)
        port_row = QWidget()
        ports = QHBoxLayout(port_row)
        ports.setContentsMargins(0, 0, 0, 0)
        ports.addWidget(self.pick)
        ports.addWidget(self.fixed)
        ports.addWidget(self.local_port, 1)
        self.group = QComboBox()
        self.group.setEditable(True)
        self.group.addItems(["", *sorted({s.group for s in self.existing if s.group})])
        self.open_template = QLineEdit()
        self.open_template.setPlaceholderText("https://localhost:{port}/  or  "
                                              "psql -h localhost -p {port} -U app")
        self.start_at_launch = QCheckBox("Switch on when Gangway starts")
        self.messages: dict[str, QLabel] = {}
        rows: tuple[tuple[str, str, QWidget], ...] = (
            ("name", "Name", self.name), ("profile", "Profile", self.profile),
            ("target", "Target", self.target), ("mode", "Forward to", self.mode),
            ("remote_host", "Remote host", self.remote_host),
            ("ssh_user", "SSH user", self.ssh_user),
            ("remote_port", "Remote port", self.remote_port),
            ("bind", "Bind address", self.bind), ("local_port", "Local port", port_row),
            ("group", "Group", self.group), ("open", "Open", self.open_template),
            ("start", "", self.start_at_launch))
        self.form = form
        for key, label, widget in rows:
            cell = QWidget()
            box = QVBoxLayout(cell)
            box.setContentsMargins(0, 0, 0, 0)
            box.setSpacing(2)
            box.addWidget(widget)
            message = QLabel()
            message.setTextFormat(Qt.TextFormat.PlainText)
            message.setWordWrap(True)
            message.setVisible(False)
            box.addWidget(message)
            self.messages[key] = message
            form.addRow(label, cell)
            if key == "remote_host":
                self.remote_host_row = cell
            if key == "ssh_user":
                self.ssh_user_row = cell
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        dress(self.buttons)
        self.buttons.accepted.connect(self.try_save)
        self.buttons.rejected.connect(self.reject)
        outer = QVBoxLayout(self)
        outer.addLayout(form)
        outer.addWidget(self.buttons)
        edits = {"name": self.name, "target": self.target, "remote_host": self.remote_host,
                 "ssh_user": self.ssh_user,
                 "remote_port": self.remote_port, "bind": self.bind,
                 "local_port": self.local_port, "open": self.open_template}
        for key, edit in edits.items():
            edit.textEdited.connect(lambda _t, k=key: self._edited(k))
        self.profile.currentTextChanged.connect(lambda _t: self._edited("profile"))
        self.group.currentTextChanged.connect(lambda _t: self._edited("group"))
        self.mode.currentIndexChanged.connect(lambda _i: self._edited("mode"))
        self.pick.toggled.connect(lambda _on: self._edited("local_port"))

    # --- values --------------------------------------------------------------------------------

    def set_values(self, v: Values) -> None:
        self.name.setText(v.name)
        self.profile.setCurrentText(v.profile)
        self.target.setText(v.target)
        self.mode.setCurrentIndex(max(0, self.mode.findData(v.mode)))
        self.remote_host.setText(v.remote_host)
        self.remote_port.setText(v.remote_port)
        self.ssh_user.setText(v.ssh_user)
        self.bind.setText(v.bind)
        (self.pick if v.pick_port else self.fixed).setChecked(True)
        self.local_port.setText(v.local_port)
        self.group.setCurrentText(v.group)
        self.open_template.setText(v.open)
        self.start_at_launch.setChecked(v.start_at_launch)

    def values(self) -> Values:
        return Values(name=self.name.text(), profile=self.profile.currentText(),
                      target=self.target.text(), mode=self.mode.currentData(),
                      remote_host=self.remote_host.text(), remote_port=self.remote_port.text(),
                      ssh_user=self.ssh_user.text(),
                      bind=self.bind.text(), pick_port=self.pick.isChecked(),
                      local_port=self.local_port.text(), group=self.group.currentText(),
                      open=self.open_template.text(),
                      start_at_launch=self.start_at_launch.isChecked())

    def verdict(self) -> Verdict:
        return check(self.values(), self.existing, self.rows, self.profiles, self.original)

    # --- checking ------------------------------------------------------------------------------

    def _edited(self, key: str) -> None:
        self.touched.add(key)
        self.refresh()

    def refresh(self) -> Verdict:
        v = self.values()
        self.form.setRowVisible(self.remote_host_row, v.mode is not Mode.INSTANCE_PORT)
        self.form.setRowVisible(self.ssh_user_row, v.mode is Mode.SSH)
        self.local_port.setEnabled(not v.pick_port)
        verdict = self.verdict()
        ssh_note = SSH_NOTE if v.mode is Mode.SSH else ""
        error_colour = failure_colour(self.palette()).name()
        for key, label in self.messages.items():
            error = verdict.errors.get(key, "") if (self.tried or key in self.touched) else ""
            note = verdict.notes.get(key, "") or (ssh_note if key == "mode" else "")
            text = error or note
            label.setText(text)
            label.setVisible(bool(text))
            label.setStyleSheet(f"color: {error_colour};" if error else
                                "color: palette(placeholder-text);")
            label.setAccessibleName("error" if error else "note")
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(
            not (self.tried and verdict.errors))
        self._fit()
        return verdict

    def _fit(self) -> None:
        """Grow to show wrapped messages whole (a form row does not grow for them itself)."""
        layout = self.layout()
        if layout is None:
            return
        layout.activate()
        # The taller of the two: the height for this width alone still clips wrapped labels.
        need = self.heightForWidth(self.width()) if layout.hasHeightForWidth() else -1
        need = max(need, layout.sizeHint().height())
        if need > self.height():
            self.resize(self.width(), need)

    def try_save(self) -> bool:
        self.tried = True
        verdict = self.refresh()
        if verdict.spec is None:
            first = next((k for k in FIELDS if k in verdict.errors), None)
            widget = {"name": self.name, "target": self.target, "profile": self.profile,
                      "remote_host": self.remote_host, "remote_port": self.remote_port,
                      "ssh_user": self.ssh_user, "bind": self.bind, "local_port": self.local_port,
                      "open": self.open_template}.get(first or "")
            if widget is not None:
                widget.setFocus()
            return False
        self.saved.emit(verdict.spec, self.original)
        self.accept()
        return True
