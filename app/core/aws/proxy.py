"""`gangway proxy` and `gangway session`: StartSession with boto3, then the plugin, then cleanup.

Under ssh (ProxyCommand) stdin/stdout are ssh's channel: this module never reads stdin or
writes stdout; the plugin inherits both. Errors become one line on stderr (in the verb).

    code = run(ProxyRequest(profile="prod", region=None, host="web-1.prod", port=22))

The pieces (`resolve_target`, `run_plugin`) are reused by a tunnel supervisor.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Any

from app.core.aws import fast_ssm, ssm_sessions
from app.core.aws.session import client, translate
from app.core.errors import AwsError, GangwayError, PluginNotFoundError, ProfileError

if TYPE_CHECKING:
    import boto3

INSTANCE_ID = re.compile(r"(?:i-[0-9a-f]{8}(?:[0-9a-f]{9})?|mi-[0-9a-f]{17})")
_LIVE_STATES = ["pending", "running", "stopping", "stopped"]


@dataclass(frozen=True)
class ProxyRequest:
    profile: str
    region: str | None
    host: str  # instance id, or a Name tag (resolved)
    port: int | None = 22  # None: not an SSH session (a shell or a custom document)
    document: str | None = ssm_sessions.SSH_DOCUMENT
    parameters: Mapping[str, Sequence[str]] | None = None
    reason: str | None = None


def _managed_service(profiles: Any, profile: str) -> Any:
    """A CredentialService for a profile Gangway manages, with the window asked first.

    Cached temporary credentials from the keyring first; on a cache miss the running window
    is asked over IPC (it shows its MFA dialog), else a standalone MFA dialog.
    """
    from app.core.aws import mfa
    from app.core.aws.credentials import CredentialService
    from app.core.paths import Paths
    from app.core.secrets import open_secret_store

    service = CredentialService(open_secret_store(), loader=lambda: profiles,
                                prompt=mfa.dialog_prompt)
    if service.cached(profile) is None:
        paths = Paths.default()
        with mfa.profile_lock(paths, profile):
            if service.cached(profile) is None:
                creds = mfa.ask_window(paths, profile)
                if creds is not None:
                    service.remember(profile, creds)
    return service


def _session_for(profile: str, region: str | None) -> boto3.Session:
    """The one seam where credentials come from: Gangway's CredentialService.

    Profiles Gangway manages (MFA, roles) go through `_managed_service`. SSO and plain
    profiles use botocore's own chain, exactly as CredentialService does, without opening
    the keyring (ssh waits on this path).
    """
    from app.core.aws.profiles import load_profiles
    from app.core.aws.resolve import managed

    profiles = load_profiles()
    prof = profiles.get(profile)
    if prof is None:
        raise ProfileError(f"Profile '{profile}' was not found.",
                           "Check the name in the Profiles pane or ~/.aws/config.")
    if not managed(prof):
        from app.core.aws.session import new_session

        session = new_session(profile)
        if region and region != session.region_name:
            import boto3

            session = boto3.Session(botocore_session=session._session, region_name=region)
        return session
    service = _managed_service(profiles, profile)
    result: boto3.Session = service.session(profile, region=region)
    return result


def _fast_plan(profile: str, region: str | None) -> fast_ssm.Plan | None:
    """Credentials, region and endpoint for a boto3-free StartSession, or None (use boto3).

    Plain key profiles read their keys from the files; profiles Gangway manages use the
    CredentialService (a keyring cache hit needs no boto3). SSO, credential_process and
    anything unusual go the boto3 way.
    """
    from app.core.aws.profiles import ProfileKind, load_profiles
    from app.core.aws.resolve import managed

    profiles = load_profiles()
    prof = profiles.get(profile)
    if prof is None or prof.error:
        return None
    region = (region or os.environ.get("AWS_DEFAULT_REGION") or prof.region
              or os.environ.get("AWS_REGION"))
    if not region:
        return None
    endpoint = fast_ssm.endpoint_for(region, dict(prof.fields))
    if endpoint is None:
        return None
    ec2 = fast_ssm.endpoint_for(region, dict(prof.fields), "ec2")
    if prof.kind is ProfileKind.STATIC:
        keys = profiles.file_keys(profile)
        if keys is None:
            return None
        return fast_ssm.Plan(region, endpoint, keys[0], keys[1], keys[2] or None, ec2)
    if managed(prof):
        creds = _managed_service(profiles, profile).get(profile)
        return fast_ssm.Plan(region, endpoint, creds.access_key_id, creds.secret_access_key,
                             creds.session_token, ec2)
    return None


session_for = _session_for  # the public name other verbs use


def resolve_target(session: boto3.Session, region: str, host: str) -> str:
    """An instance id for `host`: itself if it is one, else the instance whose Name tag it is.

    EC2 first (DescribeInstances, tag:Name), then hybrid nodes (DescribeInstanceInformation,
    tag:Name). Several matches -> prefer running ones; still several -> an error listing them.
    `host` is only ever an API filter value, never shell text.
    """
    if INSTANCE_ID.fullmatch(host):
        return host
    found: dict[str, str] = {}
    try:
        ec2 = client(session, "ec2", region)
        pages = ec2.get_paginator("describe_instances").paginate(Filters=[
            {"Name": "tag:Name", "Values": [host]},
            {"Name": "instance-state-name", "Values": _LIVE_STATES}])
        for page in pages:
            for res in page.get("Reservations", []):
                for inst in res.get("Instances", []):
                    found[inst["InstanceId"]] = inst.get("State", {}).get("Name", "")
        if not found:
            ssm = client(session, "ssm", region)
            pages = ssm.get_paginator("describe_instance_information").paginate(
                Filters=[{"Key": "tag:Name", "Values": [host]}])
            for page in pages:
                for info in page.get("InstanceInformationList", []):
                    found[info["InstanceId"]] = str(info.get("PingStatus", ""))
    except GangwayError:
        raise
    except Exception as exc:
        raise translate(exc, f"Looking up the instance named {host!r}") from exc
    return _pick(found, host, region)


def resolve_target_fast(plan: fast_ssm.Plan, host: str) -> str:
    """`resolve_target` without boto3 (same lookups, same choice)."""
    if INSTANCE_ID.fullmatch(host):
        return host
    found = fast_ssm.instances_named(plan, host, _LIVE_STATES)
    if not found:
        found = fast_ssm.nodes_named(plan, host)
    return _pick(found, host, plan.region)


def _pick(found: dict[str, str], host: str, region: str) -> str:
    """The one instance `host` names; prefer running ones; else a clear error."""
    if len(found) > 1:
        running = {i: s for i, s in found.items() if s in ("running", "Online")}
        found = running if len(running) == 1 else found
    if not found:
        raise AwsError(f"No instance named {host!r} in {region}.",
                       "Use the instance id, or check the region (--region) and the Name tag.")
    if len(found) > 1:
        ids = ", ".join(f"{i} ({s})" for i, s in sorted(found.items()))
        raise AwsError(f"Several instances are named {host!r} in {region}: {ids}.",
                       "Use the instance id instead of the name.")
    return next(iter(found))


def _plugin_path() -> str:
    from app.core.aws import plugin

    info = plugin.require_plugin()
    if info.version != "unknown" and info.version_tuple <= ssm_sessions.LAST_PLUGIN_WITHOUT_ENV:
        # Older plugins take the response (with its token) only on argv: never do that.
        raise PluginNotFoundError(
            f"session-manager-plugin {info.version} is too old to receive the session "
            "securely (it needs the token on its command line).", plugin.install_hint())
    return str(info.path)


def _exit_code(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


def run_plugin(argv: Sequence[str], env: Mapping[str, str], *,
               interactive: bool | None = None,
               on_start: Callable[[subprocess.Popen[bytes]], None] | None = None,
               seen: list[int] | None = None) -> int:
    """Run the plugin with inherited stdin/stdout; returns its exit code (128+N if killed).

    SIGTERM and SIGHUP are forwarded to it. SIGINT too, except when `interactive` (a shell
    on a terminal): there the terminal already delivers Ctrl-C to the plugin, which sends it
    to the remote side, so this process ignores SIGINT, SIGQUIT and SIGTSTP like the AWS CLI.
    Signals forwarded are appended to `seen` (ssh sends SIGHUP when it closes the channel).
    """
    if interactive is None:
        interactive = sys.stdin is not None and sys.stdin.isatty()
    proc = subprocess.Popen(list(argv), env=dict(env))
    if on_start is not None:
        on_start(proc)

    def forward(signum: int, _frame: FrameType | None) -> None:
        if seen is not None:
            seen.append(signum)
        with contextlib.suppress(OSError):
            proc.send_signal(signum)

    forwarded = [signal.SIGTERM]
    ignored: list[signal.Signals] = []
    if sys.platform != "win32":
        forwarded.append(signal.SIGHUP)
        if interactive:
            ignored += [signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP]
        else:
            forwarded.append(signal.SIGINT)
    elif not interactive:
        forwarded.append(signal.SIGINT)
    previous: dict[signal.Signals, Any] = {}
    for sig in forwarded:
        previous[sig] = signal.signal(sig, forward)
    for sig in ignored:
        previous[sig] = signal.signal(sig, signal.SIG_IGN)
    try:
        while True:
            try:
                return _exit_code(proc.wait())
            except KeyboardInterrupt:  # Windows delivers Ctrl-C as this
                forward(signal.SIGINT, None)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run(req: ProxyRequest, *, history: ssm_sessions.SessionHistory | None = None) -> int:
    """Start the session, run the plugin until it exits, terminate the session, record it."""
    plugin_path = _plugin_path()
    plan = _fast_plan(req.profile, req.region)
    if plan is not None and plan.ec2_endpoint is None and not INSTANCE_ID.fullmatch(req.host):
        plan = None  # a Name lookup needs EC2, which only botocore can locate here
    ssm: Any
    creds: Any
    if plan is not None:
        region, ssm, creds = plan.region, fast_ssm.FastSsm(plan), plan
        target = resolve_target_fast(plan, req.host)
    else:
        session = _session_for(req.profile, req.region)
        region = req.region or session.region_name or "us-east-1"
        target = resolve_target(session, region, req.host)
        ssm = client(session, "ssm", region)
        creds = session.get_credentials()
    params = dict(req.parameters or {})
    if req.port is not None:
        params.setdefault("portNumber", [str(req.port)])
    document = req.document or ""
    try:
        started = ssm_sessions.start_session(ssm, target, req.document, params or None,
                                             req.reason)
    except GangwayError as exc:
        if history is not None:
            k = history.record_start(profile=req.profile, region=region, target=target,
                                     document=document, reason=req.reason or "")
            history.record_end(k, f"error: {exc.one_line()}")
        raise
    keys: list[str] = []

    def record(_proc: subprocess.Popen[bytes]) -> None:
        # After the plugin is running: ssh is waiting for it, not for our bookkeeping.
        if history is not None:
            with contextlib.suppress(Exception):
                keys.append(history.record_start(
                    profile=req.profile, region=region, target=target, document=document,
                    reason=req.reason or "", session_id=started.session_id))

    env = ssm_sessions.plugin_env(started, creds)
    code = 1
    ended = "error: the plugin did not start"
    seen: list[int] = []
    try:
        code = run_plugin(ssm_sessions.plugin_argv(plugin_path, started), env, seen=seen,
                          on_start=record)
        ended = f"exit {code}"
        if seen:
            # ssh hangs up its ProxyCommand when the connection ends: a normal ending.
            names = ", ".join(signal.Signals(s).name for s in dict.fromkeys(seen))
            ended = f"closed ({names})"
    except OSError as exc:
        ended = f"error: {exc}"
        raise PluginNotFoundError(f"Could not run session-manager-plugin: {exc}") from exc
    finally:
        # Best effort: the session may already be gone, the network may be down.
        with contextlib.suppress(Exception):
            ssm_sessions.terminate_session(ssm, started.session_id)
        if history is not None:
            with contextlib.suppress(Exception):
                if not keys:
                    keys.append(history.record_start(
                        profile=req.profile, region=region, target=target, document=document,
                        reason=req.reason or "", session_id=started.session_id))
                history.record_end(keys[0], ended)
    return code


def default_history() -> ssm_sessions.SessionHistory:
    from app.core.paths import Paths

    return ssm_sessions.SessionHistory(Paths.default().data_dir)

