import re

import pytest


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(supervisor_client):
    response = supervisor_client.get("/")
    csp = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "'self'" in script_src
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    nonce = re.search(r"'nonce-([^']+)'", script_src).group(1)
    # Every script tag on the page carries this response's nonce.
    body = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", body)
    assert scripts
    assert all(f'nonce="{nonce}"' in tag for tag in scripts)
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    # Style elements too come only from our files; only style attributes may be inline.
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    for name in ("style-src", "style-src-elem"):
        assert "'unsafe-inline'" not in directives[name], name
    assert directives["style-src-attr"] == "'unsafe-inline'"


@pytest.mark.django_db
def test_security_headers_are_set(supervisor_client):
    response = supervisor_client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_state_changing_requests_need_the_csrf_token(admin_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    for url in ["/agents/refresh/", "/cad/start/", "/cad/selection/", "/accounts/logout/"]:
        response = client.post(url, headers={"HX-Request": "true"})
        assert response.status_code == 403, url
        assert b"CSRF" in response.content


@pytest.mark.django_db
def test_htmx_requests_send_the_csrf_token_from_the_body_headers(supervisor_client):
    body = supervisor_client.get("/").content.decode()
    match = re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'>", body)
    assert match and len(match.group(1)) >= 32


@pytest.mark.django_db
def test_htmx_is_told_to_talk_to_this_site_only_and_never_run_scripts(supervisor_client):
    import json

    body = supervisor_client.get("/").content.decode()
    config = json.loads(re.search(r'<meta name="htmx-config" content=\'([^\']+)\'>', body).group(1))
    assert config["selfRequestsOnly"] is True
    assert config["allowScriptTags"] is False
    assert config["allowEval"] is False


PERSONAL_DATA_URLS = [
    "/",
    "/agents/",
    "/agents/?q=a",
    "/agents/export.csv",
    "/schedules/",
    "/schedules/coverage.csv",
    "/cad/",
    "/status/",
    "/exports/",
    "/accounts/login/",
    "/accounts/",
    "/accounts/password/",
    "/sign-ins/",
    "/users/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", PERSONAL_DATA_URLS)
def test_no_page_or_csv_may_be_stored_by_a_browser_or_proxy(admin_client, url):
    response = admin_client.get(url)
    assert response.status_code == 200, url
    assert "no-store" in response["Cache-Control"], url
