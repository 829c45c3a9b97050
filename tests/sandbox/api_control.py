"""The sandbox's own control API (``/_sandbox/...``, JSON over HTTP) used by fixtures and the plugin.

Not an AWS API: nothing in ``app/`` may call it.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from . import api_eic, api_sso, api_sts_iam
from .api_ssm import session_json
from .fleet import Fleet, seed_fleet
from .state import Credential, Fault, Role, User
from .wire import Reply

if TYPE_CHECKING:
    from .gateway import Gateway, Request


def _ok(payload: Any = None, status: int = 200) -> Reply:
    body = json.dumps({"ok": True} if payload is None else payload).encode()
    return Reply(status, body, {"Content-Type": "application/json"})


def _err(status: int, message: str) -> Reply:
    return Reply(
        status,
        json.dumps({"ok": False, "error": message}).encode(),
        {"Content-Type": "application/json"},
    )


def handle(gw: Gateway, req: Request) -> Reply:
    route = req.path.removeprefix("/_sandbox/").rstrip("/")
    body: dict[str, Any] = req.json() if req.method == "POST" and req.body else {}
    st = gw.state
    if route == "health":
        with st.lock:
            return _ok({"ok": True, "requests": st.request_count})
    if route == "snapshot":
        st.snapshot()
        return _ok()
    if route == "reset":
        st.reset_test_state()
        if _forget_unseeded_instances(gw):
            gw.clear_ec2_cache()
        return _ok()
    if route == "latency":
        seconds = float(body["seconds"])
        if not 0 <= seconds <= 5:
            return _err(400, "latency must be 0-5 seconds")
        with st.lock:
            st.latency = seconds
        return _ok()
    if route == "signatures":
        with st.lock:
            st.verify_signatures = bool(body["verify"])
        return _ok()
    if route == "users":
        user = User(body["name"], bool(body.get("require_mfa")), body.get("mfa_serial"))
        # ``caller_arn``: what GetCallerIdentity says for the key (a root or federated caller).
        caller = body.get("caller_arn") or user.arn
        with st.lock:
            st.users[user.name] = user
            if user.mfa_serial and body.get("mfa_secret"):
                st.mfa_secrets[user.mfa_serial] = body["mfa_secret"]
            if body.get("access_key_id"):
                st.creds[body["access_key_id"]] = Credential(
                    body["access_key_id"],
                    body["secret"],
                    caller,
                    caller,
                    "AIDA" + user.name.upper().replace("-", "")[:13].ljust(13, "X") + "SBX",
                    user_name=user.name,
                )
        api_sts_iam.register_in_moto(user.name, user.mfa_serial)
        return _ok({"arn": user.arn})
    if route == "keys":
        # Arbitrary credentials, e.g. an already-expired temporary key for the "expired" profile.
        user = st.users[body["user"]]
        expires_in = body.get("expires_in")
        with st.lock:
            st.creds[body["access_key_id"]] = Credential(
                body["access_key_id"],
                body["secret"],
                user.arn,
                user.arn,
                "AIDA" + user.name.upper().replace("-", "")[:13].ljust(13, "X") + "SBX",
                session_token=body.get("session_token"),
                expires_at=None if expires_in is None else time.time() + float(expires_in),
                user_name=user.name,
            )
        return _ok()
    if route == "roles":
        role = Role(body["name"], bool(body.get("require_mfa")))
        with st.lock:
            st.roles[role.arn] = role
        return _ok({"arn": role.arn})
    if route == "fleet":
        fleet = seed_fleet(
            size=int(body.get("size", 300)),
            regions=tuple(body.get("regions") or ("us-east-1", "eu-west-1", "ap-southeast-2")),
            seed=int(body.get("seed", 1)),
        )
        _load_fleet(gw, fleet)
        gw.clear_ec2_cache()  # seeding wrote to moto's backend directly
        return _ok(fleet.to_json())
    if route == "rules":
        with st.lock:
            st.rules[body["principal"]] = body["rule"]
            if body.get("baseline"):
                st.baseline_rules[body["principal"]] = body["rule"]
        return _ok()
    if route == "faults":
        fault = Fault(
            body["region"],
            body.get("service", "*"),
            body["code"],
            body.get("message"),
            body.get("count"),
            float(body.get("delay") or 0.0),
            body.get("operation"),
        )
        with st.lock:
            st.faults.append(fault)
        return _ok()
    if route == "faults/clear":
        with st.lock:
            st.faults.clear()
        return _ok()
    if route == "expire":
        return _expire(gw, body)
    if route == "ping":
        with st.lock:
            for nodes in st.ssm_nodes.values():
                if body["instance_id"] in nodes:
                    nodes[body["instance_id"]]["PingStatus"] = body["ping"]
                    return _ok()
        return _err(404, "no such managed node")
    if route == "sessions":
        with st.lock:
            return _ok(
                {
                    "sessions": [
                        {**session_json(s), "Region": s.region, "Parameters": s.parameters}
                        for s in st.sessions.values()
                    ]
                }
            )
    if route == "session":
        return _session_lookup(gw, req.query)
    if route == "session/closed":
        with st.lock:
            s = st.sessions.get(body.get("session_id", ""))
            if s is not None and s.token == body.get("token") and s.end is None:
                s.status, s.end = "Terminated", time.time()
        return _ok()
    if route == "clock":
        # Advance the sandbox clock (EC2 Instance Connect's 60 s) without sleeping.
        with st.lock:
            st.clock_offset += float(body.get("advance", 0))
            return _ok({"offset": st.clock_offset})
    if route == "eic/keys":
        # sshd's AuthorizedKeysCommand: the keys it may accept for this user, one a line.
        keys = api_eic.keys_for(gw, req.query.get("user", ""))
        return Reply(200, "".join(k + "\n" for k in keys).encode(),
                     {"Content-Type": "text/plain"})
    if route == "eic/pushes":
        return _ok({"pushes": api_eic.pushes(gw)})
    if route == "ports":
        with st.lock:
            st.port_map[f"{body.get('target', '*')}:{body['port']}"] = {
                "host": body.get("host", "127.0.0.1"),
                "port": int(body["host_port"]),
            }
        return _ok()
    if route == "idle_timeout":
        with st.lock:
            st.idle_timeout = body.get("seconds")
        return _ok()
    if route == "plugin_hangs":
        with st.lock:
            st.plugin_hangs = int(body.get("count", 1))
        return _ok()
    if route == "nodes":
        return _register_node(gw, body)
    if route == "sso/approve":
        return _ok(
            {"approved": api_sso.approve(gw, body.get("user_code"), body.get("device_code"))}
        )
    if route == "sso/device":
        return _ok({"found": api_sso.device_hook(
            gw, body["user_code"], body["what"], int(body.get("count") or 1))})
    if route == "sso/expire_tokens":
        with st.lock:  # every SSO access token issued so far is now past its expiry
            st.sso_tokens.update(dict.fromkeys(st.sso_tokens, 0.0))
        return _ok()
    if route == "sso/verify":
        # What a browser opening verificationUriComplete does: approve and say so.
        approved = api_sso.approve(gw, req.query.get("user_code"))
        text = (
            "<html><body>Request approved</body></html>"
            if approved
            else "<html>Unknown code</html>"
        )
        return Reply(200 if approved else 404, text.encode(), {"Content-Type": "text/html"})
    if route == "sso/accounts":
        with st.lock:
            st.sso_accounts = body["accounts"]
        return _ok()
    return _err(404, f"unknown control route {route!r}")


def _forget_unseeded_instances(gw: Gateway) -> int:
    """Drop EC2 instances a test launched, so the next test sees exactly the seeded fleet.

    (moto keeps terminated instances visible, so terminating them would not be enough.)
    """
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ec2.models import ec2_backends

    with gw.state.lock:
        seeded = set(gw.state.node_tags)
        regions = set(gw.state.ssm_nodes)
    if not seeded:
        return 0
    dropped = 0
    for region in sorted(regions):
        backend = ec2_backends[DEFAULT_ACCOUNT_ID][region]
        for rid, reservation in list(backend.reservations.items()):
            if not any(inst.id in seeded for inst in reservation.instances):
                del backend.reservations[rid]
                dropped += 1
    return dropped


def _load_fleet(gw: Gateway, fleet: Fleet) -> None:
    now = time.time()
    with gw.state.lock:
        for i, node in enumerate(fleet.nodes):
            gw.state.node_tags[node.instance_id] = dict(node.tags)
            if node.managed:
                ping_at = now - (30 + i % 300 if node.ping == "Online" else 86400 + i * 60)
                gw.state.ssm_nodes.setdefault(node.region, {})[node.instance_id] = node.ssm_info(
                    ping_at
                )


def _expire(gw: Gateway, body: dict[str, Any]) -> Reply:
    """Expire (or shorten) temporary credentials; ``cap_seconds`` caps every future one too."""
    st = gw.state
    in_seconds = float(body.get("in_seconds", 0))
    count = 0
    with st.lock:
        if "cap_seconds" in body:
            st.temp_duration_cap = body["cap_seconds"]
        for cred in st.creds.values():
            if cred.session_token is None and not body.get("include_long_term"):
                continue
            if body.get("access_key_id") not in (None, cred.access_key_id):
                continue
            if body.get("principal") not in (None, cred.principal_arn, cred.caller_arn):
                continue
            if (
                body.get("access_key_id") is None
                and body.get("principal") is None
                and not body.get("all")
            ):
                continue
            cred.expires_at = time.time() + in_seconds
            count += 1
    return _ok({"expired": count})


def _session_lookup(gw: Gateway, q: dict[str, str]) -> Reply:
    """What the plugin stand-in asks before it opens the 'data channel'."""
    st = gw.state
    with st.lock:
        s = st.sessions.get(q.get("session_id", ""))
        if s is None:
            return _err(404, "session not found")
        if s.token != q.get("token"):
            return _err(403, "token does not match session")
        if s.status == "Connecting":
            s.status = "Connected"
        if s.hang is None:
            s.hang = _take_hang(st, s.document)
        params = {k: (v[0] if isinstance(v, list) and v else v) for k, v in s.parameters.items()}
        dest = None
        if s.document == "AWS-StartPortForwardingSessionToRemoteHost":
            host, port = str(params.get("host", "")), str(params.get("portNumber", ""))
            dest = st.port_map.get(f"{host}:{port}") or {"host": host, "port": int(port or 0)}
        elif s.document in ("AWS-StartSSHSession", "AWS-StartPortForwardingSession"):
            port = str(
                params.get("portNumber", "22" if s.document == "AWS-StartSSHSession" else "80")
            )
            dest = st.port_map.get(f"{s.target}:{port}") or st.port_map.get(f"*:{port}")
            if dest is None and s.document == "AWS-StartPortForwardingSession":
                # Every sandbox instance is this machine: its port N is loopback port N.
                dest = {"host": "127.0.0.1", "port": int(port)}
        node = next((n.get(s.target) for n in st.ssm_nodes.values() if s.target in n), None)
        return _ok(
            {
                "session_id": s.session_id,
                "status": s.status,
                "target": s.target,
                "region": s.region,
                "document": s.document,
                "parameters": params,
                "destination": dest,
                "agent_version": (node or {}).get("AgentVersion"),
                "idle_timeout": st.idle_timeout,
                "hang": s.hang,
                "platform": (node or {}).get("PlatformType"),
            }
        )


def _register_node(gw: Gateway, body: dict[str, Any]) -> Reply:
    """Make an instance (e.g. one a test launched in moto) a managed node with tags."""
    from .fleet import LATEST_AGENT, Node

    node = Node(
        body["instance_id"],
        body.get("region", "us-east-1"),
        body.get("name", ""),
        dict(body.get("tags") or {}),
        body.get("platform", "Linux"),
        "running",
        body.get("ping", "Online"),
        body.get("agent_version", LATEST_AGENT),
    )
    with gw.state.lock:
        gw.state.node_tags[node.instance_id] = dict(node.tags)
        gw.state.ssm_nodes.setdefault(node.region, {})[node.instance_id] = node.ssm_info(
            time.time()
        )
    return _ok()


def _take_hang(st: Any, document: str) -> bool:
    """session-manager-plugin#47: a plugin that hangs after "Starting session" (called under
    the state lock, once per plugin start)."""
    if st.plugin_hangs > 0 and document.startswith("AWS-StartPortForwarding"):
        st.plugin_hangs -= 1
        return True
    return False
