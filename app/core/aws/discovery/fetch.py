"""The AWS reads of discovery, one region and one service at a time, and their errors.

Each function is one unit of work for `inventory`'s pool: paginate DescribeInstances or
DescribeInstanceInformation with the largest page the API allows, or read one hybrid node's
tags. Errors name the region and the IAM action, so "access denied" says what is missing.
"""

from __future__ import annotations

import threading
from typing import Any

from app.core.aws import client as aws
from app.core.aws.discovery.permissions import TagSet
from app.core.aws.discovery.rows import tagset
from app.core.errors import CancelledError, GangwayError

EC2_PAGE = 1000  # DescribeInstances allows up to 1000
SSM_PAGE = 50  # DescribeInstanceInformation allows up to 50
MAYBE_DISABLED = ("The region may not be enabled for this account (enable it in the AWS "
                  "console or leave it out); if every region fails, check the profile's keys.")
KEYS_REJECTED = {"InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException",
                 "InvalidAccessKeyId", "AuthFailure"}
_REGION_HINTS = {
    "AuthFailure": MAYBE_DISABLED,
    "UnrecognizedClientException": MAYBE_DISABLED,
    "InvalidClientTokenId": MAYBE_DISABLED,
    "OptInRequired": "The region is not enabled for this account; enable it or leave it out.",
}


def check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise CancelledError()


def fetch_ec2(ec2: Any, cancel: threading.Event | None = None,
              page_size: int = EC2_PAGE) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    pages = ec2.get_paginator("describe_instances").paginate(
        PaginationConfig={"PageSize": page_size})
    for page in pages:
        check(cancel)
        for reservation in page.get("Reservations", []):
            out.extend(reservation.get("Instances", []))
    return out


def fetch_ssm(ssm: Any, cancel: threading.Event | None = None,
              page_size: int = SSM_PAGE) -> list[dict[str, Any]]:
    """Managed nodes (their tags, for hybrid ones, are `fetch_tags`' job)."""
    nodes: list[dict[str, Any]] = []
    for page in ssm.get_paginator("describe_instance_information").paginate(
            PaginationConfig={"PageSize": page_size}):
        check(cancel)
        nodes.extend(page.get("InstanceInformationList", []))
    return nodes


def fetch_tags(ssm: Any, instance_id: str) -> TagSet:
    """A hybrid node's tags (EC2 has no record of it); a nicety: () when they cannot be read."""
    try:
        resp = ssm.list_tags_for_resource(ResourceType="ManagedInstance", ResourceId=instance_id)
    except Exception:
        return ()
    return tagset(resp.get("TagList", []))


def region_error(region: str, exc: BaseException, service: str = "") -> GangwayError:
    operation = getattr(exc, "operation_name", "")
    # Name the IAM action, so "access denied" says which permission is missing.
    doing = f"Region {region}, {service}:{operation}" if service and operation else \
        f"Region {region}"
    err = aws.translate(exc, doing)
    code = aws.error_code(exc)
    if code in _REGION_HINTS:
        # In one region among others, a rejected key usually means a disabled region.
        text = str(getattr(exc, "response", {}).get("Error", {}).get("Message", "")) or code
        err.message = f"Region {region} refused the request ({code}: {text})"
        err.hint = _REGION_HINTS[code]
    return err


def sim_unavailable(exc: BaseException) -> str:
    err = aws.translate(exc, "iam:SimulatePrincipalPolicy")
    code = aws.error_code(exc)
    if code in {"AccessDenied", "AccessDeniedException"}:
        return ("permission unknown: this identity may not call iam:SimulatePrincipalPolicy, "
                "so Gangway cannot check ssm:StartSession in advance")
    return f"permission unknown: {err.one_line()}"
