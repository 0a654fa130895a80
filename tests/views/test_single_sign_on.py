"""Single sign-on against the sandbox's OpenID provider, over real HTTP: the dashboard's side
of the flow through Django's test client, the provider's through httpx."""

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from agents.roles import ADMIN, MANAGER, SUPERVISOR
from tests.fixtures.sandbox import sso_authorize, sso_sign_in

pytestmark = pytest.mark.django_db


def roles_of(username: str) -> set[str]:
    user = get_user_model().objects.get(username=username)
    return {group.name for group in user.groups.all()}


def test_the_login_page_offers_the_provider_by_name(client, sso_settings):
    page = client.get(reverse("login")).content.decode()
    assert "Sign in with the sandbox&#x27;s identity provider" in page
    assert 'name="password"' in page


def test_the_authorization_request_carries_pkce_state_and_nonce(client, sso_settings):
    start = client.get(reverse("sso-start"))
    params = parse_qs(urlsplit(start["Location"]).query)
    assert params["code_challenge_method"] == ["S256"]
    assert len(params["code_challenge"][0]) >= 43
    assert params["state"][0] and params["nonce"][0]
    assert start["Location"].startswith(sso_settings.oidc_issuer + "/authorize?")


@pytest.mark.parametrize(
    ("username", "role"),
    [("sso-supervisor", SUPERVISOR), ("sso-manager", MANAGER), ("sso-admin", ADMIN)],
)
def test_a_first_sign_in_creates_the_user_with_the_role_from_the_groups_claim(
    client, sso_settings, username, role
):
    response = sso_sign_in(client, username)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    user = get_user_model().objects.get(username=username)
    assert roles_of(username) == {role}
    assert not user.has_usable_password()
    assert user.email == f"{username}@sandbox.example"
    assert client.get(reverse("home")).status_code == 200


def test_the_role_follows_the_claim_at_the_next_sign_in(client, sso_settings):
    sso_sign_in(client, "sso-admin")
    assert roles_of("sso-admin") == {ADMIN}
    client.post(reverse("logout"))
    sso_settings.identity.set_groups("sso-admin", ["team-leads"])
    sso_sign_in(client, "sso-admin")
    assert roles_of("sso-admin") == {SUPERVISOR}
    assert get_user_model().objects.filter(username__startswith="sso-admin").count() == 1
    assert client.get(reverse("cad-job-list")).status_code == 403


def test_a_claim_that_maps_to_no_role_is_refused_with_a_page_saying_so(client, sso_settings):
    response = sso_sign_in(client, "sso-contractor")
    assert response.status_code == 403
    assert "has no role in this dashboard" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not get_user_model().objects.filter(username="sso-contractor").exists()


def test_a_user_moved_out_of_every_mapped_group_is_refused(client, sso_settings):
    sso_sign_in(client, "sso-manager")
    client.post(reverse("logout"))
    sso_settings.identity.set_groups("sso-manager", ["alumni"])
    response = sso_sign_in(client, "sso-manager")
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("fault", ["expired", "wrong_key", "wrong_audience"])
def test_an_id_token_that_fails_verification_is_refused(client, sso_settings, fault):
    sso_settings.identity.id_token_fault(fault)
    response = sso_sign_in(client, "sso-admin")
    assert response.status_code == 403
    assert "could not be verified" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_tampered_state_is_refused(client, sso_settings):
    response = sso_sign_in(client, "sso-admin", state="forged-state")
    assert response.status_code == 403
    assert "not started from this browser" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_sign_in_without_its_pkce_verifier_is_refused_by_the_provider(client, sso_settings):
    """The code alone is not enough: the provider wants the verifier this session holds."""
    params, back = sso_authorize(client, "sso-admin")
    code = parse_qs(back.query)["code"][0]
    token = httpx.post(
        sso_settings.oidc_issuer + "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": "deepcall-dashboard",
            "client_secret": "sandbox-oidc-secret",
            "redirect_uri": params["redirect_uri"],
            "code_verifier": "not-the-verifier-" * 3,
        },
    )
    assert token.status_code == 400
    assert token.json()["error"] == "invalid_grant"


def test_a_disabled_user_is_refused(client, sso_settings):
    sso_sign_in(client, "sso-supervisor")
    client.post(reverse("logout"))
    get_user_model().objects.filter(username="sso-supervisor").update(is_active=False)
    response = sso_sign_in(client, "sso-supervisor")
    assert response.status_code == 403
    assert "disabled" in response.content.decode()


def test_an_unreachable_provider_is_a_clear_page(client, sso_settings, settings):
    settings.OIDC_ISSUER = "http://127.0.0.1:9/oidc"
    response = client.get(reverse("sso-start"))
    assert response.status_code == 403
    assert "could not be reached" in response.content.decode()


def test_a_local_account_with_the_same_name_is_not_taken_over(
    client, sso_settings, django_user_model
):
    local = django_user_model.objects.create_user("sso-admin", password="x" * 20)
    sso_sign_in(client, "sso-admin")
    assert int(client.session["_auth_user_id"]) != local.pk
    assert roles_of("sso-admin") == set()
    assert roles_of("sso-admin-2") == {ADMIN}


def test_password_sign_in_can_be_turned_off(client, sso_settings, settings, supervisor_user):
    settings.PASSWORD_LOGIN = False
    page = client.get(reverse("login")).content.decode()
    assert 'name="password"' not in page
    assert "Sign in with" in page
    response = client.post(
        reverse("login"), {"username": "sam.supervisor", "password": "correct horse battery staple"}
    )
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_the_client_secret_and_tokens_stay_out_of_pages_logs_and_the_database(
    client, sso_settings, caplog
):
    import logging

    from tests.security.test_no_secret_leaks import all_database_text

    caplog.set_level(logging.DEBUG)
    bodies = [sso_sign_in(client, "sso-admin"), client.get("/"), client.get(reverse("account"))]
    sso_settings.identity.id_token_fault("wrong_key")
    client.post(reverse("logout"))
    bodies.append(sso_sign_in(client, "sso-admin"))
    text = "\n".join(b.content.decode() for b in bodies)
    secret = "sandbox-oidc-secret"
    for where, haystack in (("pages", text), ("logs", caplog.text), ("db", all_database_text())):
        assert secret not in haystack, where
    # No token either (a JWT's first bytes); the database holds signed sessions, which look alike.
    for where, haystack in (("pages", text), ("logs", caplog.text)):
        assert "eyJ" not in haystack, f"a JWT in the {where}"
