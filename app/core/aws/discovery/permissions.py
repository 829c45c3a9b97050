"""May the caller start a session on an instance? Asked of IAM's policy simulator.

`iam:SimulatePrincipalPolicy` answers for `ssm:StartSession` on the instance ARN, with the
instance's tags as context. Calls are few: one probe learns which tag keys the caller's
policies look at (IAM reports them as `MissingContextValues`), instances are grouped by their
values for just those keys, and each group is one call (its ARNs together). Answers are cached
per (principal, region, tag set). When the simulator cannot be used (no permission, root,
federated user), the verdict is UNKNOWN and says why, rather than guessing.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

ACTION = "ssm:StartSession"
TAG_KEY_PREFIXES = ("ssm:resourcetag/", "aws:resourcetag/", "ec2:resourcetag/")
CHUNK = 100  # resource ARNs per simulate call
CACHE_SECONDS = 600.0


class Access(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Permission:
    access: Access
    reason: str = ""


NOT_CHECKED = Permission(Access.UNKNOWN, "not checked")

TagSet = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Principal:
    """Who is calling: `arn` is what the simulator accepts (a role ARN, not the session's)."""

    account: str
    partition: str
    caller_arn: str
    arn: str | None  # None = cannot be simulated; `why` says why
    why: str = ""


def simulatable_arn(caller_arn: str) -> tuple[str | None, str]:
    """Map a GetCallerIdentity ARN to one SimulatePrincipalPolicy accepts, or (None, reason)."""
    parts = caller_arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None, f"unexpected caller ARN {caller_arn!r}"
    partition, service, account, resource = parts[1], parts[2], parts[4], parts[5]
    if service == "iam" and resource == "root":
        return None, "the root user cannot be simulated"
    if service == "iam" and resource.startswith(("user/", "role/")):
        return caller_arn, ""
    if service == "sts" and resource.startswith("assumed-role/"):
        pieces = resource.split("/")
        if len(pieces) >= 2 and pieces[1]:
            return f"arn:{partition}:iam::{account}:role/{pieces[1]}", ""
    if service == "sts" and resource.startswith("federated-user/"):
        return None, "federated users cannot be simulated"
    return None, f"cannot simulate policies for {caller_arn}"


def resolve_principal(sts: Any) -> Principal:
    """Ask STS who we are (raises the botocore error if STS fails)."""
    ident = sts.get_caller_identity()
    caller = str(ident["Arn"])
    arn, why = simulatable_arn(caller)
    partition = caller.split(":")[1] if caller.count(":") >= 5 else "aws"
    return Principal(str(ident["Account"]), partition, caller, arn, why)


def instance_arn(principal: Principal, region: str, instance_id: str) -> str:
    if instance_id.startswith("mi-"):
        return (f"arn:{principal.partition}:ssm:{region}:{principal.account}"
                f":managed-instance/{instance_id}")
    return f"arn:{principal.partition}:ec2:{region}:{principal.account}:instance/{instance_id}"


def _tag_key(context_key: str) -> str | None:
    low = context_key.lower()
    for prefix in TAG_KEY_PREFIXES:
        if low.startswith(prefix):
            return context_key[len(prefix):]
    return None


@functools.lru_cache(maxsize=256)
def _decision(text: str, missing: tuple[str, ...]) -> Permission:
    """One shared Permission per distinct answer (thousands of rows, few answers)."""
    if text == "allowed":
        return Permission(Access.ALLOWED)
    if text == "explicitDeny":
        return Permission(Access.DENIED, "explicitly denied by a policy")
    note = f" (policy needs {', '.join(missing)})" if missing else ""
    return Permission(Access.DENIED, f"no policy allows {ACTION} on this instance{note}")


class PermissionCache:
    """Verdicts and probe results, shared across refreshes; thread-safe."""

    def __init__(self, ttl: float = CACHE_SECONDS) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._verdicts: dict[tuple[str, str, TagSet], tuple[float, dict[str, Permission]]] = {}
        self._keys: dict[str, tuple[float, tuple[str, ...]]] = {}

    def clear(self) -> None:
        with self._lock:
            self._verdicts.clear()
            self._keys.clear()

    def context_keys(self, principal: str) -> tuple[str, ...] | None:
        with self._lock:
            hit = self._keys.get(principal)
            return hit[1] if hit and time.monotonic() - hit[0] < self.ttl else None

    def put_context_keys(self, principal: str, keys: tuple[str, ...]) -> None:
        with self._lock:
            self._keys[principal] = (time.monotonic(), keys)

    def verdicts(self, key: tuple[str, str, TagSet]) -> dict[str, Permission]:
        with self._lock:
            hit = self._verdicts.get(key)
            if hit is None or time.monotonic() - hit[0] >= self.ttl:
                return {}
            return dict(hit[1])

    def put(self, key: tuple[str, str, TagSet], verdicts: dict[str, Permission]) -> None:
        with self._lock:
            old = self._verdicts.get(key)
            merged = dict(old[1]) if old and time.monotonic() - old[0] < self.ttl else {}
            merged.update(verdicts)
            self._verdicts[key] = (time.monotonic(), merged)


class Simulator:
    """Simulation for one principal through one IAM client (boto3 clients are thread-safe)."""

    def __init__(self, iam: Any, principal: Principal, cache: PermissionCache) -> None:
        self.iam = iam
        self.principal = principal
        self.cache = cache
        self.calls = 0
        self._calls_lock = threading.Lock()

    def _simulate(self, arns: Sequence[str] | None,
                  context: dict[str, str]) -> list[dict[str, Any]]:
        assert self.principal.arn is not None
        kwargs: dict[str, Any] = {"PolicySourceArn": self.principal.arn, "ActionNames": [ACTION]}
        if arns:
            kwargs["ResourceArns"] = list(arns)
        if context:
            kwargs["ContextEntries"] = [
                {"ContextKeyName": k, "ContextKeyValues": [v], "ContextKeyType": "string"}
                for k, v in sorted(context.items())
            ]
        results: list[dict[str, Any]] = []
        for page in self.iam.get_paginator("simulate_principal_policy").paginate(**kwargs):
            with self._calls_lock:
                self.calls += 1
            results.extend(page.get("EvaluationResults", []))
        return results

    def context_keys(self) -> tuple[str, ...]:
        """The tag context keys the caller's policies look at (one probe, cached)."""
        assert self.principal.arn is not None
        cached = self.cache.context_keys(self.principal.arn)
        if cached is not None:
            return cached
        missing: set[str] = set()
        for result in self._simulate(None, {}):
            missing.update(str(m) for m in result.get("MissingContextValues", []))
        keys = tuple(sorted(k for k in missing if _tag_key(k) is not None))
        self.cache.put_context_keys(self.principal.arn, keys)
        return keys

    def group_key(self, tags: Iterable[tuple[str, str]], keys: Sequence[str]) -> TagSet:
        """An instance's values for exactly the keys the policies look at."""
        by_key = dict(tags)
        out: list[tuple[str, str]] = []
        for context_key in keys:
            tag = _tag_key(context_key)
            if tag is not None and tag in by_key:
                out.append((context_key, by_key[tag]))
        return tuple(out)

    def check_group(self, region: str, group: TagSet, arns: Sequence[str]) -> dict[str, Permission]:
        """Verdicts for instances sharing `group`; asks IAM only for ARNs not cached."""
        assert self.principal.arn is not None
        key = (self.principal.arn, region, group)
        known = self.cache.verdicts(key)
        todo = [a for a in arns if a not in known]
        fresh: dict[str, Permission] = {}
        for start in range(0, len(todo), CHUNK):
            chunk = todo[start:start + CHUNK]
            results = self._simulate(chunk, dict(group))
            fresh.update(_per_resource(results, chunk))
        if fresh:
            self.cache.put(key, fresh)
        known.update(fresh)
        return {a: known.get(a, NOT_CHECKED) for a in arns}


def _per_resource(results: list[dict[str, Any]], arns: Sequence[str]) -> dict[str, Permission]:
    out: dict[str, Permission] = {}
    overall: Permission | None = None
    for result in results:
        if result.get("EvalActionName") not in (None, ACTION):
            continue
        missing = [str(m) for m in result.get("MissingContextValues", [])]
        verdict = _decision(str(result.get("EvalDecision", "")), tuple(missing))
        specific = result.get("ResourceSpecificResults") or []
        for item in specific:
            name = str(item.get("EvalResourceName", ""))
            out[name] = _decision(str(item.get("EvalResourceDecision", "")),
                                  tuple(str(m) for m in item.get("MissingContextValues", [])))
        name = str(result.get("EvalResourceName", ""))
        if not specific and name in arns:
            out[name] = verdict
        elif not specific:
            overall = verdict
    return {a: out.get(a, overall or NOT_CHECKED) for a in arns}
