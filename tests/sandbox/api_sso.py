"""IAM Identity Center: SSO-OIDC device authorization and the SSO portal (both rest-json).

The device flow is approved either through the control API or by an HTTP GET on
``verificationUriComplete``, as a browser would.
"""

from __future__ import annotations

import secrets
import string
import time
from typing import TYPE_CHECKING, Any

from .state import ACCOUNT_ID, Credential, DeviceAuth
from .wire import Reply, json_reply, rest_json_error

if TYPE_CHECKING:
    from .gateway import Gateway, Request

DEVICE_CODE_TTL = 600
ACCESS_TOKEN_TTL = 8 * 3600
ROLE_CREDENTIAL_TTL = 3600

DEFAULT_ACCOUNTS: list[dict[str, Any]] = [
    {
        "accountId": ACCOUNT_ID,
        "accountName": "sandbox-prod",
        "emailAddress": "prod@example.com",
        "roles": ["AdministratorAccess", "ReadOnly"],
    },
    {
        "accountId": "210987654321",
        "accountName": "sandbox-staging",
        "emailAddress": "staging@example.com",
        "roles": ["PowerUser"],
    },
]


def _oidc_error(code: str, error: str, description: str, status: int = 400) -> Reply:
    # sso-oidc errors carry OAuth-style members ("error", "error_description").
    return rest_json_error(
        status, code, description, {"error": error, "error_description": description}
    )


def handle_oidc(gw: Gateway, req: Request) -> Reply:
    path = req.path.split("?", 1)[0]
    body = req.json()
    st = gw.state
    if path == "/client/register":
        client_id = "sbx-client-" + secrets.token_hex(8)
        client_secret = secrets.token_urlsafe(32)
        with st.lock:
            st.sso_clients[client_id] = client_secret
        now = int(time.time())
        return json_reply(
            200,
            {
                "clientId": client_id,
                "clientSecret": client_secret,
                "clientIdIssuedAt": now,
                "clientSecretExpiresAt": now + 90 * 86400,
            },
            content_type="application/json",
        )
    if path == "/device_authorization":
        with st.lock:
            ok = st.sso_clients.get(body.get("clientId", "")) == body.get("clientSecret")
        if not ok:
            return _oidc_error("InvalidClientException", "invalid_client", "Invalid client", 401)
        device_code = secrets.token_urlsafe(32)
        alphabet = string.ascii_uppercase
        user_code = (
            "".join(secrets.choice(alphabet) for _ in range(4))
            + "-"
            + "".join(secrets.choice(alphabet) for _ in range(4))
        )
        with st.lock:
            st.device_auths[device_code] = DeviceAuth(
                device_code,
                user_code,
                body["clientId"],
                body.get("startUrl", ""),
                time.time() + DEVICE_CODE_TTL,
            )
        verify = f"{gw.url}/_sandbox/sso/verify"
        return json_reply(
            200,
            {
                "deviceCode": device_code,
                "userCode": user_code,
                "verificationUri": verify,
                "verificationUriComplete": f"{verify}?user_code={user_code}",
                "expiresIn": DEVICE_CODE_TTL,
                "interval": 1,
            },
            content_type="application/json",
        )
    if path.startswith("/token"):
        return _create_token(gw, body)
    return rest_json_error(404, "ResourceNotFoundException", "Not found")


def _create_token(gw: Gateway, body: dict[str, Any]) -> Reply:
    st = gw.state
    with st.lock:
        if st.sso_clients.get(body.get("clientId", "")) != body.get("clientSecret"):
            return _oidc_error("InvalidClientException", "invalid_client", "Invalid client", 401)
        grant = body.get("grantType")
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            auth = st.device_auths.get(body.get("deviceCode", ""))
            if auth is None or auth.consumed:
                return _oidc_error(
                    "InvalidGrantException", "invalid_grant", "Invalid grant provided"
                )
            if auth.denied:
                return _oidc_error("AccessDeniedException", "access_denied", "Access denied")
            if auth.slow_downs > 0:
                auth.slow_downs -= 1
                return _oidc_error("SlowDownException", "slow_down", "Client is polling too fast")
            if auth.expires_at < time.time():
                return _oidc_error(
                    "ExpiredTokenException", "expired_token", "Device code has expired"
                )
            if not auth.approved:
                return _oidc_error(
                    "AuthorizationPendingException",
                    "authorization_pending",
                    "Authorization is pending",
                )
            auth.consumed = True
        elif grant == "refresh_token":
            if st.sso_refresh.pop(body.get("refreshToken", ""), None) is None:
                return _oidc_error(
                    "InvalidGrantException", "invalid_grant", "Invalid refresh token"
                )
        else:
            return _oidc_error(
                "UnsupportedGrantTypeException", "unsupported_grant_type", f"{grant}"
            )
        access = "sbx-at-" + secrets.token_urlsafe(32)
        refresh = "sbx-rt-" + secrets.token_urlsafe(32)
        st.sso_tokens[access] = time.time() + ACCESS_TOKEN_TTL
        st.sso_refresh[refresh] = body["clientId"]
    return json_reply(
        200,
        {
            "accessToken": access,
            "tokenType": "Bearer",
            "expiresIn": ACCESS_TOKEN_TTL,
            "refreshToken": refresh,
        },
        content_type="application/json",
    )


def device_hook(gw: Gateway, user_code: str, what: str, count: int = 1) -> bool:
    """What the user or the server does to a pending device code: deny, slow_down, expire."""
    with gw.state.lock:
        for auth in gw.state.device_auths.values():
            if auth.user_code == user_code:
                if what == "deny":
                    auth.denied = True
                elif what == "slow_down":
                    auth.slow_downs = count
                elif what == "expire":
                    auth.expires_at = 0.0
                return True
    return False


def approve(gw: Gateway, user_code: str | None = None, device_code: str | None = None) -> bool:
    with gw.state.lock:
        for auth in gw.state.device_auths.values():
            if auth.user_code == user_code or auth.device_code == device_code:
                auth.approved = True
                return True
    return False


def _unauthorized() -> Reply:
    return rest_json_error(401, "UnauthorizedException", "Session token not found or invalid")


def handle_portal(gw: Gateway, req: Request) -> Reply:
    path = req.path.split("?", 1)[0]
    token = req.headers.get("x-amz-sso_bearer_token", "")
    with gw.state.lock:
        expiry = gw.state.sso_tokens.get(token)
        accounts = gw.state.sso_accounts or DEFAULT_ACCOUNTS
    if expiry is None or expiry < time.time():
        return _unauthorized()
    q = req.query
    if path == "/logout":
        with gw.state.lock:
            gw.state.sso_tokens.pop(token, None)
        return json_reply(200, {}, content_type="application/json")
    if path == "/assignment/accounts":
        items = [{k: a[k] for k in ("accountId", "accountName", "emailAddress")} for a in accounts]
        return _paged(items, q, "accountList")
    account = next((a for a in accounts if a["accountId"] == q.get("account_id")), None)
    if account is None:
        return rest_json_error(404, "ResourceNotFoundException", "Account not found")
    if path == "/assignment/roles":
        items = [{"roleName": r, "accountId": account["accountId"]} for r in account["roles"]]
        return _paged(items, q, "roleList")
    role = q.get("role_name", "")
    if role not in account["roles"]:
        return rest_json_error(403, "ForbiddenException", "No access")
    akid = "ASIASSO" + secrets.token_hex(7).upper()[:13]
    secret = secrets.token_urlsafe(30)[:40]
    session_token = "sso-" + secrets.token_urlsafe(48)
    expires = time.time() + ROLE_CREDENTIAL_TTL
    arn = f"arn:aws:sts::{account['accountId']}:assumed-role/AWSReservedSSO_{role}_0123456789abcdef/sso-user"
    with gw.state.lock:
        gw.state.creds[akid] = Credential(
            akid,
            secret,
            f"arn:aws:iam::{account['accountId']}:role/AWSReservedSSO_{role}_0123456789abcdef",
            arn,
            f"AROASSOSANDBOX{role.upper()[:6]}:sso-user",
            session_token=session_token,
            expires_at=expires,
        )
    return json_reply(
        200,
        {
            "roleCredentials": {
                "accessKeyId": akid,
                "secretAccessKey": secret,
                "sessionToken": session_token,
                "expiration": int(expires * 1000),
            }
        },
        content_type="application/json",
    )


def _paged(items: list[dict[str, Any]], q: dict[str, str], key: str) -> Reply:
    size = int(q.get("max_result") or 100)
    start = int(q.get("next_token") or 0)
    out: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        out["nextToken"] = str(start + size)
    return json_reply(200, out, content_type="application/json")
