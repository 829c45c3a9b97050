"""Keyless SSH: push Gangway's ephemeral public key with EC2 Instance Connect.

    outcome = keypush.push(route.eic, "i-0abc...", "ec2-user", pair.public_key, zone=None)
    if not outcome.pushed:
        proxy.notice(outcome.notice)   # one line on stderr; ssh falls back to the user's keys

`SendSSHPublicKey` puts the key on the instance for 60 seconds, for one OS user; the
instance's sshd reads it through its `AuthorizedKeysCommand` (Amazon Linux and Ubuntu ship
`eic_run_authorized_keys`). So the push is made right before the plugin starts.

Outcomes: pushed; or not pushed with a notice, when the push is denied (no IAM permission, the
instance refuses Instance Connect) or the target is a hybrid `mi-` node (no Instance Connect
there), so ssh goes on with the user's own keys. An instance EC2 does not know, or a wrong
Availability Zone, is an error: the push was asked for and cannot be meant for that target.
The OS user is checked before any API call.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from app.core.aws import policies
from app.core.display import one_line
from app.core.errors import AwsError, GangwayError

# What the API accepts for common Linux user names (its own pattern is looser, allowing
# `@` `.` `$` and capitals; those are refused here, before anything is sent).
OS_USER = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
# Codes meaning "not for you / not here": fall back to the user's own keys.
DENIED = frozenset({"AccessDenied", "AccessDeniedException", "AuthException",
                    "UnauthorizedOperation", "EC2InstanceStateInvalidException",
                    "EC2InstanceUnavailableException"})
NOT_FOUND = frozenset({"EC2InstanceNotFoundException", "InvalidInstanceID.NotFound",
                       "InvalidInstanceID.Malformed"})
KEY_LIFETIME = 60  # seconds, as AWS documents


class KeyPushError(GangwayError):
    """The push was asked for and cannot be made (a bad user, an unknown instance or zone)."""


class InstanceConnect(Protocol):
    """EC2 Instance Connect and the one EC2 question it needs, in one region."""

    region: str

    def availability_zone(self, instance_id: str) -> str | None:
        """The instance's Availability Zone, or None if EC2 does not know the instance."""
        ...

    def send_ssh_public_key(self, instance_id: str, os_user: str, public_key: str,
                            zone: str | None) -> None:
        """SendSSHPublicKey; AwsError (with the AWS code) when refused."""
        ...


@dataclass(frozen=True)
class Outcome:
    pushed: bool
    notice: str = ""  # one line for stderr when not pushed (escaped, no line breaks)
    zone: str | None = None


def check_os_user(user: str) -> str:
    """`user` if it is a plain Linux login name; KeyPushError before any call otherwise."""
    if not OS_USER.fullmatch(user):
        shown = repr(user)[1:-1][:60]
        raise KeyPushError(f"'{shown}' is not an OS user Gangway will push a key for.",
                           "Use a Linux login name: lower-case letters, digits, '_' or '-', "
                           "starting with a letter or '_', at most 32 characters.")
    return user


def is_hybrid(instance_id: str) -> bool:
    return instance_id.startswith("mi-")


class ZoneLookup:
    """The instance's Availability Zone, looked up in a thread while StartSession runs, so
    the push adds one round trip (SendSSHPublicKey) to the connection, not two."""

    def __init__(self, eic: InstanceConnect, instance_id: str) -> None:
        self._zone: str | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(eic, instance_id),
                                        name="zone-lookup", daemon=True)
        self._thread.start()

    def _run(self, eic: InstanceConnect, instance_id: str) -> None:
        try:
            self._zone = eic.availability_zone(instance_id)
        except BaseException as exc:  # handed to the caller in result()
            self._error = exc

    def result(self) -> str | None:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._zone


def push(eic: InstanceConnect, instance_id: str, os_user: str, public_key: str, *,
         zone: str | Callable[[], str | None] | None = None) -> Outcome:
    """Push `public_key` for `os_user` on `instance_id` (see the module docstring). `zone`:
    the Availability Zone, a pending lookup (`ZoneLookup.result`), or None to look it up."""
    check_os_user(os_user)
    if is_hybrid(instance_id):
        return Outcome(False, f"{instance_id} is a hybrid managed node, which has no EC2 "
                       "Instance Connect: not pushing the Gangway key; ssh uses your own keys.")
    found: str | None = None
    try:
        if callable(zone):
            found = zone()
        else:
            found = zone if zone is not None else eic.availability_zone(instance_id)
        if found is None:
            raise KeyPushError(f"EC2 does not know the instance {instance_id} in "
                               f"{eic.region}, so no key can be pushed to it.",
                               "Check the instance id and the region (--region).")
        eic.send_ssh_public_key(instance_id, os_user, public_key, found)
    except AwsError as exc:
        if exc.code in DENIED and found is None:  # DescribeInstances, for the zone
            return Outcome(False, one_line(
                f"Could not look up the Availability Zone of {instance_id} ({exc.code}), so "
                f"the Gangway key was not pushed; ssh uses your own keys. Keyless SSH needs "
                f"{policies.DESCRIBE_INSTANCES}."))
        if exc.code in DENIED:
            return Outcome(False, one_line(
                f"EC2 Instance Connect refused the Gangway key for {instance_id} "
                f"({exc.code}); ssh uses your own keys. Keyless SSH needs "
                f"{policies.SEND_SSH_PUBLIC_KEY} for {os_user} (ec2:osuser) and the "
                "ec2-instance-connect package on the instance."), found)
        if exc.code in NOT_FOUND:
            where = f"{eic.region}, zone {found}" if found else eic.region
            raise KeyPushError(f"EC2 Instance Connect found no instance {instance_id} in "
                               f"{where}.", "Check the instance id, the region and the "
                               "Availability Zone; the instance may have been terminated.") \
                from exc
        if exc.code == "InvalidArgsException":
            raise KeyPushError(f"EC2 Instance Connect refused the push to {instance_id}: "
                               f"{one_line(exc.message)}", "Check the OS user and the "
                               "Availability Zone.") from exc
        raise
    return Outcome(True, zone=found)


class BotoInstanceConnect:
    """`InstanceConnect` over boto3 clients (the route when botocore must decide)."""

    def __init__(self, session: Any, region: str) -> None:
        self.session = session
        self.region = region

    def availability_zone(self, instance_id: str) -> str | None:
        from app.core.aws.client import client, translate

        try:
            pages = client(self.session, "ec2", self.region).get_paginator(
                "describe_instances").paginate(
                Filters=[{"Name": "instance-id", "Values": [instance_id]}])
            for page in pages:
                for res in page.get("Reservations", []):
                    for inst in res.get("Instances", []):
                        return str(inst.get("Placement", {}).get("AvailabilityZone") or "") \
                            or None
        except Exception as exc:
            raise translate(exc, f"Looking up the Availability Zone of {instance_id}") from exc
        return None

    def send_ssh_public_key(self, instance_id: str, os_user: str, public_key: str,
                            zone: str | None) -> None:
        from app.core.aws.client import client, translate

        kwargs: dict[str, str] = {"InstanceId": instance_id, "InstanceOSUser": os_user,
                                  "SSHPublicKey": public_key}
        if zone:
            kwargs["AvailabilityZone"] = zone
        try:
            client(self.session, "ec2-instance-connect", self.region).send_ssh_public_key(
                **kwargs)
        except Exception as exc:
            raise translate(exc, f"Pushing the SSH key to {instance_id}") from exc
