"""A real OpenSSH server on 127.0.0.1:<random port>, key-only, for the managed nodes' port 22.

Works as root (sshd privilege separation needs ``/run/sshd``) and as a normal user (sshd then
only lets that same user in, which is the user we log in as).
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SSHD = "/usr/sbin/sshd"
EIC_COMMAND = Path(__file__).resolve().parent / "eic" / "eic_run_authorized_keys"
EIC_RUNAS = "nobody"  # EC2 uses a dedicated "ec2-instance-connect" user


class SshdUnavailable(RuntimeError):
    """sshd or ssh-keygen is not installed."""


@dataclass
class SshServer:
    port: int
    user: str
    client_key: Path
    known_hosts: Path
    known_hosts_line: str
    host_key_pub: str
    log_path: Path
    process: subprocess.Popen[bytes]
    eic_dir: Path | None = None  # the AuthorizedKeysCommand's root-owned directory (root only)

    def set_gateway(self, url: str) -> None:
        """Where the AuthorizedKeysCommand asks for pushed keys (known once the server runs)."""
        if self.eic_dir is not None:
            target = self.eic_dir / "gateway"
            target.write_text(url + "\n")
            target.chmod(0o644)

    def known_hosts_line_for(self, port: int, host: str = "127.0.0.1") -> str:
        """The known_hosts line for this server reached at another address (e.g. a tunnel)."""
        return f"[{host}]:{port} {self.host_key_pub}"

    def ssh_base_argv(self, known_hosts: Path | None = None) -> list[str]:
        """ssh options that trust exactly this server and use the sandbox client key."""
        return [
            "ssh",
            "-F",
            "none",
            "-i",
            str(self.client_key),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            f"UserKnownHostsFile={known_hosts or self.known_hosts}",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=10",
            "-l",
            self.user,
        ]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.eic_dir is not None:
            shutil.rmtree(self.eic_dir, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _keygen(path: Path, comment: str) -> None:
    # Throwaway keys: a workdir reused by `make demo` keeps the last run's, and ssh-keygen
    # would ask "Overwrite (y/n)?" (and fail with stdin closed). Make fresh ones every start.
    for old in (path, path.with_suffix(".pub")):
        old.unlink(missing_ok=True)
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
    )


def _install_eic_command() -> Path | None:
    """The AuthorizedKeysCommand in a root-owned 0755 directory chain (sshd checks every
    component, so not under /tmp); None when not root or no system python3 to run it."""
    python = Path("/usr/bin/python3")
    if os.geteuid() != 0 or not python.exists():
        return None
    try:
        import pwd

        pwd.getpwnam(EIC_RUNAS)
    except KeyError:
        return None
    base = Path("/run")
    folder = Path(tempfile.mkdtemp(prefix="gangway-sandbox-eic-", dir=base))
    folder.chmod(0o755)
    target = folder / EIC_COMMAND.name
    body = EIC_COMMAND.read_text().split("\n", 1)[1]
    target.write_text(f"#!{python} -IS\n{body}")
    target.chmod(0o755)
    return folder


def start_sshd(workdir: Path, timeout: float = 10.0) -> SshServer:
    if not Path(SSHD).exists() or shutil.which("ssh-keygen") is None:
        raise SshdUnavailable(
            f"{SSHD} or ssh-keygen not installed (apt-get install openssh-server)"
        )
    workdir.mkdir(parents=True, exist_ok=True)
    host_key = workdir / "ssh_host_ed25519_key"
    client_key = workdir / "client_ed25519"
    _keygen(host_key, "sandbox-host")
    _keygen(client_key, "sandbox-client")
    authorized = workdir / "authorized_keys"
    authorized.write_text((client_key.with_suffix(".pub")).read_text())
    authorized.chmod(0o600)
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege-separation directory
    user = getpass.getuser()
    eic_dir = _install_eic_command()
    eic_lines = (
        [
            f"AuthorizedKeysCommand {eic_dir / EIC_COMMAND.name} %u %f",
            f"AuthorizedKeysCommandUser {EIC_RUNAS}",
        ]
        if eic_dir is not None
        else []
    )
    # A port race with another process is possible but rare; retry once on bind failure.
    for _attempt in range(3):
        port = _free_port()
        config = workdir / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    f"Port {port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {host_key}",
                    f"PidFile {workdir / 'sshd.pid'}",
                    f"AuthorizedKeysFile {authorized}",
                    *eic_lines,
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "PermitRootLogin prohibit-password",
                    "StrictModes no",
                    "UsePAM no",
                    "AllowTcpForwarding yes",
                    "PermitTTY yes",
                    "X11Forwarding no",
                    "PrintMotd no",
                    "LogLevel VERBOSE",
                    "MaxStartups 100:30:200",
                    "MaxSessions 100",
                    f"Subsystem sftp {_sftp_server()}",
                    "",
                ]
            )
        )
        log_path = workdir / "sshd.log"
        log = log_path.open("ab")
        proc = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # our own process group; Ctrl-C in a terminal won't race us
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                    if s.recv(64).startswith(b"SSH-"):
                        break
            except OSError:
                time.sleep(0.05)
        if proc.poll() is None:
            pub = (host_key.with_suffix(".pub")).read_text().split()
            line = f"[127.0.0.1]:{port} {pub[0]} {pub[1]}"
            known_hosts = workdir / "known_hosts"
            known_hosts.write_text(line + "\n")
            return SshServer(
                port,
                user,
                client_key,
                known_hosts,
                line,
                f"{pub[0]} {pub[1]}",
                log_path,
                proc,
                eic_dir,
            )
    if eic_dir is not None:
        shutil.rmtree(eic_dir, ignore_errors=True)
    raise RuntimeError(f"sshd did not start; see {workdir / 'sshd.log'}")


def _sftp_server() -> str:
    for candidate in (
        "/usr/lib/openssh/sftp-server",
        "/usr/libexec/openssh/sftp-server",
        "/usr/libexec/sftp-server",
    ):
        if Path(candidate).exists():
            return candidate
    return "internal-sftp"
