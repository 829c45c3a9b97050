"""STS (identity, session tokens, role assumption with MFA) and IAM policy simulation.

Calls the gateway answers return a Reply; ``None`` means "forward to moto unchanged".
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from . import totp
from .iam_policy import combine, evaluate
from .limits import member
from .state import ACCOUNT_ID, Credential
from .wire import Reply, members, query_error, request_id, xml_reply

if TYPE_CHECKING:
    from .gateway import Gateway, Request

STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
MFA_FAILED = "MultiFactorAuthentication failed with invalid MFA one time pass code."
DEFAULT_RULED_ACTIONS = ("ssm:StartSession",)


def handle(gw: Gateway, req: Request) -> Reply | None:
    action = req.form.get("Action", "")
    assert req.scope is not None and req.cred is not None
    if req.scope.service == "sts":
        if action == "GetCallerIdentity":
            return _caller_identity(req.cred)
        if action == "GetSessionToken":
            return _get_session_token(gw, req)
        if action == "AssumeRole":
            return _assume_role(gw, req)
        return None
    if action == "SimulatePrincipalPolicy":
        return _simulate(gw, req)
    if action in _SELF_USER_ACTIONS and "UserName" not in req.form and req.cred.user_name:
        # IAM applies these to the caller when UserName is omitted; moto cannot map our keys
        # to users, so name the user explicitly before forwarding.
        req.body += b"&" + urlencode({"UserName": req.cred.user_name}).encode()
        req.form["UserName"] = req.cred.user_name
    return None


_SELF_USER_ACTIONS = {"GetUser", "ListMFADevices", "ListAccessKeys", "ListSigningCertificates"}


def register_in_moto(user_name: str, mfa_serial: str | None) -> None:
    """Mirror a sandbox user (and its virtual MFA device) into moto's IAM for IAM reads."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import iam_backends

    backend = iam_backends[DEFAULT_ACCOUNT_ID]["global"]
    if user_name not in backend.users:
        backend.create_user("us-east-1", user_name)
    if mfa_serial:
        device = backend.create_virtual_mfa_device(mfa_serial.rsplit("/", 1)[-1], "/")
        backend.enable_mfa_device(user_name, device.serial_number, "000000", "000000")


# --- STS ---------------------------------------------------------------------------------------


def _caller_identity(cred: Credential) -> Reply:
    return xml_reply(
        200,
        f'<GetCallerIdentityResponse xmlns="{STS_NS}"><GetCallerIdentityResult>'
        f"<Arn>{escape(cred.caller_arn)}</Arn><UserId>{escape(cred.user_id)}</UserId>"
        f"<Account>{ACCOUNT_ID}</Account></GetCallerIdentityResult>"
        f"<ResponseMetadata><RequestId>{request_id()}</RequestId></ResponseMetadata>"
        "</GetCallerIdentityResponse>",
    )


def _access_denied(message: str) -> Reply:
    return query_error("sts", 403, "AccessDenied", message)


def _check_mfa(gw: Gateway, req: Request, required: bool) -> Reply | bool:
    """Return an error Reply, or whether a valid MFA code was presented."""
    serial = req.form.get("SerialNumber")
    code = req.form.get("TokenCode")
    if serial is None and code is None:
        return False
    if not serial or not code:
        return _access_denied(MFA_FAILED)
    with gw.state.lock:
        secret = gw.state.mfa_secrets.get(serial)
    if secret is None or not totp.verify(secret, code):
        return _access_denied(MFA_FAILED)
    return True


def _get_session_token(gw: Gateway, req: Request) -> Reply:
    cred = req.cred
    assert cred is not None
    if cred.session_token is not None:
        return _access_denied("Cannot call GetSessionToken with session credentials")
    mfa = _check_mfa(gw, req, required=False)
    if isinstance(mfa, Reply):
        return mfa
    duration = int(req.form.get("DurationSeconds") or 43200)
    return _issue(
        gw, req, duration, cred.principal_arn, cred.caller_arn, cred.user_id, mfa, cred.user_name
    )


def _assume_role(gw: Gateway, req: Request) -> Reply:
    caller = req.cred
    assert caller is not None
    role_arn = req.form.get("RoleArn", "")
    session_name = req.form.get("RoleSessionName", "")
    with gw.state.lock:
        role = gw.state.roles.get(role_arn)
    denied = _access_denied(
        f"User: {caller.caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
    )
    if role is None:
        return denied
    mfa = _check_mfa(gw, req, required=role.require_mfa)
    if isinstance(mfa, Reply):
        return mfa
    mfa = mfa or caller.mfa_authenticated
    if role.require_mfa and not mfa:
        return denied
    duration = int(req.form.get("DurationSeconds") or 3600)
    role_id = "AROA" + role.name.upper().replace("-", "")[:12].ljust(12, "X") + "SBX"
    return _issue(
        gw,
        req,
        duration,
        role.arn,
        f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role.name}/{session_name}",
        f"{role_id}:{session_name}",
        mfa,
        None,
    )


def _issue(
    gw: Gateway,
    req: Request,
    duration: int,
    principal_arn: str,
    caller_arn: str,
    user_id: str,
    mfa: bool,
    user_name: str | None,
) -> Reply:
    """Let moto mint the credentials, then register them (with their expiry) in the gateway."""
    status, body = gw.moto_call(req)
    if status != 200:
        return Reply(status, body, {"Content-Type": "text/xml"})
    text = body.decode("utf-8")
    root = ElementTree.fromstring(text)
    found = {el.tag.rsplit("}", 1)[-1]: (el.text or "") for el in root.iter()}
    with gw.state.lock:
        cap = gw.state.temp_duration_cap
    lifetime = float(duration if cap is None else min(duration, cap))
    expires_at = time.time() + lifetime
    cred = Credential(
        access_key_id=found["AccessKeyId"],
        secret=found["SecretAccessKey"],
        principal_arn=principal_arn,
        caller_arn=caller_arn,
        user_id=user_id,
        session_token=found["SessionToken"],
        expires_at=expires_at,
        mfa_authenticated=mfa,
        user_name=user_name,
    )
    with gw.state.lock:
        gw.state.creds[cred.access_key_id] = cred
    stamp = datetime.fromtimestamp(expires_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = re.sub(r"<Expiration>[^<]*</Expiration>", f"<Expiration>{stamp}</Expiration>", text)
    if "assumed-role" in caller_arn:
        text = re.sub(r"<Arn>[^<]*</Arn>", f"<Arn>{escape(caller_arn)}</Arn>", text)
        text = re.sub(
            r"<AssumedRoleId>[^<]*</AssumedRoleId>",
            f"<AssumedRoleId>{escape(user_id)}</AssumedRoleId>",
            text,
        )
    return xml_reply(200, text)


# --- IAM policy simulation ---------------------------------------------------------------------


def _principal_exists(gw: Gateway, arn: str) -> bool:
    with gw.state.lock:
        if arn in gw.state.roles:
            return True
        return any(u.arn == arn for u in gw.state.users.values())


def decide(
    rule: dict[str, Any], action: str, resource: str, context: dict[str, list[str]]
) -> tuple[str, list[str]]:
    """The sandbox's policy: returns (EvalDecision, MissingContextValues).

    Rule keys: explicit_deny, deny_all, actions, allow_tags {Key: [values]}, and per instance
    ``explicit_deny_ids`` / ``implicit_deny_ids`` (ids whose ARN the policy names).
    """
    if rule.get("explicit_deny"):
        return "explicitDeny", []
    target = resource.rsplit("/", 1)[-1]
    if target in (rule.get("explicit_deny_ids") or ()):
        return "explicitDeny", []
    ruled = rule.get("actions", DEFAULT_RULED_ACTIONS)
    if action not in ruled and "*" not in ruled:
        return "allowed", []
    if rule.get("deny_all") or target in (rule.get("implicit_deny_ids") or ()):
        return "implicitDeny", []
    allow_tags: dict[str, list[str]] = rule.get("allow_tags") or {}
    if not allow_tags or ":document/" in resource:
        return "allowed", []
    missing = [f"ssm:resourceTag/{k}" for k in allow_tags if f"ssm:resourceTag/{k}" not in context]
    if missing:
        return "implicitDeny", missing
    for key, allowed in allow_tags.items():
        if not set(context[f"ssm:resourceTag/{key}"]) & set(allowed):
            return "implicitDeny", []
    return "allowed", []


def _context_entries(form: dict[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    n = 1
    while f"ContextEntries.member.{n}.ContextKeyName" in form:
        name = form[f"ContextEntries.member.{n}.ContextKeyName"]
        out[name] = members(form, f"ContextEntries.member.{n}.ContextKeyValues")
        n += 1
    return out


def _simulate(gw: Gateway, req: Request) -> Reply:
    caller = req.cred
    assert caller is not None
    source = req.form.get("PolicySourceArn", "")
    if gw.state.rule_for(caller.principal_arn).get("deny_simulate"):
        return query_error(
            "iam",
            403,
            "AccessDenied",
            f"User: {caller.caller_arn} is not authorized to perform: iam:SimulatePrincipalPolicy "
            f"on resource: {source}",
        )
    if not _principal_exists(gw, source):
        if ":assumed-role/" in source or not source.startswith("arn:aws:iam::"):
            return query_error("iam", 400, "InvalidInput", f"Invalid ARN: {source}")
        name = source.rsplit("/", 1)[-1]
        kind = "role" if ":role/" in source else "user"
        return query_error(
            "iam", 404, "NoSuchEntity", f"The {kind} with name {name} cannot be found."
        )
    actions = members(req.form, "ActionNames")
    resources = members(req.form, "ResourceArns")
    context = _context_entries(req.form)
    rule = gw.state.rule_for(source)
    try:  # PolicyInputList: documents simulated together with the principal's own rule
        inputs = [json.loads(doc) for doc in members(req.form, "PolicyInputList")]
    except ValueError as exc:
        return query_error("iam", 400, "MalformedPolicyDocument", f"Invalid policy: {exc}")

    def judge(action: str, resource: str) -> tuple[str, list[str]]:
        decision, missing = decide(rule, action, resource, context)
        if inputs:
            policy_decision, policy_missing = evaluate(inputs, action, resource, context)
            decision = combine(decision, policy_decision)
            missing = sorted(set(missing) | set(policy_missing))
        return decision, missing

    failing = rule.get("fail_context") or {}  # {context key: value}: IAM fails for that group
    if failing and all(context.get(k) == [v] for k, v in failing.items()):
        return query_error(
            "iam", 400, "InvalidInput",
            "The request was rejected because an invalid or out-of-range value was supplied "
            "for an input parameter.",
        )
    # As IAM answers today: ONE EvaluationResult per action, whatever the number of resources.
    # Its EvalDecision is the most restrictive across them; per-resource decisions and their
    # missing context keys are only in ResourceSpecificResults (IAM API reference,
    # EvaluationResult). Without ResourceArns the resource is "*" and MissingContextValues
    # are top-level.
    results = [_evaluation(judge, action, resources) for action in actions]
    paged = _iam_page(req.form, results)
    if isinstance(paged, Reply):
        return paged
    page, marker = paged
    tail = f"<IsTruncated>true</IsTruncated><Marker>{marker}</Marker>" if marker else \
        "<IsTruncated>false</IsTruncated>"
    return xml_reply(
        200,
        f'<SimulatePrincipalPolicyResponse xmlns="{IAM_NS}"><SimulatePrincipalPolicyResult>'
        f"{tail}<EvaluationResults>{''.join(page)}</EvaluationResults>"
        f"</SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>{request_id()}</RequestId>"
        "</ResponseMetadata></SimulatePrincipalPolicyResponse>",
    )


_RESTRICTIVE = {"allowed": 0, "implicitDeny": 1, "explicitDeny": 2}


def _matched(decision: str) -> str:
    if decision != "allowed":
        return "<MatchedStatements/>"
    return (
        "<MatchedStatements><member><SourcePolicyId>sandbox-rule</SourcePolicyId>"
        "<SourcePolicyType>IAM Policy</SourcePolicyType></member></MatchedStatements>"
    )


def _missing(keys: list[str]) -> str:
    return "<MissingContextValues>" + "".join(
        f"<member>{escape(m)}</member>" for m in keys
    ) + "</MissingContextValues>"


def _evaluation(
    judge: Callable[[str, str], tuple[str, list[str]]], action: str, resources: list[str]
) -> str:
    if not resources:
        decision, missing = judge(action, "*")
        return (
            f"<member>{_matched(decision)}{_missing(missing)}<EvalResourceName>*</EvalResourceName>"
            f"<EvalDecision>{decision}</EvalDecision>"
            f"<EvalActionName>{escape(action)}</EvalActionName></member>"
        )
    specific = []
    worst = "allowed"
    for resource in resources:
        decision, missing = judge(action, resource)
        worst = max(worst, decision, key=_RESTRICTIVE.__getitem__)
        specific.append(
            f"<member>{_matched(decision)}{_missing(missing)}"
            f"<EvalResourceName>{escape(resource)}</EvalResourceName>"
            f"<EvalResourceDecision>{decision}</EvalResourceDecision>"
            "<EvalDecisionDetails/></member>"
        )
    return (
        f"<member>{_matched(worst)}<MissingContextValues/>"
        f"<EvalResourceName>{escape(resources[0])}</EvalResourceName>"
        f"<EvalDecision>{worst}</EvalDecision><EvalDecisionDetails/>"
        f"<ResourceSpecificResults>{''.join(specific)}</ResourceSpecificResults>"
        f"<EvalActionName>{escape(action)}</EvalActionName></member>"
    )


def _iam_page(form: dict[str, str], items: list[str]) -> Reply | tuple[list[str], str | None]:
    """IAM's MaxItems/Marker paging, with the iam model's limits; IAM's default page is 100."""
    raw = form.get("MaxItems", "100")
    problem = member("iam", "SimulatePrincipalPolicy", "MaxItems").check(
        int(raw) if raw.lstrip("-").isdigit() else 0)
    if problem:
        return query_error("iam", 400, "ValidationError", problem)
    size = int(raw)
    start = 0
    marker = form.get("Marker")
    if marker is not None:
        problem = member("iam", "SimulatePrincipalPolicy", "Marker").check(marker)
        if problem:
            return query_error("iam", 400, "ValidationError", problem)
        if not marker.startswith("sim-") or not marker[4:].isdigit():
            return query_error("iam", 400, "InvalidInput", "Invalid Marker.")
        start = int(marker[4:])
    nxt = f"sim-{start + size}" if start + size < len(items) else None
    return items[start : start + size], nxt


def new_secret() -> str:
    return secrets.token_urlsafe(30)[:40]
