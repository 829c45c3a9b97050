"""ssh -L tunnels against the sandbox: the supervisor runs a real OpenSSH client whose
ProxyCommand is a real `gangway proxy` (plugin stand-in -> the sandbox's real sshd), which
forwards to the real HTTP server (127.0.0.1 as the sshd sees it). Nothing is mocked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from app.core.aws.credentials.source import CliCredentialSource
from app.core.paths import Paths
from app.core.ssh.argv import HostKeyPolicy, SshOptions
from app.core.ssh.ephemeral import EphemeralKey
from app.core.tunnels.live import Policy
from app.core.tunnels.opener import SeamOpener
from app.core.tunnels.spec import Mode, TunnelError, TunnelSpec
from app.core.tunnels.sshforward import SshSetup
from app.core.tunnels.states import TunnelState
from app.core.tunnels.supervisor import TunnelSupervisor
from tests.conftest import AwsEnv, require_program
from tests.core.tunnel_helpers import Recorder, http_get, records_path, wait_until
from tests.sandbox.services import free_port
from tests.sandbox.sshd import SshServer

pytestmark = [pytest.mark.linux_only, pytest.mark.needs_program("ssh")]

GANGWAY = (sys.executable, "-m", "app")


def ssh_children(pid: int) -> list[psutil.Process]:
    """Live `ssh` processes below `pid` (any depth), and the proxies they run."""
    out = []
    try:
        kids = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []
    for k in kids:
        try:
            if k.status() != psutil.STATUS_ZOMBIE and (
                    k.name() == "ssh" or " proxy " in " ".join(k.cmdline())):
                out.append(k)
        except psutil.Error:
            continue
    return out


def user_config(tmp_path: Path, sshd: SshServer, *, key: bool = True) -> SshOptions:
    """What a user's own ssh config says: the login name, (a key,) and the host key trusted
    for every host (a proxied host is named by its instance id)."""
    known = tmp_path / "known_hosts"
    known.write_text(f"* {sshd.host_key_pub}\n")
    lines = ["Host *", f"  User {sshd.user}", f"  UserKnownHostsFile {known}"]
    if key:
        lines += [f"  IdentityFile {sshd.client_key}", "  IdentitiesOnly yes"]
    cfg = tmp_path / "ssh_config"
    cfg.write_text("\n".join(lines) + "\n")
    return SshOptions(config_file=str(cfg), known_hosts=HostKeyPolicy.STRICT)


def supervisor_for(setup: SshSetup, tmp_path: Path) -> TunnelSupervisor:
    opener = SeamOpener(CliCredentialSource(Paths.default()), ssh=setup)
    return TunnelSupervisor(opener, records=records_path(tmp_path),
                            policy=Policy(wake_check=3600, backoff_first=0.2))


@pytest.fixture
def sup(aws_env: AwsEnv, sshd: SshServer, tmp_path: Path
        ) -> Iterator[tuple[TunnelSupervisor, Recorder]]:
    supervisor = supervisor_for(SshSetup(gangway=GANGWAY, base=user_config(tmp_path, sshd)),
                                tmp_path)
    rec = Recorder()
    supervisor.subscribe(rec)
    supervisor.start()
    try:
        yield supervisor, rec
    finally:
        supervisor.close()
    assert ssh_children(os.getpid()) == []


def ssh_spec(http_port: int, **kw: object) -> TunnelSpec:
    fields: dict[str, object] = {"name": "web-ssh", "profile": "default",
                                 "target": "web-1.prod", "remote_port": http_port,
                                 "remote_host": "127.0.0.1", "mode": Mode.SSH,
                                 "local_port": free_port()}
    fields.update(kw)
    return TunnelSpec(**fields).validate()  # type: ignore[arg-type]


def test_curl_through_ssh_l_then_kill_ssh_then_stop(
        sup: tuple[TunnelSupervisor, Recorder], http_server: int, aws_env: AwsEnv) -> None:
    curl = require_program("curl")
    supervisor, rec = sup
    spec = ssh_spec(http_server, open="http://localhost:{port}/")
    supervisor.up(spec)
    # The first request is held while ssh (and its proxy, and the plugin) start.
    out = subprocess.run([curl, "-sS", "--max-time", "60", spec.open_text() + "first"],
                         capture_output=True, text=True, check=False)
    assert out.stdout == f"hello from {http_server} path=/first\n", out.stderr
    up = rec.wait_state(supervisor, "web-ssh", TunnelState.LISTENING)
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    assert up.instance_id == node.instance_id  # resolved by the tunnels' rule, given to ssh
    [ssh] = [p for p in ssh_children(os.getpid()) if p.name() == "ssh"]
    argv = ssh.cmdline()
    assert argv[-2:] == ["--", node.instance_id]
    assert argv[argv.index("-L") + 1] == f"127.0.0.1:{up.plugin_port}:127.0.0.1:{http_server}"
    assert {"-N", "ExitOnForwardFailure=yes", "BatchMode=yes"} <= set(argv)
    proxy = next(a for a in argv if a.startswith("ProxyCommand="))
    assert " proxy --profile default --region us-east-1 " in proxy and "--push-key" not in proxy
    # The proxy started an SSH session (the SSM session is the proxy's own).
    ssh_sessions = [s for s in aws_env.sandbox.control.sessions()
                    if s["DocumentName"] == "AWS-StartSSHSession"]
    assert [s["Target"] for s in ssh_sessions] == [node.instance_id]
    # The log has ssh's state changes, not its -v debug chatter.
    log = supervisor.log("web-ssh")
    assert any("ssh -L to " + node.instance_id in ln.text for ln in log)
    assert not any(ln.text.startswith("debug") for ln in log)

    # Kill ssh: the very next connection is held and served by a new ssh.
    ssh.send_signal(signal.SIGKILL)
    assert http_get(spec.local_port, "/after-kill") == \
        f"hello from {http_server} path=/after-kill\n".encode()
    rec.wait_state(supervisor, "web-ssh", TunnelState.LISTENING)
    [again] = [p for p in ssh_children(os.getpid()) if p.name() == "ssh"]
    assert again.pid != ssh.pid

    # Stop: no ssh and no proxy left, the port is free, the proxy ended its sessions.
    supervisor.down("web-ssh")
    assert supervisor.status("web-ssh").state is TunnelState.OFF
    assert ssh_children(os.getpid()) == []
    wait_until(lambda: all(s["Status"] == "Terminated"
                           for s in aws_env.sandbox.control.sessions()
                           if s["DocumentName"] == "AWS-StartSSHSession"), timeout=30)
    with pytest.raises(ConnectionRefusedError):
        http_get(spec.local_port)


def test_ssh_user_from_the_spec_and_a_port_on_the_instance(
        aws_env: AwsEnv, sshd: SshServer, http_server: int, tmp_path: Path) -> None:
    """No User in the config: the spec's ssh_user logs in; no remote host: localhost."""
    base = user_config(tmp_path, sshd)
    cfg = Path(base.config_file or "")
    cfg.write_text("\n".join(ln for ln in cfg.read_text().splitlines()
                             if not ln.strip().startswith("User ")) + "\n")
    supervisor = supervisor_for(SshSetup(gangway=GANGWAY, base=base), tmp_path)
    supervisor.start()
    try:
        spec = ssh_spec(http_server, remote_host="", ssh_user=sshd.user)
        supervisor.up(spec)
        assert http_get(spec.local_port, "/u") == f"hello from {http_server} path=/u\n".encode()
        [ssh] = [p for p in ssh_children(os.getpid()) if p.name() == "ssh"]
        argv = ssh.cmdline()
        assert f"User={sshd.user}" in argv
        assert argv[argv.index("-L") + 1].endswith(f":localhost:{http_server}")
    finally:
        supervisor.close()
    assert ssh_children(os.getpid()) == []


def test_a_refused_key_fails_with_ssh_s_words(
        aws_env: AwsEnv, sshd: SshServer, tmp_path: Path) -> None:
    """No usable key: ssh's own reason is the tunnel's problem, and it retries (backoff)."""
    base = user_config(tmp_path, sshd, key=False)
    setup = SshSetup(gangway=GANGWAY, base=SshOptions(
        config_file=base.config_file, known_hosts=HostKeyPolicy.STRICT,
        identity_file=str(tmp_path / "no-such-key"), identities_only=True))
    supervisor = supervisor_for(setup, tmp_path)
    rec = Recorder()
    supervisor.subscribe(rec)
    supervisor.start()
    env_agent = os.environ.pop("SSH_AUTH_SOCK", None)
    try:
        supervisor.up(ssh_spec(8080))
        rec.wait(lambda: any(s.problem is not None and "Permission denied" in s.problem.message
                             for s in rec.statuses if s.name == "web-ssh"), timeout=60)
        assert supervisor.status("web-ssh").state in (TunnelState.RECONNECTING,
                                                      TunnelState.STARTING, TunnelState.FAILED)
    finally:
        if env_agent is not None:
            os.environ["SSH_AUTH_SOCK"] = env_agent
        supervisor.close()
    assert ssh_children(os.getpid()) == []


@pytest.mark.parametrize("field,value", [
    ("ssh_user", "-oProxyCommand=touch /tmp/gw-pwned"),
    ("ssh_user", "root;touch /tmp/gw-pwned"),
    ("remote_host", "-oProxyCommand=touch /tmp/gw-pwned"),
    ("remote_host", "a b"),
    ("remote_host", "host:22:evil"),
])
def test_hostile_ssh_fields_are_refused_before_anything_runs(field: str, value: str) -> None:
    with pytest.raises(TunnelError) as err:
        ssh_spec(8080, **{field: value})
    assert err.value.message
    assert not Path("/tmp/gw-pwned").exists()


def test_a_hostile_target_runs_no_ssh(
        sup: tuple[TunnelSupervisor, Recorder], aws_env: AwsEnv) -> None:
    supervisor, rec = sup
    supervisor.up(ssh_spec(8080, target="$(touch /tmp/gw-pwned2)"))
    rec.wait(lambda: any(s.problem is not None for s in rec.statuses if s.name == "web-ssh"))
    problem = next(s.problem for s in rec.statuses if s.problem is not None)
    assert "$(touch /tmp/gw-pwned2)" in problem.message, problem
    assert [p for p in ssh_children(os.getpid()) if p.name() == "ssh"] == []
    assert not Path("/tmp/gw-pwned2").exists()


def test_keyless_pushes_the_ephemeral_key(
        aws_env: AwsEnv, sshd: SshServer, http_server: int, tmp_path: Path) -> None:
    """The keyless setting on: no key of the user's; the proxy pushes Gangway's for ssh's
    remote user, and the real sshd's AuthorizedKeysCommand lets it in."""
    if sshd.eic_dir is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("the sandbox sshd has no AuthorizedKeysCommand (CI must run as root)")
        pytest.skip("the sandbox sshd's AuthorizedKeysCommand needs root")
    base = user_config(tmp_path, sshd, key=False)
    keys = EphemeralKey(Paths.default().data_dir)
    setup = SshSetup(keyless=lambda: True, keys=keys, gangway=GANGWAY, base=base)
    supervisor = supervisor_for(setup, tmp_path)
    supervisor.start()
    env_agent = os.environ.pop("SSH_AUTH_SOCK", None)
    try:
        spec = ssh_spec(http_server)
        supervisor.up(spec)
        assert http_get(spec.local_port, "/k") == f"hello from {http_server} path=/k\n".encode()
        node = aws_env.sandbox.fleet.by_name("web-1.prod")
        pushes = [p for p in aws_env.sandbox.control.eic_pushes()
                  if p["instance_id"] == node.instance_id]
        pair = keys.load()
        assert pair is not None
        assert [(p["os_user"], p["key"]) for p in pushes] == [
            (sshd.user, pair.public_key.rsplit(" ", 1)[0])]
        [ssh] = [p for p in ssh_children(os.getpid()) if p.name() == "ssh"]
        assert any("--push-key=" in a for a in ssh.cmdline())
    finally:
        if env_agent is not None:
            os.environ["SSH_AUTH_SOCK"] = env_agent
        supervisor.close()
    assert ssh_children(os.getpid()) == []


OWNER = """
import sys, threading
from pathlib import Path
from app.core.aws.credentials.source import CliCredentialSource
from app.core.paths import Paths
from app.core.ssh.argv import HostKeyPolicy, SshOptions
from app.core.tunnels.live import Policy
from app.core.tunnels.opener import SeamOpener
from app.core.tunnels.spec import Mode, TunnelSpec
from app.core.tunnels.sshforward import SshSetup
from app.core.tunnels.states import TunnelState
from app.core.tunnels.supervisor import TunnelSupervisor

cfg, http_port, local_port, records = sys.argv[1:]
setup = SshSetup(gangway=(sys.executable, "-m", "app"),
                 base=SshOptions(config_file=cfg, known_hosts=HostKeyPolicy.STRICT))
sup = TunnelSupervisor(SeamOpener(CliCredentialSource(Paths.default()), ssh=setup),
                       records=Path(records), policy=Policy(wake_check=3600))
up = threading.Event()

class Watch:
    def tunnel_changed(self, status):
        if status.state is TunnelState.LISTENING:
            up.set()
    def tunnel_log(self, line):
        pass

sup.subscribe(Watch())
sup.start()
sup.up(TunnelSpec(name="t", profile="default", target="web-1.prod", mode=Mode.SSH,
                  remote_host="127.0.0.1", remote_port=int(http_port),
                  local_port=int(local_port)).validate())
up.wait(60)
print("ready", flush=True)
threading.Event().wait()
"""


def test_kill_9_of_the_owner_leaves_no_ssh_and_the_record_is_reaped(
        aws_env: AwsEnv, sshd: SshServer, http_server: int, tmp_path: Path) -> None:
    base = user_config(tmp_path, sshd)
    script = tmp_path / "owner.py"
    script.write_text(OWNER)
    port, records = free_port(), records_path(tmp_path)
    with subprocess.Popen([sys.executable, str(script), str(base.config_file),
                           str(http_server), str(port), str(records)],
                          stdout=subprocess.PIPE, text=True, cwd=Path.cwd()) as owner:
        try:
            assert owner.stdout is not None and owner.stdout.readline().strip() == "ready"
            assert http_get(port, "/o") == f"hello from {http_server} path=/o\n".encode()
            [ssh] = [p for p in ssh_children(owner.pid) if p.name() == "ssh"]
            wait_until(lambda: str(ssh.pid) in records.read_text())  # written while it runs
            owner.kill()  # kill -9: no clean-up code runs
            owner.wait(10)
            wait_until(lambda: not ssh.is_running() or ssh.status() == psutil.STATUS_ZOMBIE)
        finally:
            if owner.poll() is None:
                owner.kill()
    # The next start finds the dead owner's record and has nothing left to stop.
    assert supervisor_for(SshSetup(gangway=GANGWAY), tmp_path).start() == []
    assert str(ssh.pid) not in records.read_text()


def test_the_reaper_knows_a_left_behind_tunnel_ssh_and_its_proxy(tmp_path: Path) -> None:
    """A real ssh with the tunnels' argv (its proxy a stand-in that never answers), recorded
    by an owner that died: the next start kills its group, proxy included. A plain ssh is
    never taken for one."""
    import json
    import time

    from app.core.ssh.argv import forward_argv
    from app.core.tunnels.reaper import Reaper

    stuck = f"{sys.executable} -c 'import time; time.sleep(600)'"
    argv = forward_argv("i-0123456789abcdef0", SshOptions(proxy_command=stuck,
                                                          config_file="/dev/null"),
                        free_port(), "localhost", 8080)
    left = subprocess.Popen(argv, start_new_session=True, stdin=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    plain = subprocess.Popen(["ssh", "-F", "/dev/null", "-o", f"ProxyCommand={stuck}",
                              "i-0123456789abcdef0"], start_new_session=True,
                             stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: any(" -c " in " ".join(k.cmdline())
                               for k in psutil.Process(left.pid).children()))
        proxy = psutil.Process(left.pid).children()[0]
        time.sleep(0.2)
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        path = tmp_path / "children.json"
        path.write_text(json.dumps({"schema_version": 1, "children": [
            {"pid": p.pid, "started": psutil.Process(p.pid).create_time(), "tunnel": "t",
             "session_id": "", "owner": dead.pid, "owner_started": 1.0}
            for p in (left, plain)]}))
        assert Reaper(path).reap() == [left.pid]
        assert left.wait(10) == -9
        wait_until(lambda: not proxy.is_running() or proxy.status() == psutil.STATUS_ZOMBIE)
        assert plain.poll() is None  # not a tunnel's ssh: never touched
    finally:
        for p in (left, plain):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()
