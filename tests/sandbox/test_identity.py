"""The sandbox's development OpenID provider, over real HTTP: the parts a client relies on."""

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from agents.sandbox import SANDBOX_OIDC_CLIENT_ID, SANDBOX_OIDC_CLIENT_SECRET

VERIFIER = "v" * 64
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=")
REDIRECT = "http://127.0.0.1:9/callback/"
AUTHORIZE = {
    "response_type": "code",
    "client_id": SANDBOX_OIDC_CLIENT_ID,
    "redirect_uri": REDIRECT,
    "state": "s1",
    "nonce": "n1",
    "scope": "openid email",
    "code_challenge": CHALLENGE.decode(),
    "code_challenge_method": "S256",
}


@pytest.fixture
def issuer(sandbox):
    return sandbox.oidc_issuer


def code_for(issuer: str, username: str = "sso-admin") -> str:
    answer = httpx.post(f"{issuer}/authorize", data={**AUTHORIZE, "username": username})
    assert answer.status_code == 302
    back = urlsplit(answer.headers["location"])
    assert back.path == "/callback/" and parse_qs(back.query)["state"] == ["s1"]
    return parse_qs(back.query)["code"][0]


def exchange(issuer: str, code: str, **overrides) -> httpx.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": SANDBOX_OIDC_CLIENT_ID,
        "client_secret": SANDBOX_OIDC_CLIENT_SECRET,
        "redirect_uri": REDIRECT,
        "code_verifier": VERIFIER,
        **overrides,
    }
    return httpx.post(f"{issuer}/token", data=data)


def test_discovery_names_the_issuer_and_its_endpoints(issuer):
    document = httpx.get(f"{issuer}/.well-known/openid-configuration").json()
    assert document["issuer"] == issuer
    assert document["jwks_uri"] == f"{issuer}/jwks"
    assert document["code_challenge_methods_supported"] == ["S256"]


def test_the_id_token_is_signed_by_the_published_key_with_the_claims_asked_for(issuer):
    tokens = exchange(issuer, code_for(issuer)).json()
    keys = KeySet.import_key_set(httpx.get(f"{issuer}/jwks").json())
    claims = jwt.decode(tokens["id_token"], keys).claims
    assert claims["iss"] == issuer and claims["aud"] == SANDBOX_OIDC_CLIENT_ID
    assert claims["nonce"] == "n1" and claims["groups"] == ["dashboard-admins"]
    info = httpx.get(
        f"{issuer}/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert info.json()["sub"] == claims["sub"]


def test_a_code_is_used_once(issuer):
    code = code_for(issuer)
    assert exchange(issuer, code).status_code == 200
    assert exchange(issuer, code).json()["error"] == "invalid_grant"


def test_the_client_must_prove_itself(issuer):
    refused = exchange(issuer, code_for(issuer), client_secret="guess")
    assert refused.status_code == 401


def test_an_authorization_request_without_pkce_is_refused(issuer):
    without = {k: v for k, v in AUTHORIZE.items() if not k.startswith("code_challenge")}
    page = httpx.get(f"{issuer}/authorize", params=without)
    assert page.status_code == 400
    assert "PKCE" in page.text
