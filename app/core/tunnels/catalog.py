"""The team catalog: shared tunnels read (never written) from SSM Parameter Store.

The settings name a path (and the profile that reads it). Under it, either one JSON
parameter per tunnel (`/team/tunnels/prod-db` = `{"target": ..., "remote_port": ...}`; the
name defaults to the parameter's last segment) or one document (`{"tunnels": [...]}` or a
list). Every tunnel read is marked `shared`; a local tunnel of the same name overrides it.
SecureString parameters are not read: a catalog holds no secrets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.core.aws.client import translate
from app.core.errors import GangwayError
from app.core.tunnels.spec import TunnelError, TunnelSpec

if TYPE_CHECKING:
    from app.core.aws.credentials.source import CredentialSource
    from app.core.settings import TunnelSettings


@dataclass
class Catalog:
    tunnels: list[TunnelSpec] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one sentence per unusable parameter


def configured(source: CredentialSource, settings: TunnelSettings) -> Catalog:
    """The catalog the settings name (none: empty); a read failure is one problem line."""
    if not settings.catalog_path:
        return Catalog()
    from app.core.aws.client import client

    try:
        session = source.session(settings.catalog_profile or "default")
        return read_catalog(client(session, "ssm", session.region_name),
                            settings.catalog_path)
    except GangwayError as exc:
        return Catalog(problems=[f"the team catalog could not be read: {exc.one_line()}"])


def read_catalog(ssm: Any, path: str) -> Catalog:
    """GetParametersByPath(path, recursive), or GetParameter when `path` is one parameter."""
    params: list[dict[str, Any]] = []
    try:
        pages = ssm.get_paginator("get_parameters_by_path").paginate(
            Path=path.rstrip("/") or "/", Recursive=True, WithDecryption=False)
        for page in pages:
            params.extend(page.get("Parameters", []))
        if not params:
            try:
                params.append(ssm.get_parameter(Name=path)["Parameter"])
            except Exception as exc:
                if "ParameterNotFound" not in type(exc).__name__ + str(exc):
                    raise
    except GangwayError:
        raise
    except Exception as exc:
        raise translate(exc, f"Reading the team catalog at {path}") from exc
    return parse_parameters(params)


def parse_parameters(params: list[dict[str, Any]]) -> Catalog:
    out = Catalog()
    for param in sorted(params, key=lambda p: str(p.get("Name", ""))):
        name = str(param.get("Name", ""))
        if param.get("Type") == "SecureString":
            out.problems.append(f"{name}: a SecureString; the catalog reads plain parameters")
            continue
        try:
            doc = json.loads(str(param.get("Value", "")))
        except ValueError as exc:
            out.problems.append(f"{name}: not JSON ({exc})")
            continue
        rows = doc if isinstance(doc, list) else doc.get("tunnels") if isinstance(
            doc, dict) and "tunnels" in doc else [doc]
        if not isinstance(rows, list):
            out.problems.append(f"{name}: `tunnels` is not a list")
            continue
        for entry in rows:
            row = entry
            if isinstance(row, dict) and "name" not in row and len(rows) == 1:
                row = {**row, "name": name.rstrip("/").rsplit("/", 1)[-1]}
            try:
                spec = TunnelSpec.from_json({**row, "shared": True} if isinstance(
                    row, dict) else row)
            except TunnelError as exc:
                out.problems.append(f"{name}: {exc.one_line()}")
                continue
            out.tunnels.append(spec)
    return out
