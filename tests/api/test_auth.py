"""Who may call the API: a bearer token only. No header, a wrong, revoked or expired token, a
disabled user's token, a session cookie alone: 401, as problem details. CSRF is not needed."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from agents.models import ApiToken
from agents.services.api_tokens import api_token_issue, api_token_revoke
from agents.services.user_accounts import user_disable
from tests.api.conftest import ApiClient, bearer

pytestmark = pytest.mark.django_db

URL = "/api/v1/agents"


def assert_unauthorized(response, detail_starts: str = "") -> None:
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == "Bearer"
    problem = response.json()
    assert problem["status"] == 401 and problem["title"] == "Unauthorized"
    assert problem["detail"].startswith(detail_starts)


def test_no_token_is_a_401_problem(client):
    assert_unauthorized(client.get(URL), "Send a personal API token")


def test_a_session_cookie_alone_never_opens_the_api(supervisor_client):
    assert supervisor_client.get("/agents/").status_code == 200  # the session works on pages
    assert_unauthorized(supervisor_client.get(URL), "Send a personal API token")


def test_a_token_opens_the_api_without_a_session_or_csrf_token(supervisor_user, admin_user):
    token = api_token_issue(user=supervisor_user, name="nightly").token
    client = Client(enforce_csrf_checks=True)
    assert client.get(URL, **bearer(token)).status_code == 200
    # A POST with no CSRF cookie or header is not refused as a forgery: it gets as far as the
    # role check (a supervisor may not run CAD jobs).
    refused = client.post("/api/v1/cad-jobs", {}, content_type="application/json", **bearer(token))
    assert refused.status_code == 403 and b"CSRF" not in refused.content
    assert refused["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer dct_abcdefgh_x", "Basic dXNlcjpw"])
def test_a_wrong_token_is_refused(client, supervisor_user, header):
    api_token_issue(user=supervisor_user, name="real one")
    response = client.get(URL, HTTP_AUTHORIZATION=header)
    assert_unauthorized(response)


def test_a_token_of_another_secret_with_a_real_prefix_is_refused(client, supervisor_user):
    issued = api_token_issue(user=supervisor_user, name="real one")
    forged = issued.token[:-4] + "AAAA"
    assert_unauthorized(client.get(URL, **bearer(forged)), "The API token is not valid.")


def test_a_revoked_token_stops_at_once(supervisor_user):
    issued = api_token_issue(user=supervisor_user, name="short-lived")
    api = ApiClient(issued.token)
    assert api.get(URL).status_code == 200
    api_token_revoke(token=issued.record, by=supervisor_user)
    assert_unauthorized(api.get(URL), "This API token was revoked.")


def test_an_expired_token_is_refused(supervisor_user):
    issued = api_token_issue(user=supervisor_user, name="old", days=1)
    ApiToken.objects.filter(pk=issued.record.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert_unauthorized(ApiClient(issued.token).get(URL), "This API token has expired")


def test_a_disabled_users_tokens_stop_working(supervisor_user, admin_user):
    api = ApiClient(api_token_issue(user=supervisor_user, name="hr").token)
    assert api.get(URL).status_code == 200
    user_disable(user=supervisor_user, by=admin_user)
    assert_unauthorized(api.get(URL))
    assert ApiToken.objects.get().revoked_by == admin_user


def test_an_inactive_user_is_refused_even_with_a_live_token(supervisor_user):
    api = ApiClient(api_token_issue(user=supervisor_user, name="hr").token)
    type(supervisor_user).objects.filter(pk=supervisor_user.pk).update(is_active=False)
    assert_unauthorized(api.get(URL), "The account of this API token is disabled.")


def test_a_role_taken_away_applies_at_the_next_request(supervisor_user):
    api = ApiClient(api_token_issue(user=supervisor_user, name="hr").token)
    assert api.get(URL).status_code == 200
    supervisor_user.groups.clear()
    response = api.get(URL)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"


def test_an_unknown_api_path_is_a_problem_not_a_page(supervisor_api):
    response = supervisor_api.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_over_the_rate_limit_a_token_gets_429_with_retry_after(settings, supervisor_user):
    settings.API_RATE_LIMIT = 3
    api = ApiClient(api_token_issue(user=supervisor_user, name="loop").token)
    other = ApiClient(api_token_issue(user=supervisor_user, name="other").token)
    assert [api.get(URL).status_code for _ in range(3)] == [200, 200, 200]
    limited = api.get(URL)
    assert limited.status_code == 429
    assert limited["Content-Type"] == "application/problem+json"
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert "more than 3 requests in a minute" in limited.json()["detail"]
    assert other.get(URL).status_code == 200  # per token


def test_the_openapi_schema_and_the_docs_page_are_served_by_the_app(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/agents" in schema["paths"]
    assert schema["components"]["securitySchemes"]["ApiTokenAuth"]["scheme"] == "bearer"
    problem = schema["paths"]["/api/v1/agents"]["get"]["responses"]["401"]["content"]
    assert list(problem) == ["application/problem+json"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    # Nothing from another host: every src and href is a path of this site.
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert url.startswith("/"), url
    # ...and the page's scripts are the package's own, collected with the other static files.
    from django.contrib.staticfiles import finders

    assert finders.find("ninja/swagger-ui-bundle.js") and finders.find("ninja/swagger-ui.css")


def test_a_nul_character_in_the_url_or_the_token_is_refused_cleanly(supervisor_api, client):
    for url in ("/api/v1/agents?q=a%00b", "/api/v1/agents?group=%00", "/api/v1/agents/a%00"):
        response = supervisor_api.get(url)
        assert response.status_code == 400, url
        assert response["Content-Type"] == "application/problem+json"
    assert_unauthorized(client.get(URL, HTTP_AUTHORIZATION="Bearer dct_\x00bcdefgh_x"))


def test_a_body_over_one_megabyte_is_a_413_problem(admin_api):
    response = admin_api.client.post(
        "/api/v1/cad-jobs",
        b"x" * (1024 * 1024 + 1),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {admin_api.token}",
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
