"""What a tunnel is: a frozen `TunnelSpec`, checked on the way in, with its JSON form.

    spec = TunnelSpec(name="db", profile="prod", target="tag:Role=bastion",
                      remote_port=5432, remote_host="db.internal", local_port=15432,
                      open="psql -h localhost -p {port} -U app")
    spec.document        # AWS-StartPortForwardingSessionToRemoteHost
    spec.open_text(15432)

TARGET is an instance id (`i-...`, `mi-...`), a Name tag value, or `tag:KEY=VALUE` (parsed by
`sessions.targets`). Every field is user text: it only ever reaches AWS as an API value or a
JSON parameter, never a shell.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from typing import Any

from app.core.aws.sessions.targets import INSTANCE_ID
from app.core.errors import GangwayError

PORT_DOCUMENT = "AWS-StartPortForwardingSession"
REMOTE_DOCUMENT = "AWS-StartPortForwardingSessionToRemoteHost"
SSH_DOCUMENT = "AWS-StartSSHSession"  # what `gangway proxy` starts for an ssh -L tunnel
MAX_NAME = 64
PRIVILEGED_PORT_LIMIT = 1024


class TunnelError(GangwayError):
    """A tunnel definition is not usable (bad port, bad name, unknown tunnel, ...)."""


class Mode(Enum):
    """How the bytes travel: SSM to a port on the instance, SSM on to a remote host, ssh -L."""

    INSTANCE_PORT = "instance-port"
    REMOTE_HOST = "remote-host"
    SSH = "ssh"  # `ssh -L` over `gangway proxy` (needs the user's key on the instance)


class TargetKind(Enum):
    INSTANCE_ID = "instance id"
    NAME = "Name tag"
    TAG = "tag"


@dataclass(frozen=True)
class Target:
    """A parsed TARGET: `kind`, and `key`/`value` for tags (the Name tag is key "Name")."""

    kind: TargetKind
    key: str
    value: str

    @classmethod
    def parse(cls, text: str) -> Target:
        text = text.strip()
        if not text or len(text) > 400 or any(not ch.isprintable() for ch in text):
            raise TunnelError(f"The target {text[:60]!r} is not usable.",
                              "Use an instance id (i-...), a Name tag value or tag:KEY=VALUE.")
        if INSTANCE_ID.fullmatch(text):
            return cls(TargetKind.INSTANCE_ID, "", text)
        if text.startswith("tag:"):
            key, sep, value = text[4:].partition("=")
            if not sep or not key:
                raise TunnelError(f"The target {text!r} is not of the form tag:KEY=VALUE.",
                                  "For example tag:Role=bastion.")
            return cls(TargetKind.TAG, key, value)
        return cls(TargetKind.NAME, "Name", text)


@dataclass(frozen=True)
class TunnelSpec:
    """One saved tunnel.

    `local_port` 0 means "pick a free one the first time and keep it" (the book stores the
    pick). `shared` marks a tunnel from the team catalog (read-only; a local tunnel of the
    same name overrides it).
    """

    name: str
    profile: str
    target: str
    remote_port: int
    remote_host: str = ""
    local_port: int = 0
    bind: str = "127.0.0.1"
    mode: Mode = Mode.INSTANCE_PORT
    region: str = ""  # "" = the profile's region
    group: str = ""
    open: str = ""  # "https://localhost:{port}/" or "psql -h localhost -p {port} -U app"
    start_at_launch: bool = False
    shared: bool = False
    ssh_user: str = ""  # Mode.SSH: the login name ("" = from ~/.ssh/config, or ssh's default)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.remote_host and self.mode is Mode.INSTANCE_PORT:
            object.__setattr__(self, "mode", Mode.REMOTE_HOST)

    @property
    def document(self) -> str:
        if self.mode is Mode.SSH:
            return SSH_DOCUMENT
        return REMOTE_DOCUMENT if self.mode is Mode.REMOTE_HOST else PORT_DOCUMENT

    def parameters(self, plugin_port: int = 0) -> dict[str, list[str]]:
        """StartSession parameters exactly as the AWS CLI sends them for this document."""
        params = {"portNumber": [str(self.remote_port)], "localPortNumber": [str(plugin_port)]}
        if self.mode is Mode.REMOTE_HOST:
            params = {"host": [self.remote_host], **params}
        return params

    def parsed_target(self) -> Target:
        return Target.parse(self.target)

    def open_text(self, port: int | None = None) -> str:
        """The `open` template with {port} (and {host}) filled in; "" without a template."""
        port = port if port is not None else self.local_port
        host = "localhost" if self.bind in ("127.0.0.1", "::1", "localhost") else self.bind
        return self.open.replace("{port}", str(port)).replace("{host}", host)

    @property
    def is_url(self) -> bool:
        return bool(re.match(r"^[a-z][a-z0-9+.-]*://", self.open))

    def with_changes(self, **changes: Any) -> TunnelSpec:
        return replace(self, **changes)

    def validate(self) -> TunnelSpec:
        """Raise TunnelError naming the first bad field; returns self for chaining."""
        check_name(self.name)
        if not self.profile or any(not ch.isprintable() for ch in self.profile):
            raise TunnelError(f"Tunnel {self.name!r} has no usable profile.",
                              "Give one with --profile.")
        self.parsed_target()
        check_port(self.remote_port, "remote port")
        if self.local_port:
            check_port(self.local_port, "local port")
        if self.mode is Mode.REMOTE_HOST:
            host = self.remote_host
            if not host or len(host) > 253 or not re.fullmatch(r"[A-Za-z0-9_.:\[\]-]+", host):
                raise TunnelError(f"The remote host {host[:60]!r} is not a host name or address.",
                                  "For example db.abc123.eu-west-1.rds.amazonaws.com.")
        if self.mode is Mode.SSH:
            self._validate_ssh()
        elif self.ssh_user:
            raise TunnelError(f"Tunnel {self.name!r}: an ssh user only applies to ssh -L "
                              "tunnels.", "Drop --ssh-user, or add --ssh.")
        try:
            ipaddress.ip_address(self.bind)
        except ValueError:
            if self.bind != "localhost":
                raise TunnelError(f"The bind address {self.bind!r} is not an IP address.",
                                  "Use 127.0.0.1 (this machine only) or 0.0.0.0.") from None
        if any(not ch.isprintable() for ch in self.open + self.group):
            raise TunnelError(f"Tunnel {self.name!r}: the open template or group has control "
                              "characters.", "Remove them.")
        return self

    def _validate_ssh(self) -> None:
        """What ssh itself would read: the far host of `-L` and the login name (argv.py's
        rules; a leading `-` or a shell character is refused before anything runs)."""
        from app.core.ssh.argv import SshArgumentError, check_forward_host, check_user

        try:
            if self.remote_host:
                check_forward_host(self.remote_host)
            if self.ssh_user:
                check_user(self.ssh_user)
        except SshArgumentError as exc:
            raise TunnelError(f"Tunnel {self.name!r}: {exc.message}", exc.hint) from None

    def to_json(self, *, with_private: bool = True) -> dict[str, Any]:
        """The stored form. `with_private=False` (export) drops local-only state."""
        out = asdict(self)
        out["mode"] = self.mode.value
        out.pop("extra")
        if not self.ssh_user:
            out.pop("ssh_user")  # only ssh -L tunnels have one
        out.update({k: v for k, v in self.extra.items() if k not in out})
        if not with_private:
            out.pop("shared")
        return out

    @classmethod
    def from_json(cls, doc: Any) -> TunnelSpec:
        """Parse one stored/imported tunnel; unknown keys are kept (a newer Gangway's fields)."""
        if not isinstance(doc, dict):
            raise TunnelError("A tunnel entry is not an object.", "Each tunnel is a JSON object.")
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        try:
            mode = Mode(doc.get("mode", Mode.INSTANCE_PORT.value))
            spec = cls(
                name=str(doc["name"]), profile=str(doc.get("profile", "")),
                target=str(doc["target"]), remote_port=int(doc["remote_port"]),
                remote_host=str(doc.get("remote_host", "")),
                local_port=int(doc.get("local_port", 0) or 0),
                bind=str(doc.get("bind", "127.0.0.1") or "127.0.0.1"), mode=mode,
                region=str(doc.get("region", "")), group=str(doc.get("group", "")),
                open=str(doc.get("open", "")),
                start_at_launch=bool(doc.get("start_at_launch", False)),
                shared=bool(doc.get("shared", False)),
                ssh_user=str(doc.get("ssh_user", "") or ""),
                extra={k: v for k, v in doc.items() if k not in known},
            )
        except KeyError as exc:
            raise TunnelError(f"A tunnel entry has no {exc.args[0]!r}.",
                              "Each tunnel needs name, target and remote_port.") from None
        except (TypeError, ValueError) as exc:
            name = str(doc.get("name", "?"))[:60]
            raise TunnelError(f"Tunnel {name!r} has a bad value: {exc}.",
                              "Ports are whole numbers 1-65535.") from None
        return spec.validate()


def check_name(name: str) -> str:
    if not name or len(name) > MAX_NAME:
        raise TunnelError(f"A tunnel name must be 1-{MAX_NAME} characters.",
                          "Pick a short name such as prod-db.")
    if any(not ch.isprintable() for ch in name) or name != name.strip() or name.startswith("-"):
        raise TunnelError(f"The tunnel name {name[:60]!r} has control characters, leading or "
                          "trailing spaces, or starts with '-'.", "Pick a plain name.")
    return name


def check_port(port: int, what: str = "port") -> int:
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise TunnelError(f"The {what} {port!r} is not between 1 and 65535.",
                          "Ports are whole numbers from 1 to 65535.")
    return port


def privileged_note(port: int) -> str:
    """Why a port below 1024 may fail to bind (for the editor and the CLI)."""
    if 0 < port < PRIVILEGED_PORT_LIMIT:
        return (f"Port {port} is below 1024: on Linux and macOS only administrators may listen "
                f"there. Pick a port above 1024 (for example {port + 10000}).")
    return ""
