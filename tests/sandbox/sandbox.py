"""Start, describe and stop the whole sandbox from a test process (or ``scripts/demo.py``).

``Sandbox.start()`` launches the server subprocess and sshd in parallel, registers the
identities below, seeds the fleet and maps every node's port 22 to sshd. ``Sandbox.env_for(home)``
is the complete set of *standard* settings an unmodified app needs to reach it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import totp as _totp
from .fleet import DEFAULT_REGIONS, DEFAULT_SIZE, Fleet
from .sshd import SshServer, start_sshd
from .state import ACCOUNT_ID

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_SOURCE = Path(__file__).resolve().parent / "plugin" / "session-manager-plugin"
SERVICES_WITH_ENDPOINTS = ("EC2", "STS", "IAM", "SSM", "SSO", "SSO_OIDC", "EC2_INSTANCE_CONNECT")
DEFAULT_REGION = "us-east-1"
SSO_START_URL = "https://sandbox.awsapps.com/start"


@dataclass(frozen=True)
class Identity:
    profile: str
    user: str | None
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{ACCOUNT_ID}:user/{self.user}"


# Fixed, obviously fake credentials: deterministic so failures are reproducible.
IDENTITIES = {
    "default": Identity(
        "default", "alice", "AKIASANDBOXALICE0001", "sandbox/alice/secret/0000000000000000001"
    ),
    "mfa": Identity(
        "mfa", "bob", "AKIASANDBOXBOBMFA001", "sandbox/bob/secret/00000000000000000000001"
    ),
    "jumpbox-only": Identity(
        "jumpbox-only", "carol", "AKIASANDBOXCAROL0001", "sandbox/carol/secret/00000000000000000001"
    ),
    "expired": Identity(
        "expired",
        "alice",
        "ASIASANDBOXEXPIRED01",
        "sandbox/expired/secret/000000000000000001",
        "sandbox-expired-token",
    ),
    "unknown": Identity(
        "unknown", None, "AKIASANDBOXUNKNOWN01", "sandbox/unknown/secret/000000000000000001"
    ),
}
MFA_SERIAL = f"arn:aws:iam::{ACCOUNT_ID}:mfa/bob"
MFA_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
OPERATOR_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/gangway-operator"
ADMIN_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/gangway-admin"  # trust policy requires MFA
JUMPBOX_RULE: dict[str, Any] = {"allow_tags": {"Purpose": ["jumpbox"]}}


class ControlError(RuntimeError):
    pass


class Control:
    """Client for the gateway's ``/_sandbox`` control API."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    def call(self, route: str, payload: dict[str, Any] | None = None, query: str = "") -> Any:
        url = f"{self.base}/{route}" + (f"?{query}" if query else "")
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(url, data=data, method="GET" if data is None else "POST")
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            raise ControlError(f"{route}: {exc.code} {exc.read()!r}") from exc

    def health(self) -> dict[str, Any]:
        return self.call("health")

    def reset(self) -> None:
        """Clear faults, throttles, per-test rules, duration caps and sessions."""
        self.call("reset", {})

    def set_simulate_rule(
        self, principal_arn: str, rule: dict[str, Any], baseline: bool = False
    ) -> None:
        """Rule keys: allow_tags {Key: [values]}, deny_all, explicit_deny, deny_simulate, actions."""
        self.call("rules", {"principal": principal_arn, "rule": rule, "baseline": baseline})

    def fault_region(
        self,
        region: str,
        code: str = "UnauthorizedOperation",
        service: str = "*",
        message: str | None = None,
        count: int | None = None,
        delay: float = 0.0,
        operation: str | None = None,
    ) -> None:
        """Make ``service`` (ec2, ssm or *) in ``region`` fail with ``code`` (count=None: until
        reset). ``code`` may also be ``DELAY`` (answer ``delay`` seconds late) or ``DROP``
        (close the connection unanswered, as a dead network path does)."""
        self.call(
            "faults",
            {
                "region": region,
                "service": service,
                "code": code,
                "message": message,
                "count": count,
                "delay": delay,
                "operation": operation,
            },
        )

    def throttle(self, region: str, count: int, service: str = "*") -> None:
        """The next ``count`` calls in region are throttled (RequestLimitExceeded / ThrottlingException)."""
        self.fault_region(region, "RequestLimitExceeded", service=service, count=count)

    def clear_faults(self) -> None:
        self.call("faults/clear", {})

    def expire_credentials(
        self,
        access_key_id: str | None = None,
        principal: str | None = None,
        all: bool = False,
        in_seconds: float = 0,
        cap_seconds: float | None = None,
    ) -> int:
        """Expire matching temporary credentials now (or in ``in_seconds``); ``cap_seconds`` also
        shortens every temporary credential issued from now on."""
        payload: dict[str, Any] = {"in_seconds": in_seconds, "all": all}
        if access_key_id:
            payload["access_key_id"] = access_key_id
        if principal:
            payload["principal"] = principal
        if cap_seconds is not None:
            payload["cap_seconds"] = cap_seconds
        return int(self.call("expire", payload)["expired"])

    def approve_device_code(
        self, user_code: str | None = None, device_code: str | None = None
    ) -> bool:
        return bool(
            self.call("sso/approve", {"user_code": user_code, "device_code": device_code})[
                "approved"
            ]
        )

    def sso_device(self, user_code: str, what: str, count: int = 1) -> bool:
        """``what``: deny (the user refuses), slow_down (``count`` polls), expire (the code)."""
        return bool(self.call("sso/device", {"user_code": user_code, "what": what,
                                             "count": count})["found"])

    def expire_sso_tokens(self) -> None:
        self.call("sso/expire_tokens", {})

    def sessions(self) -> list[dict[str, Any]]:
        return list(self.call("sessions")["sessions"])

    def map_port(
        self, port: int, host_port: int, target: str = "*", host: str = "127.0.0.1"
    ) -> None:
        """Route ``target``:``port`` (or remote ``host``:``port`` by name) to a real local port."""
        self.call("ports", {"target": target, "port": port, "host_port": host_port, "host": host})

    def set_idle_timeout(self, seconds: float | None) -> None:
        """Session Manager's idle timeout for port-forwarding sessions (None: never)."""
        self.call("idle_timeout", {"seconds": seconds})

    def hang_plugins(self, count: int = 1) -> None:
        """The next `count` port-forwarding plugins hang before printing their Port line,
        as the real one sometimes does (session-manager-plugin#47)."""
        self.call("plugin_hangs", {"count": count})

    def register_node(self, instance_id: str, region: str = "us-east-1", **info: Any) -> None:
        """Make `instance_id` an SSM-managed node (tags=..., ping=..., agent_version=...)."""
        self.call("nodes", {"instance_id": instance_id, "region": region, **info})
    def set_latency(self, seconds: float) -> None:
        """Add `seconds` to every AWS request (until the next reset), like a far region."""
        self.call("latency", {"seconds": seconds})

    def set_ping(self, instance_id: str, ping: str) -> None:
        self.call("ping", {"instance_id": instance_id, "ping": ping})

    def advance_clock(self, seconds: float) -> float:
        """Move the sandbox clock forward (EC2 Instance Connect's 60 s key lifetime)."""
        return float(self.call("clock", {"advance": seconds})["offset"])

    def eic_pushes(self) -> list[dict[str, Any]]:
        """Keys pushed with SendSSHPublicKey since the last reset (public keys, ages)."""
        return list(self.call("eic/pushes")["pushes"])

    def register_user(self, name: str, access_key_id: str, secret: str, **extra: Any) -> str:
        return str(
            self.call(
                "users", {"name": name, "access_key_id": access_key_id, "secret": secret, **extra}
            )["arn"]
        )


@dataclass
class Sandbox:
    workdir: Path
    endpoints: dict[str, Any]
    process: subprocess.Popen[bytes]
    control: Control
    fleet: Fleet
    sshd: SshServer | None
    plugin_dir: Path
    plugin_log: Path
    timings: dict[str, float] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    identities: dict[str, Identity] = field(default_factory=lambda: dict(IDENTITIES))
    mfa_serial: str = MFA_SERIAL
    operator_role_arn: str = OPERATOR_ROLE
    admin_role_arn: str = ADMIN_ROLE
    region: str = DEFAULT_REGION
    sso_start_url: str = SSO_START_URL

    @property
    def gateway(self) -> str:
        return str(self.endpoints["gateway"])

    @property
    def gateway_tls(self) -> str:
        """The gateway over HTTPS; its certificate is signed by `tls_ca` only."""
        return str(self.endpoints["gateway_tls"])

    @property
    def tls_ca(self) -> Path:
        return Path(self.endpoints["tls_ca"])

    def https_env(self, bundle: Path, system_cas: Path | None = None) -> dict[str, str]:
        """Settings for reaching the sandbox over HTTPS as a managed machine would:
        `AWS_CA_BUNDLE` = `bundle`, written as the system CAs plus the sandbox CA (a real
        corporate bundle is the same: the public roots plus the inspecting proxy's CA)."""
        parts = [system_cas.read_text()] if system_cas is not None else []
        bundle.write_text("".join([*parts, self.tls_ca.read_text()]))
        env = {f"AWS_ENDPOINT_URL_{service}": self.gateway_tls
               for service in SERVICES_WITH_ENDPOINTS}
        env["AWS_CA_BUNDLE"] = str(bundle)
        return env

    @property
    def profiles(self) -> list[str]:
        return ["default", "mfa", "jumpbox-only", "role", "role-mfa", "expired", "unknown", "sso"]

    def totp(self, serial: str = MFA_SERIAL, at: float | None = None) -> str:
        if serial != MFA_SERIAL:
            raise KeyError(serial)
        return _totp.now(MFA_SECRET, at)

    def plugin_records(self) -> list[dict[str, Any]]:
        if not self.plugin_log.exists():
            return []
        return [
            json.loads(line) for line in self.plugin_log.read_text().splitlines() if line.strip()
        ]

    # --- the standard settings --------------------------------------------------------------

    def write_aws_files(self, home: Path) -> tuple[Path, Path]:
        aws = home / ".aws"
        aws.mkdir(parents=True, exist_ok=True)
        ids = self.identities
        config = aws / "config"
        config.write_text(
            f"""# Written by the Gangway sandbox: every profile points at local stand-ins.
[default]
region = {DEFAULT_REGION}
output = json

[profile mfa]
region = {DEFAULT_REGION}
mfa_serial = {MFA_SERIAL}

[profile jumpbox-only]
region = {DEFAULT_REGION}

[profile role]
region = {DEFAULT_REGION}
role_arn = {OPERATOR_ROLE}
source_profile = default

[profile role-mfa]
region = {DEFAULT_REGION}
role_arn = {ADMIN_ROLE}
source_profile = mfa
mfa_serial = {MFA_SERIAL}

[profile expired]
region = {DEFAULT_REGION}

[profile unknown]
region = {DEFAULT_REGION}

[profile sso]
region = {DEFAULT_REGION}
sso_session = sandbox
sso_account_id = {ACCOUNT_ID}
sso_role_name = AdministratorAccess

[sso-session sandbox]
sso_start_url = {SSO_START_URL}
sso_region = {DEFAULT_REGION}
sso_registration_scopes = sso:account:access
"""
        )
        blocks = []
        for name in ("default", "mfa", "jumpbox-only", "expired", "unknown"):
            ident = ids[name]
            block = f"[{name}]\naws_access_key_id = {ident.access_key_id}\naws_secret_access_key = {ident.secret_access_key}\n"
            if ident.session_token:
                block += f"aws_session_token = {ident.session_token}\n"
            blocks.append(block)
        credentials = aws / "credentials"
        credentials.write_text("\n".join(blocks))
        for p in (config, credentials):
            p.chmod(0o600)
        return config, credentials

    def env_for(self, home: Path) -> dict[str, str]:
        """The standard settings (and only those) pointing an unmodified app at the sandbox."""
        env = {
            "HOME": str(home),
            "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "PATH": os.pathsep.join([str(self.plugin_dir), os.environ.get("PATH", os.defpath)]),
            "GANGWAY_HOME": str(home / ".gangway"),
            "GANGWAY_SANDBOX_PLUGIN_LOG": str(self.plugin_log),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_STATE_HOME": str(home / ".local" / "state"),
            "XDG_RUNTIME_DIR": str(home / ".runtime"),
        }
        for service in SERVICES_WITH_ENDPOINTS:
            env[f"AWS_ENDPOINT_URL_{service}"] = self.gateway
        return env

    def prepare_home(self, home: Path) -> dict[str, str]:
        """Create ``home`` with AWS files and XDG dirs; return (and remember) its environment."""
        self.write_aws_files(home)
        env = self.env_for(home)
        for key in (
            "XDG_CONFIG_HOME",
            "XDG_DATA_HOME",
            "XDG_CACHE_HOME",
            "XDG_STATE_HOME",
            "GANGWAY_HOME",
        ):
            Path(env[key]).mkdir(parents=True, exist_ok=True)
        runtime = Path(env["XDG_RUNTIME_DIR"])
        runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.env = env
        return env

    @staticmethod
    def scrubbed_environ(base: dict[str, str] | None = None) -> dict[str, str]:
        """``base`` (default os.environ) without any real AWS_* setting that could leak in."""
        source = dict(os.environ if base is None else base)
        return {k: v for k, v in source.items() if not k.startswith("AWS_")}

    def reset(self) -> None:
        self.control.reset()
        self.plugin_log.write_text("")

    def stop(self) -> None:
        if self.sshd is not None:
            self.sshd.stop()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdin:
            self.process.stdin.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- start-up ---------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        workdir: Path,
        fleet_size: int = DEFAULT_SIZE,
        regions: tuple[str, ...] = DEFAULT_REGIONS,
        seed: int = 1,
        with_sshd: bool = True,
        timeout: float = 30.0,
    ) -> Sandbox:
        t0 = time.perf_counter()
        workdir.mkdir(parents=True, exist_ok=True)
        state_dir = workdir / "server"
        if state_dir.exists():
            shutil.rmtree(state_dir)
        server_log = (workdir / "server.log").open("ab")
        env = cls.scrubbed_environ()
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.sandbox.server",
                "--state-dir",
                str(state_dir),
                "--watch-stdin",
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,  # the server exits when this pipe closes (i.e. when we die)
            stdout=server_log,
            stderr=server_log,
        )
        server_log.close()
        sshd: SshServer | None = None
        try:
            timings: dict[str, float] = {}
            if with_sshd:
                t = time.perf_counter()
                sshd = start_sshd(workdir / "sshd")
                timings["sshd"] = time.perf_counter() - t
            endpoints = _wait_for_endpoints(state_dir / "endpoints.json", proc, timeout, workdir)
            timings["server"] = time.perf_counter() - t0
            control = Control(endpoints["control"])
            t = time.perf_counter()
            _register_identities(control)
            fleet_json = control.call(
                "fleet", {"size": fleet_size, "regions": list(regions), "seed": seed}
            )
            fleet = Fleet.from_json(fleet_json)
            timings["seed_in_server"] = fleet.seed_seconds
            timings["seed_call"] = time.perf_counter() - t
            if sshd is not None:
                control.map_port(22, sshd.port)
                sshd.set_gateway(endpoints["gateway"])
            control.call("snapshot", {})  # what control.reset() returns to before each test
            plugin_dir = workdir / "bin"
            plugin_dir.mkdir(exist_ok=True)
            _install_plugin(plugin_dir)
            plugin_log = workdir / "plugin-invocations.jsonl"
            plugin_log.write_text("")
            timings["total"] = time.perf_counter() - t0
            sandbox = cls(
                workdir, endpoints, proc, control, fleet, sshd, plugin_dir, plugin_log, timings
            )
            (workdir / "timings.json").write_text(json.dumps(timings, indent=2))
            return sandbox
        except BaseException:
            if sshd is not None:
                sshd.stop()
            proc.terminate()
            proc.wait(timeout=10)
            if proc.stdin:
                proc.stdin.close()
            raise


def _wait_for_endpoints(
    path: Path, proc: subprocess.Popen[bytes], timeout: float, workdir: Path
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return dict(json.loads(path.read_text()))
        if proc.poll() is not None:
            log = (workdir / "server.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"sandbox server exited with {proc.returncode}:\n{log}")
        time.sleep(0.02)
    raise TimeoutError(f"sandbox server did not write {path} within {timeout}s")


def _register_identities(control: Control) -> None:
    ids = IDENTITIES
    control.register_user("alice", ids["default"].access_key_id, ids["default"].secret_access_key)
    control.register_user(
        "bob",
        ids["mfa"].access_key_id,
        ids["mfa"].secret_access_key,
        require_mfa=True,
        mfa_serial=MFA_SERIAL,
        mfa_secret=MFA_SECRET,
    )
    carol = control.register_user(
        "carol", ids["jumpbox-only"].access_key_id, ids["jumpbox-only"].secret_access_key
    )
    control.set_simulate_rule(carol, JUMPBOX_RULE, baseline=True)
    expired = ids["expired"]
    control.call(
        "keys",
        {
            "user": "alice",
            "access_key_id": expired.access_key_id,
            "secret": expired.secret_access_key,
            "session_token": expired.session_token,
            "expires_in": -3600,
        },
    )
    control.call("roles", {"name": "gangway-operator"})
    control.call("roles", {"name": "gangway-admin", "require_mfa": True})


def _install_plugin(bin_dir: Path) -> Path:
    """Copy the stand-in with this interpreter as its shebang (the venv's, whatever PATH says)."""
    target = bin_dir / "session-manager-plugin"
    body = PLUGIN_SOURCE.read_text().split("\n", 1)[1]
    target.write_text(f"#!{sys.executable}\n{body}")
    target.chmod(0o755)
    return target
