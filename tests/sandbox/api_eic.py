"""EC2 Instance Connect (JSON 1.1, ``X-Amz-Target: AWSEC2InstanceConnectService.<Op>``).

``SendSSHPublicKey`` as AWS does it: the request is checked against botocore's installed
service model (required members, lengths, patterns), the key must be a supported format
(ssh-rsa of 2048+ bits, ssh-ed25519, ecdsa-sha2-nistp256/384/521) whose blob names its own
type, the instance must exist in EC2 in the signing region and, when an Availability Zone is
given, in that zone (otherwise ``EC2InstanceNotFoundException``: "not found in the given
zone", as AWS's model documents it), and it must be running. IAM is the sandbox's rule for
``ec2-instance-connect:SendSSHPublicKey`` with the ``ec2:osuser`` condition key.

A pushed key is kept for 60 seconds of the *sandbox clock* (``State.now()``, which the control
API can advance), and is served to the real sshd by its ``AuthorizedKeysCommand``
(``eic/eic_run_authorized_keys``), the way EC2's ``eic_run_authorized_keys`` reads them from
instance metadata. One real sshd serves every node, and OpenSSH 9.2 gives that command no
connection token (``%C`` came later), so it is served the keys pushed for the user on any
instance: the instance check is the API's (it must exist, in that zone, running).
"""

from __future__ import annotations

import base64
import functools
import re
import struct
import uuid
from typing import TYPE_CHECKING, Any

from .api_sts_iam import decide
from .state import ACCOUNT_ID, PushedKey
from .wire import Reply, json_error, json_reply

if TYPE_CHECKING:
    from .gateway import Gateway, Request

TARGET_PREFIX = "AWSEC2InstanceConnectService."
ACTION = "ec2-instance-connect:SendSSHPublicKey"
KEY_LIFETIME = 60.0  # seconds, as AWS documents
_KEY_TYPES = ("ssh-rsa", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
              "ecdsa-sha2-nistp521")
_MEMBER_NAMES = {"InstanceId": "instanceId", "InstanceOSUser": "instanceOSUser",
                 "SSHPublicKey": "sSHPublicKey", "AvailabilityZone": "availabilityZone"}


@functools.cache
def _model() -> dict[str, Any]:
    import botocore.loaders

    model: dict[str, Any] = botocore.loaders.Loader().load_service_model(
        "ec2-instance-connect", "service-2")
    return model


def handle(gw: Gateway, req: Request) -> Reply:
    op = req.headers.get("x-amz-target", "").removeprefix(TARGET_PREFIX)
    if op != "SendSSHPublicKey":
        return json_error(400, "UnknownOperationException", f"Unknown operation {op}")
    return _send_ssh_public_key(gw, req)


def _invalid(message: str) -> Reply:
    return json_error(400, "InvalidArgsException", message)


def _validate(body: dict[str, Any]) -> Reply | None:
    """The model's constraints, in AWS's validation-message shape."""
    shapes = _model()["shapes"]
    request = shapes["SendSSHPublicKeyRequest"]
    for name in request["required"]:
        if not isinstance(body.get(name), str):
            return _invalid(f"1 validation error detected: Value null at "
                            f"'{_MEMBER_NAMES[name]}' failed to satisfy constraint: "
                            "Member must not be null")
    for name, member in request["members"].items():
        value = body.get(name)
        if value is None:
            continue
        shape = shapes[member["shape"]]
        if not isinstance(value, str):
            return _invalid(f"Value at '{_MEMBER_NAMES[name]}' must be a string")
        if not shape.get("min", 0) <= len(value) <= shape.get("max", 1 << 20):
            return _invalid(f"1 validation error detected: Value at '{_MEMBER_NAMES[name]}' "
                            f"failed to satisfy constraint: Member must have length between "
                            f"{shape.get('min')} and {shape.get('max')}")
        pattern = shape.get("pattern")
        if pattern and not re.search(pattern, value):
            return _invalid(f"1 validation error detected: Value '{value}' at "
                            f"'{_MEMBER_NAMES[name]}' failed to satisfy constraint: Member "
                            f"must satisfy regular expression pattern: {pattern}")
    return None


def check_key(text: str) -> str | None:
    """Why `text` is not a key EC2 Instance Connect takes, or None."""
    parts = text.strip().split()
    if len(parts) < 2 or parts[0] not in _KEY_TYPES:
        return "Unsupported key type; use ssh-rsa, ssh-ed25519 or ecdsa-sha2-nistp*."
    try:
        blob = base64.b64decode(parts[1], validate=True)
        (length,) = struct.unpack(">I", blob[:4])
        inner = blob[4 : 4 + length].decode("ascii")
    except (ValueError, struct.error, UnicodeError):
        return "The key material is not valid base64 OpenSSH public key data."
    if inner != parts[0]:
        return "The key type does not match the key material."
    if inner == "ssh-rsa":
        offset = 4 + length
        (elen,) = struct.unpack(">I", blob[offset : offset + 4])
        offset += 4 + elen
        (nlen,) = struct.unpack(">I", blob[offset : offset + 4])
        modulus = blob[offset + 4 : offset + 4 + nlen].lstrip(b"\0")
        if len(modulus) * 8 < 2048:
            return "RSA keys must be at least 2048 bits."
    return None


def _instance(region: str, instance_id: str) -> Any:
    """The moto instance, or None."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ec2.exceptions import InvalidInstanceIdError
    from moto.ec2.models import ec2_backends

    try:
        return ec2_backends[DEFAULT_ACCOUNT_ID][region].get_instance(instance_id)
    except (InvalidInstanceIdError, KeyError):
        return None


def _send_ssh_public_key(gw: Gateway, req: Request) -> Reply:
    assert req.scope is not None and req.cred is not None
    body = req.json()
    problem = _validate(body)
    if problem is not None:
        return problem
    region = req.scope.region
    instance_id, user = body["InstanceId"], body["InstanceOSUser"]
    zone = body.get("AvailabilityZone")
    resource = f"arn:aws:ec2:{region}:{ACCOUNT_ID}:instance/{instance_id}"
    rule = gw.state.rule_for(req.cred.principal_arn)
    decision, _ = decide(rule, ACTION, resource, {"ec2:osuser": [user]})
    users = rule.get("allow_os_users")
    if decision == "allowed" and users is not None and user not in users:
        decision = "implicitDeny"
    if decision != "allowed":
        return json_error(400, "AccessDeniedException",
                          f"User: {req.cred.caller_arn} is not authorized to perform: {ACTION} "
                          f"on resource: {resource} because no identity-based policy allows "
                          f"the {ACTION} action")
    why = check_key(body["SSHPublicKey"])
    if why is not None:
        return _invalid(why)
    inst = _instance(region, instance_id)
    if inst is None or (zone is not None and inst.availability_zone != zone):
        where = f" in the given zone {zone}" if zone else ""
        return json_error(400, "EC2InstanceNotFoundException",
                          f"Instance {instance_id} was not found{where}.")
    state = inst.instance_state.name
    if state != "running":
        return json_error(400, "EC2InstanceStateInvalidException",
                          f"Unable to connect: the instance is {state}. Connecting to a "
                          "stopped or terminated instance is not supported.")
    with gw.state.lock:
        gw.state.eic_keys.append(PushedKey(region, instance_id, user,
                                           " ".join(body["SSHPublicKey"].split()[:2]),
                                           gw.state.now(), req.cred.caller_arn))
    return json_reply(200, {"RequestId": str(uuid.uuid4()), "Success": True})


def keys_for(gw: Gateway, user: str) -> list[str]:
    """What the AuthorizedKeysCommand prints: the keys pushed for `user` in the last 60 s of
    the sandbox clock."""
    st = gw.state
    with st.lock:
        now = st.now()
        return [k.key for k in st.eic_keys
                if k.os_user == user and 0 <= now - k.pushed_at < KEY_LIFETIME]


def pushes(gw: Gateway) -> list[dict[str, Any]]:
    with gw.state.lock:
        now = gw.state.now()
        return [{"region": k.region, "instance_id": k.instance_id, "os_user": k.os_user,
                 "key": k.key, "age": now - k.pushed_at, "caller": k.caller}
                for k in gw.state.eic_keys]
