"""Evaluation of IAM policy documents, for SimulatePrincipalPolicy's PolicyInputList.

What it evaluates, following the IAM policy evaluation logic
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
- Effect Allow/Deny; an explicit Deny wins, then any Allow, else an implicit deny;
- Action / NotAction with `*` and `?` wildcards, case-insensitive;
- Resource / NotResource with wildcards, case-sensitive, and policy variables `${key}` taken
  from the request context (a variable with no value matches nothing and is reported missing);
- Condition operators StringEquals, StringNotEquals, StringLike, StringNotLike,
  StringEqualsIgnoreCase, Bool, each with the `IfExists` suffix; keys case-insensitive; a
  negated operator with an absent key is true, as in AWS; absent keys are reported in
  MissingContextValues.
What it does not: ForAllValues/ForAnyValue set operators, numeric, date, IP and ARN
operators, NotPrincipal and resource policies; a statement using one is refused loudly
(ValueError), so a test never passes on something the sandbox cannot judge.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

_VARIABLE = re.compile(r"\$\{([^}]+)\}")
_SUPPORTED = {"StringEquals", "StringNotEquals", "StringLike", "StringNotLike",
              "StringEqualsIgnoreCase", "Bool"}


def _list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _context(context: dict[str, list[str]], key: str) -> list[str] | None:
    for k, v in context.items():
        if k.lower() == key.lower():
            return v
    return None


def _resource_matches(pattern: str, resource: str, context: dict[str, list[str]],
                      missing: set[str]) -> bool:
    def value(match: re.Match[str]) -> str:
        found = _context(context, match.group(1))
        if not found:
            missing.add(match.group(1))
            return "\x00"  # matches no ARN
        return found[0]

    expanded = _VARIABLE.sub(value, pattern)
    return fnmatch.fnmatchcase(resource, expanded)


def _action_matches(pattern: str, action: str) -> bool:
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def _condition(block: dict[str, Any], context: dict[str, list[str]], missing: set[str]) -> bool:
    for operator, tests in block.items():
        base = operator.removesuffix("IfExists")
        if base not in _SUPPORTED:
            raise ValueError(f"the sandbox cannot evaluate condition operator {operator}")
        for key, expected in tests.items():
            values = _context(context, key)
            wanted = _list(expected)
            if values is None:
                if operator.endswith("IfExists") or base.startswith("StringNot"):
                    continue
                missing.add(key)
                return False
            if base in ("Bool", "StringEqualsIgnoreCase"):
                ok = any(v.lower() == w.lower() for v in values for w in wanted)
            elif base in ("StringLike", "StringNotLike"):
                ok = any(fnmatch.fnmatchcase(v, w) for v in values for w in wanted)
            else:
                ok = any(v == w for v in values for w in wanted)
            if base.startswith("StringNot"):
                ok = not ok
            if not ok:
                return False
    return True


def _applies(st: dict[str, Any], action: str, resource: str, context: dict[str, list[str]],
             missing: set[str]) -> bool:
    if "NotPrincipal" in st or "Principal" in st:
        raise ValueError("the sandbox evaluates identity policies only")
    if "Action" in st:
        if not any(_action_matches(p, action) for p in _list(st["Action"])):
            return False
    elif any(_action_matches(p, action) for p in _list(st.get("NotAction"))):
        return False
    if "Resource" in st:
        if not any(_resource_matches(p, resource, context, missing)
                   for p in _list(st["Resource"])):
            return False
    elif any(_resource_matches(p, resource, context, missing)
             for p in _list(st.get("NotResource"))):
        return False
    return _condition(st.get("Condition", {}), context, missing)


def evaluate(policies: list[dict[str, Any]], action: str, resource: str,
             context: dict[str, list[str]]) -> tuple[str, list[str]]:
    """(EvalDecision, MissingContextValues) for one action on one resource."""
    allowed = denied = False
    missing: set[str] = set()
    for doc in policies:
        statements = doc.get("Statement", [])
        for st in [statements] if isinstance(statements, dict) else statements:
            if _applies(st, action, resource, context, missing):
                if st.get("Effect") == "Deny":
                    denied = True
                elif st.get("Effect") == "Allow":
                    allowed = True
    decision = "explicitDeny" if denied else "allowed" if allowed else "implicitDeny"
    return decision, sorted(missing)


def combine(rule_decision: str, policy_decision: str) -> str:
    """The principal's own verdict (the sandbox's rule) with the input policies' verdict."""
    if "explicitDeny" in (rule_decision, policy_decision):
        return "explicitDeny"
    if "allowed" in (rule_decision, policy_decision):
        return "allowed"
    return "implicitDeny"
