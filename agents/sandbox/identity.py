"""The sandbox's development OpenID provider: sign in with single sign-on and no account anywhere.

Served by the sandbox under `/oidc/` (never in production, like the rest of the sandbox), built
on joserfc for the keys and the signed ID tokens. Endpoints, as any OpenID Connect provider:

    GET  /oidc/.well-known/openid-configuration   the discovery document
    GET  /oidc/jwks                                the public signing key
    GET  /oidc/authorize                           "who are you?": one button per demo user
    POST /oidc/authorize                           the choice: back to the client with a code
    POST /oidc/token                               code (+ PKCE verifier, client secret) -> tokens
    GET  /oidc/userinfo                            the claims, for a bearer access token

Decisions: only the authorization code flow, and PKCE (S256) is required, as it should be
everywhere; a code is single-use and lives `CODE_SECONDS`; the client is the one in
`SANDBOX_OIDC_CLIENT_ID`/`SANDBOX_OIDC_CLIENT_SECRET`. Tests can move a user between groups
(`set_groups`) and make the next ID token expired, signed by another key or for another
audience (`id_token_fault`), to prove the dashboard refuses it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

import orjson
from joserfc import jwt
from joserfc.jwk import RSAKey

from agents.sandbox import SANDBOX_OIDC_CLIENT_ID, SANDBOX_OIDC_CLIENT_SECRET

PREFIX = "/oidc"
# A code is exchanged within seconds of being issued; a minute covers a slow test machine.
CODE_SECONDS = 60
# ID and access tokens: long enough for a sign-in, short as a real provider's are.
TOKEN_SECONDS = 300
ID_TOKEN_FAULTS = ("expired", "wrong_key", "wrong_audience")

JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"

# username, display name, groups: one per role (agents.roles via OIDC_ROLE_MAP's sandbox
# default), and one whose group maps to no role, to show the refusal.
DEMO_IDENTITIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("sso-supervisor", "Sunita Supervisor", ("team-leads",)),
    ("sso-manager", "Manoj Manager", ("wfm",)),
    ("sso-admin", "Aditi Admin", ("dashboard-admins",)),
    ("sso-contractor", "Chris Contractor", ("contractors",)),
)

Response = tuple[int, list[tuple[str, str]], bytes]


@dataclass
class _Grant:
    username: str
    client_id: str
    redirect_uri: str
    nonce: str | None
    code_challenge: str
    expires: float


@dataclass
class _Identity:
    username: str
    name: str
    groups: list[str] = field(default_factory=list)

    @property
    def subject(self) -> str:
        # Stable and opaque, as a provider's `sub` is: not the username, which may change.
        return hashlib.sha256(f"sandbox:{self.username}".encode()).hexdigest()[:24]


def _json(status: int, payload: Any) -> Response:
    return status, [("Content-Type", JSON_TYPE)], orjson.dumps(payload)


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    return _json(status, {"error": error, "error_description": description})


def _new_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"})


class SandboxIdentityProvider:
    """The provider's state (demo users, pending codes, issued access tokens) and endpoints."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._keys_lock = threading.Lock()
        self._keys: tuple[RSAKey, RSAKey] | None = None
        self.reset()

    def _signing_keys(self) -> tuple[RSAKey, RSAKey]:
        """The published signing key, and a stranger under the same key id that signs the
        "wrong_key" fault's tokens. Made at first use: two 2048-bit keys take a busy machine
        a second or more, and the sandbox's API should answer as soon as it starts."""
        with self._keys_lock:
            if self._keys is None:
                self._keys = (_new_key("sandbox-signing-key"), _new_key("sandbox-signing-key"))
            return self._keys

    def reset(self) -> None:
        """Demo users back in their groups, no pending codes or tokens, no fault."""
        with self.lock:
            self.identities = {
                username: _Identity(username, name, list(groups))
                for username, name, groups in DEMO_IDENTITIES
            }
            self._grants: dict[str, _Grant] = {}
            self._access_tokens: dict[str, tuple[str, float]] = {}
            self.fault: str | None = None

    def set_groups(self, username: str, groups: list[str]) -> None:
        """Move a demo user to other groups: the next ID token says so."""
        with self.lock:
            self.identities[username].groups = list(groups)

    def id_token_fault(self, fault: str | None) -> None:
        """Every ID token from now on is `expired`, signed by an unpublished key
        (`wrong_key`) or for another client (`wrong_audience`); None: as they should be."""
        if fault is not None and fault not in ID_TOKEN_FAULTS:
            raise ValueError(f"unknown ID token fault {fault!r}")
        with self.lock:
            self.fault = fault

    # --- HTTP -----------------------------------------------------------------------------

    def handle(self, method: str, path: str, environ: dict[str, Any], body: bytes) -> Response:
        """Answer one request under /oidc/."""
        issuer = f"http://{environ['SERVER_NAME']}:{environ['SERVER_PORT']}{PREFIX}"
        route = path[len(PREFIX) :].rstrip("/")
        if route == "/.well-known/openid-configuration" and method == "GET":
            return _json(200, self._discovery(issuer))
        if route == "/jwks" and method == "GET":
            return _json(200, {"keys": [self._signing_keys()[0].as_dict(private=False)]})
        if route == "/authorize" and method == "GET":
            return self._authorize_page(parse_qs(environ.get("QUERY_STRING", "")))
        if route == "/authorize" and method == "POST":
            return self._authorize(parse_qs(body.decode("utf-8", "replace")))
        if route == "/token" and method == "POST":
            return self._token(parse_qs(body.decode("utf-8", "replace")), issuer)
        if route == "/userinfo" and method == "GET":
            return self._userinfo(environ.get("HTTP_AUTHORIZATION", ""))
        return _json(404, {"error": "not_found"})

    @staticmethod
    def _discovery(issuer: str) -> dict[str, Any]:
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "userinfo_endpoint": f"{issuer}/userinfo",
            "jwks_uri": f"{issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile", "groups"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "email", "name", "preferred_username", "groups"],
        }

    def _authorize_page(self, query: dict[str, list[str]]) -> Response:
        params = {key: values[0] for key, values in query.items() if values}
        problem = self._authorize_problem(params)
        if problem:
            return 400, [("Content-Type", HTML_TYPE)], _page("Sign-in refused", problem)
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(key)}" value="{html.escape(value)}">'
            for key, value in params.items()
        )
        with self.lock:
            buttons = "".join(
                f'<li><button type="submit" name="username" value="{html.escape(i.username)}">'
                f"Continue as {html.escape(i.name)}</button> ({html.escape(', '.join(i.groups))})"
                "</li>"
                for i in self.identities.values()
            )
        content = (
            "<p>A development identity provider: pick a demo user. No password.</p>"
            f'<form method="post"><ul>{buttons}</ul>{hidden}</form>'
        )
        return 200, [("Content-Type", HTML_TYPE)], _page("Sandbox sign-in", content)

    @staticmethod
    def _authorize_problem(params: dict[str, str]) -> str:
        if params.get("response_type") != "code":
            return "Only the authorization code flow (response_type=code) is supported."
        if params.get("client_id") != SANDBOX_OIDC_CLIENT_ID:
            return "Unknown client."
        if not params.get("redirect_uri", "").startswith(("http://", "https://")):
            return "A redirect_uri is required."
        if not params.get("state"):
            return "A state is required."
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return "PKCE with S256 is required."
        if "openid" not in params.get("scope", "").split():
            return "The openid scope is required."
        return ""

    def _authorize(self, form: dict[str, list[str]]) -> Response:
        params = {key: values[0] for key, values in form.items() if values}
        problem = self._authorize_problem(params)
        username = params.get("username", "")
        if problem or username not in self.identities:
            return 400, [("Content-Type", HTML_TYPE)], _page("Sign-in refused", problem or "Who?")
        code = secrets.token_urlsafe(24)
        with self.lock:
            self._grants[code] = _Grant(
                username=username,
                client_id=params["client_id"],
                redirect_uri=params["redirect_uri"],
                nonce=params.get("nonce"),
                code_challenge=params["code_challenge"],
                expires=time.time() + CODE_SECONDS,
            )
        query = urlencode({"code": code, "state": params["state"]})
        separator = "&" if "?" in params["redirect_uri"] else "?"
        return 302, [("Location", f"{params['redirect_uri']}{separator}{query}")], b""

    def _token(self, form: dict[str, list[str]], issuer: str) -> Response:
        params = {key: values[0] for key, values in form.items() if values}
        if params.get("grant_type") != "authorization_code":
            return _oauth_error("unsupported_grant_type", "authorization_code only")
        if (
            params.get("client_id") != SANDBOX_OIDC_CLIENT_ID
            or params.get("client_secret") != SANDBOX_OIDC_CLIENT_SECRET
        ):
            return _oauth_error("invalid_client", "wrong client id or secret", status=401)
        with self.lock:
            grant = self._grants.pop(params.get("code", ""), None)
        if grant is None or grant.expires < time.time():
            return _oauth_error("invalid_grant", "unknown, used or expired code")
        if grant.redirect_uri != params.get("redirect_uri"):
            return _oauth_error("invalid_grant", "redirect_uri differs from the authorization's")
        verifier = params.get("code_verifier", "")
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if not verifier or not secrets.compare_digest(challenge, grant.code_challenge):
            return _oauth_error("invalid_grant", "PKCE verification failed")
        access_token = secrets.token_urlsafe(24)
        with self.lock:
            self._access_tokens[access_token] = (grant.username, time.time() + TOKEN_SECONDS)
        return _json(
            200,
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": TOKEN_SECONDS,
                "id_token": self._id_token(grant, issuer),
            },
        )

    def _claims(self, username: str) -> dict[str, Any]:
        identity = self.identities[username]
        return {
            "sub": identity.subject,
            "preferred_username": identity.username,
            "name": identity.name,
            "email": f"{identity.username}@sandbox.example",
            "email_verified": True,
            "groups": list(identity.groups),
        }

    def _id_token(self, grant: _Grant, issuer: str) -> str:
        now = int(time.time())
        with self.lock:
            fault = self.fault
            claims = self._claims(grant.username)
        claims |= {
            "iss": issuer,
            "aud": "another-client" if fault == "wrong_audience" else grant.client_id,
            "iat": now,
            "exp": now - 60 if fault == "expired" else now + TOKEN_SECONDS,
            "auth_time": now,
        }
        if fault == "expired":
            claims["iat"] = now - TOKEN_SECONDS
        if grant.nonce:
            claims["nonce"] = grant.nonce
        published, stranger = self._signing_keys()
        key = stranger if fault == "wrong_key" else published
        return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key)

    def _userinfo(self, authorization: str) -> Response:
        scheme, _, token = authorization.partition(" ")
        with self.lock:
            found = self._access_tokens.get(token) if scheme.lower() == "bearer" else None
            if found is None or found[1] < time.time():
                return _oauth_error("invalid_token", "unknown or expired token", status=401)
            return _json(200, self._claims(found[0]))


def _page(title: str, content: str) -> bytes:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"</head><body><main><h1>{title}</h1>{content}</main></body></html>"
    ).encode()
