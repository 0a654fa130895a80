"""Single sign-on over OpenID Connect, on mozilla-django-oidc.

The library does the flow: state and nonce kept in the session and checked at the callback,
PKCE (S256), the code exchanged for tokens, the ID token's signature checked against the
provider's published keys (PyJWT). What is ours:

- the endpoints come from the issuer's discovery document (`OIDC_ISSUER`), read when first
  needed and cached, so a provider that is down stops sign-ins, not the whole dashboard;
- the ID token's issuer, audience and expiry are verified too (the library leaves the
  audience to us), with `exp`, `iat`, `iss`, `aud` and `sub` required;
- users are found by (issuer, subject), never by email: an address that moves to another
  person, or a local account that happens to share it, is never signed into;
- the role comes from the `OIDC_ROLE_CLAIM` claim through `OIDC_ROLE_MAP` at every sign-in; a
  user whose claim maps to no role is refused with a page saying why, never let in roleless;
- SSO users get an unusable local password: the provider decides who they are.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from agents.auth import PermissionsInOneQuery
from agents.models import SingleSignOnIdentity
from agents.request_turns import turn_given_up
from agents.roles import ROLE_PERMISSIONS

logger = logging.getLogger(__name__)

# The discovery document changes when a provider rotates endpoints, which is rare; an hour
# keeps a sign-in from fetching it while a change is still picked up the same day.
DISCOVERY_CACHE_SECONDS = 3600
# A provider that has not answered in this long will not: the person is told at once.
PROVIDER_TIMEOUT_S = 10
ID_TOKEN_ALGORITHMS = ["RS256", "ES256"]
REFUSAL_ATTRIBUTE = "sso_refusal"


class IdentityProviderUnavailable(Exception):
    """The provider's discovery document could not be read, or is not a provider's."""


def sso_enabled() -> bool:
    """Whether single sign-on is configured (an issuer and a client id)."""
    return bool(settings.OIDC_ISSUER and settings.OIDC_CLIENT_ID)


def provider_metadata() -> dict[str, Any]:
    """The issuer's discovery document (cached); raises `IdentityProviderUnavailable`."""
    issuer = settings.OIDC_ISSUER
    key = f"oidc-discovery:{issuer}"
    metadata = cache.get(key)
    if metadata is not None:
        return metadata
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        with turn_given_up():
            response = httpx.get(url, timeout=PROVIDER_TIMEOUT_S)
        response.raise_for_status()
        metadata = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise IdentityProviderUnavailable(f"{url}: {exc}") from exc
    needed = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
    if not isinstance(metadata, dict) or any(not metadata.get(name) for name in needed):
        raise IdentityProviderUnavailable(f"{url} is not a discovery document")
    # OpenID Connect Discovery 1.0 §4.3: the document's issuer must be the one asked.
    if metadata["issuer"].rstrip("/") != issuer:
        raise IdentityProviderUnavailable(f"{url} names another issuer: {metadata['issuer']}")
    cache.set(key, metadata, DISCOVERY_CACHE_SECONDS)
    return metadata


def role_for_claims(claims: dict[str, Any]) -> str | None:
    """The role the claims map to through OIDC_ROLE_MAP; with several, the most powerful."""
    value = claims.get(settings.OIDC_ROLE_CLAIM)
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    role_map = settings.OIDC_ROLE_MAP
    roles = {role_map[v] for v in values if isinstance(v, str) and v in role_map}
    # ROLE_PERMISSIONS lists the roles from least to most powerful.
    ranked = [role for role in ROLE_PERMISSIONS if role in roles]
    return ranked[-1] if ranked else None


def refuse(request: HttpRequest, reason: str) -> None:
    """Note why this sign-in is refused, for the callback's refusal page."""
    setattr(request, REFUSAL_ATTRIBUTE, reason)


class SingleSignOnBackend(PermissionsInOneQuery, OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend with discovery, full ID token checks and roles."""

    def __init__(self, *args, **kwargs):
        # Not the library's __init__: it reads the endpoints at once, and Django builds a
        # backend for every request that carries a session (get_user).
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_CLIENT_SECRET
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.UserModel = get_user_model()

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:
        return provider_metadata()["token_endpoint"]

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str | None:
        return provider_metadata().get("userinfo_endpoint")

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:
        return provider_metadata()["jwks_uri"]

    @property
    def OIDC_RP_SIGN_ALGO(self) -> str:
        # The library fetches the JWKS only for RS*/ES*: never fall back to the client secret.
        return "RS256"

    def get_user(self, user_id):
        # The library's returns disabled users too: a disabled account's session must end.
        user = super().get_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def authenticate(self, request, **kwargs):
        if request is None or not sso_enabled() or "nonce" not in kwargs:
            return None
        try:
            # The token exchange, the provider's keys and userinfo: waits on the provider.
            with turn_given_up():
                return super().authenticate(request, **kwargs)
        except IdentityProviderUnavailable:
            logger.warning("Single sign-on: the identity provider is unavailable", exc_info=True)
            refuse(request, "The identity provider could not be reached. Try again shortly.")
        except requests.RequestException as exc:
            logger.warning("Single sign-on: the token exchange failed: %s", exc)
            refuse(request, "The identity provider did not confirm the sign-in.")
        except SuspiciousOperation as exc:
            logger.warning("Single sign-on refused: %s", exc)
            if not getattr(request, REFUSAL_ATTRIBUTE, None):
                refuse(request, "The identity provider's answer could not be verified.")
        return None

    def _verify_jws(self, payload, key):
        try:
            return jwt.decode(
                payload,
                key,
                algorithms=ID_TOKEN_ALGORITHMS,
                audience=settings.OIDC_CLIENT_ID,
                issuer=provider_metadata()["issuer"],
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise SuspiciousOperation(f"ID token expired: {exc}") from exc
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"ID token invalid: {exc}") from exc

    def retrieve_matching_jwk(self, token):
        try:
            return super().retrieve_matching_jwk(token)
        except (jwt.InvalidTokenError, KeyError) as exc:
            raise SuspiciousOperation(f"ID token's key: {exc}") from exc

    def get_userinfo(self, access_token, id_token, payload):
        # The ID token's claims are signed: they win over the userinfo endpoint's, which
        # only adds what the token left out (some providers put groups there only).
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            info = super().get_userinfo(access_token, id_token, payload)
            if isinstance(info, dict) and info.get("sub") == payload.get("sub"):
                claims = {**info, **payload}
        return claims

    def verify_claims(self, claims):
        if role_for_claims(claims) is None:
            refuse(
                self.request,
                "Your company account has no role in this dashboard. Ask your IT department "
                "to add you to one of the dashboard's groups.",
            )
            return False
        return True

    def filter_users_by_claims(self, claims):
        return self.UserModel.objects.filter(
            sso_identity__issuer=settings.OIDC_ISSUER, sso_identity__subject=claims["sub"]
        )

    @transaction.atomic
    def create_user(self, claims):
        base = str(claims.get("preferred_username") or claims.get("email") or claims["sub"])
        base = base[:140]
        username, suffix = base, 1
        while self.UserModel.objects.filter(username=username).exists():
            suffix += 1
            username = f"{base}-{suffix}"
        user = self.UserModel(username=username)
        user.set_unusable_password()
        user.save()
        SingleSignOnIdentity.objects.create(
            user=user, issuer=settings.OIDC_ISSUER, subject=claims["sub"]
        )
        return self.update_user(user, claims)

    @transaction.atomic
    def update_user(self, user, claims):
        role = role_for_claims(claims)
        user.email = str(claims.get("email") or "")[:254]
        name = str(claims.get("name") or "")
        user.first_name, _, user.last_name = (part[:150] for part in name.partition(" "))
        if user.has_usable_password():
            user.set_unusable_password()
        user.save()
        user.groups.remove(*Group.objects.filter(name__in=ROLE_PERMISSIONS))
        user.groups.add(Group.objects.get(name=role))
        return user
