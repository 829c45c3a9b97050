"""From "this profile, this host" to a started SSM session: one route for every consumer.

`gangway proxy`, `gangway session` and the tunnel supervisor all come through here:

    route = connect.route(source, "prod", None)    # credentials, region, where to call
    target = route.resolve("web-1")                 # an id, a Name tag, or tag:KEY=VALUE
    opened = route.start(target.instance_id, "AWS-StartSSHSession", {"portNumber": ["22"]})
    ...PluginProcess.start(plugin, opened.started, opened.credentials)...
    opened.terminate()

or `open_session(source, StartRequest(...))` for all three steps at once.

The route is boto3-free when it can be (the hot path: ssh waits on it): credentials the
source holds (keys in the files, or a profile Gangway manages) and an endpoint `sigv4` can
work out. Otherwise boto3 does the same calls. Both routes share target resolution
(`targets`), the SSM calls (`api`) and one credentials shape (`Credentials`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.core.aws import sigv4
from app.core.aws.credentials.types import Credentials
from app.core.aws.profiles.model import Profile, ProfileKind, ProfileSet
from app.core.aws.sessions import api, keypush, targets
from app.core.errors import AwsError, GangwayError, ProfileError

if TYPE_CHECKING:
    from app.core.aws.credentials.source import CredentialSource

DEFAULT_REGION = "us-east-1"
_NOT_CONNECTED_HINT = ("Start the instance, or check its SSM agent and instance profile (the "
                       "Instances pane shows which); `gangway instances --all` lists why.")


@dataclass(frozen=True)
class StartRequest:
    profile: str
    region: str | None
    host: str  # instance id, Name tag, or tag:KEY=VALUE
    document: str | None = None  # None: the account's default shell document
    parameters: Mapping[str, Sequence[str]] | None = None
    reason: str | None = None
    newest: bool = False  # several running matches: the newest (tunnels), not an error (ssh)


@dataclass(frozen=True)
class OpenSession:
    """A session that StartSession created, with what the plugin needs to carry it."""

    target: targets.Resolved
    started: api.StartedSession
    credentials: Credentials
    ssm: api.SsmCalls

    def terminate(self) -> bool:
        """TerminateSession, best effort (the session may be gone, the network down)."""
        try:
            api.terminate_session(self.ssm, self.started.session_id)
        except Exception:
            return False
        return True


@dataclass(frozen=True)
class Route:
    profile: str
    region: str
    credentials: Credentials
    ssm: api.SsmCalls
    lookup: targets.Lookup
    eic: keypush.InstanceConnect  # EC2 Instance Connect, for keyless SSH

    def resolve(self, host: str, *, newest: bool = False) -> targets.Resolved:
        return targets.resolve(self.lookup, host, newest=newest)

    def start(self, target: str, document: str | None = None,
              parameters: Mapping[str, Sequence[str]] | None = None,
              reason: str | None = None) -> OpenSession:
        try:
            started = api.start_session(self.ssm, target, document, parameters, reason)
        except AwsError as exc:
            if exc.code != "TargetNotConnected":
                raise
            why = targets.why_not_connected(self.lookup, self.ssm, target)
            if why is None:
                raise
            raise AwsError(f"Cannot start a session on {target}: {why}.", _NOT_CONNECTED_HINT,
                           code=exc.code) from exc
        return OpenSession(targets.Resolved(target), started, self.credentials, self.ssm)

    def push_key(self, target: str, os_user: str, public_key: str,
                 zone: str | Callable[[], str | None] | None = None) -> keypush.Outcome:
        """SendSSHPublicKey for `os_user` on `target` (see `keypush`); valid for 60 s."""
        return keypush.push(self.eic, target, os_user, public_key, zone=zone)


def region_of(requested: str | None, profile: Profile) -> str | None:
    """The region botocore would use, without botocore; None when only botocore can say."""
    return (requested or os.environ.get("AWS_DEFAULT_REGION") or profile.region
            or os.environ.get("AWS_REGION"))


def route(source: CredentialSource, profile_name: str, region: str | None,
          *, needs_ec2: bool = True) -> Route:
    """How to reach SSM (and EC2, for name lookups) as `profile_name` in `region`."""
    profiles = source.profiles()
    profile = profiles.require(profile_name)
    if profile.error:
        raise ProfileError(f"Profile '{profile_name}': {profile.error}.",
                           "Fix it in the profile editor or in ~/.aws/config.")
    fast = _fast(source, profiles, profile, region_of(region, profile), needs_ec2)
    if fast is not None:
        return fast
    from app.core.aws.client import client, translate

    # By keyword: CredentialService.session takes (name, prompt, region).
    session = source.session(profile_name, region=region)
    where = region or session.region_name or DEFAULT_REGION
    ssm = api.BotoSsm(client(session, "ssm", where))
    try:  # botocore resolves lazily: a revoked SSO token or a failing process surfaces here
        credentials = _frozen(session)
    except Exception as exc:
        raise translate(exc, f"Getting the credentials of profile '{profile_name}'") from exc
    return Route(profile_name, where, credentials, ssm,
                 targets.BotoLookup(session, where), keypush.BotoInstanceConnect(session, where))


def open_session(source: CredentialSource, req: StartRequest) -> OpenSession:
    """Resolve the target and start the session (see the module docstring)."""
    way = route(source, req.profile, req.region,
                needs_ec2=targets.parse(req.host) is not None)
    target = way.resolve(req.host, newest=req.newest)
    opened = way.start(target.instance_id, req.document, req.parameters, req.reason)
    return OpenSession(target, opened.started, opened.credentials, opened.ssm)


def _fast(source: CredentialSource, profiles: ProfileSet, profile: Profile,
          region: str | None, needs_ec2: bool) -> Route | None:
    """The boto3-free route, or None when only botocore knows how (custom endpoints, an SSO
    token that needs refreshing, credential_process, ...)."""
    sso = profile.kind is ProfileKind.SSO
    if not region or not (profile.kind is ProfileKind.STATIC or profile.managed or sso):
        return None
    fields = dict(profile.fields)
    endpoint = sigv4.endpoint_for(region, fields)
    ec2 = sigv4.endpoint_for(region, fields, "ec2")
    eic = sigv4.endpoint_for(region, fields, "ec2-instance-connect")
    # Without EC2 Instance Connect's endpoint (GovCloud with only SSM's and EC2's set) a
    # keyless push could not be made here; botocore knows every partition's endpoints.
    if endpoint is None or (needs_ec2 and ec2 is None) or eic is None:
        return None
    ca_bundle = sigv4.ca_bundle_for(fields)
    creds = _sso_credentials(profiles, profile, ca_bundle) if sso else \
        source.credentials(profile.name)
    if creds is None:
        return None
    plan = sigv4.Plan(region, endpoint, creds, ec2_endpoint=ec2, eic_endpoint=eic,
                      ca_bundle=ca_bundle)
    return Route(profile.name, region, plan.credentials, sigv4.SsmClient(plan),
                 sigv4.Lookup(plan), sigv4.InstanceConnect(plan))


def _sso_credentials(profiles: ProfileSet, profile: Profile,
                     ca_bundle: str | None) -> Credentials | None:
    """GetRoleCredentials with the cached token, when it is valid; else None (botocore
    refreshes tokens, and words a missing login)."""
    from app.core.aws.credentials import sso

    # Both are there: the reader gives an SSO profile without them an error, refused in route.
    account, role = profile.get("sso_account_id") or "", profile.get("sso_role_name") or ""
    config = sso.config_for(profiles, profile)
    token = sso.cached_token(config)
    if token is None:
        return None
    try:
        return sigv4.sso_role_credentials(config.region, token.access_token, account, role,
                                          ca_bundle, dict(profile.fields))
    except GangwayError:
        return None  # an expired or revoked token: botocore's route says it properly


def _frozen(session: object) -> Credentials:
    """The boto3 session's credentials, frozen into the one shape the plugin is given."""
    found = session.get_credentials()  # type: ignore[attr-defined]
    if found is None:
        from app.core.errors import CredentialError

        raise CredentialError("No credentials were found for this profile.",
                              "Add keys or a role to the profile, or log in with SSO.")
    frozen = found.get_frozen_credentials()
    expiry = None
    with contextlib.suppress(AttributeError):
        expiry = found._expiry_time  # RefreshableCredentials: when to restart before it
    return Credentials(frozen.access_key, frozen.secret_key, frozen.token or None, expiry)
