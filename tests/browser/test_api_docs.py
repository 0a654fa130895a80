"""The API's docs page in a browser: Swagger UI from the app's own static files draws every
operation from /api/v1/openapi.json, under the site's Content Security Policy, and no request
leaves the site."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_the_docs_page_draws_the_operations_from_the_apps_own_files(page, live_server):
    hosts = set()
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    page.goto("/api/v1/docs")
    expect(page.get_by_text("DeepCall dashboard API").first).to_be_visible()
    for path in ("/api/v1/agents", "/api/v1/cad-jobs", "/api/v1/changes", "/api/v1/coverage"):
        expect(page.locator(f'[data-path="{path}"]').first).to_be_visible()
    assert hosts == {live_server.url.split("/")[2]}
    assert not [e for e in page.console_errors if "Content Security Policy" in e]
