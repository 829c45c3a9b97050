"""The gateway every ``AWS_ENDPOINT_URL_<SERVICE>`` points at.

It checks credentials the way AWS does, answers what moto lacks (SSM sessions and inventory,
IAM policy simulation, MFA, SSO) and forwards the rest to moto unchanged. Routing uses the SigV4
credential scope (service) plus ``X-Amz-Target`` / ``Action=``, and the SSO paths for the
bearer-token services. SigV4 signatures are verified against the secret of the key (the
control API can switch that off), but not the request's clock skew.
"""

from __future__ import annotations

import http.client
import json
import re
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import api_control, api_eic, api_ssm, api_sso, api_sts_iam, sigv4
from .state import DELAY, DROP, Credential, State
from .wire import Reply, SigScope, parse_form, parse_scope, refuse, service_error

_REQUEST_ID_RE = re.compile(rb"<requestId>[^<]*</requestId>")
SSO_OIDC_PATHS = ("/client/register", "/device_authorization", "/token")
SSO_PORTAL_PATHS = (
    "/assignment/accounts",
    "/assignment/roles",
    "/federation/credentials",
    "/logout",
)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    scope: SigScope | None = None
    cred: Credential | None = None
    form: dict[str, str] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        return json.loads(self.body or b"{}")


class HangUp(Exception):
    """Close the client's connection without an answer (a network fault)."""


class Gateway:
    def __init__(self, state: State, moto_host: str, moto_port: int) -> None:
        self.state = state
        self.moto_host = moto_host
        self.moto_port = moto_port
        self._local = threading.local()
        self._cache_lock = threading.Lock()
        self._ec2_cache: dict[tuple[str, str, bytes], Reply] = {}
        self.server = _Server(("127.0.0.1", 0), _make_handler(self))
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.moto_url = f"http://{moto_host}:{moto_port}"

    def serve_forever(self) -> None:
        self.server.serve_forever(poll_interval=0.2)

    def serve_tls(self, cert: str, key: str) -> str:
        """The same gateway over HTTPS on another port (thread started here); its URL."""
        import ssl

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server = _Server(("127.0.0.1", 0), _make_handler(self))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self.tls_server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                         name="gateway-tls", daemon=True).start()
        return f"https://127.0.0.1:{server.server_address[1]}"

    def shutdown(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if getattr(self, "tls_server", None) is not None:
            self.tls_server.shutdown()
            self.tls_server.server_close()

    # --- dispatch -------------------------------------------------------------------------

    def handle(self, req: Request) -> Reply:
        with self.state.lock:
            self.state.request_count += 1
        if req.path.startswith("/_sandbox/"):
            return api_control.handle(self, req)
        req.scope = parse_scope(req.headers.get("authorization"))
        if req.scope is None:
            path = req.path.split("?", 1)[0]
            if path in SSO_OIDC_PATHS or path.startswith("/token"):
                return api_sso.handle_oidc(self, req)
            if path in SSO_PORTAL_PATHS:
                return api_sso.handle_portal(self, req)
            return service_error(
                "ssm", "MissingAuthenticationTokenException", "Missing Authentication Token"
            )
        service = req.scope.service
        protocol = "ssm" if service not in ("ec2", "sts", "iam") else service
        cred, verdict = self.state.lookup(req.scope.access_key_id)
        # A temporary key is only valid together with its own session token.
        if (
            cred is not None
            and cred.session_token is not None
            and req.headers.get("x-amz-security-token") != cred.session_token
        ):
            verdict = "invalid"
        if (
            verdict == "ok"
            and cred is not None
            and self.state.verify_signatures
            and not sigv4.verify(req.method, req.path, req.headers, req.body, cred.secret)
        ):
            verdict = "signature"
        if verdict != "ok":
            return refuse(protocol, verdict)
        req.cred = cred
        if service in ("ec2", "sts", "iam"):
            req.form = parse_form(req.body) if req.method == "POST" else dict(req.query)
        if service in ("ec2", "ssm", "ec2-instance-connect"):
            operation = req.headers.get("x-amz-target", "").rsplit(".", 1)[-1] or \
                req.form.get("Action", "")
            fault = self.state.take_fault(req.scope.region, service, operation)
            if fault is not None and fault.code == DROP:
                raise HangUp()
            if fault is not None and fault.code == DELAY:
                time.sleep(fault.delay)
            elif fault is not None:
                return service_error(service, fault.code, fault.message)
            if cred is not None and self._mfa_wall(cred):
                return service_error(service, "UnauthorizedOperation")
        if service == "ssm":
            return api_ssm.handle(self, req)
        if service == "ec2-instance-connect":
            return api_eic.handle(self, req)
        if service in ("sts", "iam"):
            reply = api_sts_iam.handle(self, req)
            if reply is not None:
                return reply
        if service == "ec2":
            return self._ec2(req)
        return self.forward(req)

    def _ec2(self, req: Request) -> Reply:
        """Forward to moto, memoising Describe* answers until any other EC2 call.

        moto renders ~8 ms of XML per instance, so a 500-instance DescribeInstances costs it
        ~4 s of CPU; the data only changes through EC2 calls (or seeding), so replaying the
        same bytes with a fresh request id is indistinguishable to clients.
        """
        assert req.scope is not None
        action = req.form.get("Action", "")
        if not action.startswith("Describe"):
            self.clear_ec2_cache()
            return self.forward(req)
        key = (req.scope.region, req.path, req.body)
        with self._cache_lock:
            cached = self._ec2_cache.get(key)
        if cached is None:
            cached = self.forward(req)
            if cached.status != 200:
                return cached
            with self._cache_lock:
                self._ec2_cache[key] = cached
        body = _REQUEST_ID_RE.sub(
            f"<requestId>{uuid.uuid4()}</requestId>".encode(), cached.body, count=1
        )
        return Reply(cached.status, body, dict(cached.headers))

    def clear_ec2_cache(self) -> None:
        with self._cache_lock:
            self._ec2_cache.clear()

    def _mfa_wall(self, cred: Credential) -> bool:
        """Users whose policy demands MFA can only use STS until they present a code."""
        user = self.state.users.get(cred.user_name or "")
        return bool(user and user.require_mfa and not cred.mfa_authenticated)

    # --- moto -----------------------------------------------------------------------------

    def forward(self, req: Request) -> Reply:
        """Send the request to moto as-is (keep-alive connection per gateway thread)."""
        headers = {
            k: v
            for k, v in req.headers.items()
            if k not in ("host", "connection", "content-length")
        }
        headers["Host"] = f"{self.moto_host}:{self.moto_port}"
        headers["Content-Length"] = str(len(req.body))
        target = req.path
        for attempt in range(2):
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = http.client.HTTPConnection(self.moto_host, self.moto_port, timeout=60)
                self._local.conn = conn
            try:
                conn.request(req.method, target, body=req.body, headers=headers)
                resp = conn.getresponse()
                body = resp.read()
            except (http.client.HTTPException, OSError):
                conn.close()
                self._local.conn = None
                if attempt:
                    raise
                continue
            out = {
                k: v
                for k, v in resp.getheaders()
                if k.lower()
                not in ("content-length", "connection", "transfer-encoding", "server", "date")
            }
            return Reply(resp.status, body, out)
        raise RuntimeError("unreachable")

    def moto_call(self, req: Request) -> tuple[int, bytes]:
        reply = self.forward(req)
        return reply.status, reply.body


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # benchmarks open many connections at once

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a client hanging up mid-keep-alive is normal
        super().handle_error(request, client_address)


def _make_handler(gw: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as botocore's pooled connections expect

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: tests read results, not access logs

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            split = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
            req = Request(
                self.command,
                self.path,
                query,
                {k.lower(): v for k, v in self.headers.items()},
                body,
            )
            req.path = split.path if split.path.startswith("/_sandbox/") else self.path
            delay = gw.state.latency
            if delay and not split.path.startswith("/_sandbox/"):
                time.sleep(delay)  # a round trip to a far region, per request (this thread)
            try:
                reply = gw.handle(req)
            except HangUp:
                self.close_connection = True
                return
            except Exception as exc:  # the sandbox must answer, never hang the client
                reply = Reply(
                    500,
                    json.dumps({"__type": "InternalServerError", "message": repr(exc)}).encode(),
                    {"Content-Type": "application/x-amz-json-1.1"},
                )
            self.send_response(reply.status)
            for k, v in reply.headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

    return Handler
