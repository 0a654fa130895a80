"""No credential on Django's technical 500 page or in an error report.

The masking is dashboard/error_reports.py's.
"""

import sys

import pytest
from django.conf import settings
from django.http import HttpRequest
from django.test import Client
from django.urls import path
from django.views.debug import get_exception_reporter_class

SSID = "ssid-5ecret-0f-the-account"
TOKEN = "t0ken-5ecret-0f-the-account"
REDIS_PASSWORD = "r3dis-pa55word"
DATABASE_PASSWORD = "d8-pa55word"
REDIS_URL = f"redis://:{REDIS_PASSWORD}@cache.internal:6379/0"
DATABASE_URL = f"postgres://dashboard:{DATABASE_PASSWORD}@db.internal:5432/deepcall"
SECRETS = [SSID, TOKEN, REDIS_PASSWORD, DATABASE_PASSWORD]


def broken_view(request: HttpRequest):
    # Credentials in innocently named locals and in the exception's own message, as a
    # connection error from a library would quote its URL.
    session = settings.DEEPCALL_SSID
    upstream = {"ssid": session, "token": settings.DEEPCALL_TOKEN}
    cache_url = REDIS_URL
    raise RuntimeError(f"could not reach {cache_url} for {upstream}")


urlpatterns = [path("boom/", broken_view)]


@pytest.fixture
def credentials(settings):
    settings.DEEPCALL_SSID = SSID
    settings.DEEPCALL_TOKEN = TOKEN
    settings.REDIS_URL = REDIS_URL
    settings.DEBUG = True
    settings.ROOT_URLCONF = __name__
    # What runserver's request.META carries: the process environment.
    return {"REDIS_URL": REDIS_URL, "DATABASE_URL": DATABASE_URL, "DEEPCALL_SSID": SSID}


@pytest.mark.django_db
def test_the_debug_error_page_masks_every_credential(credentials):
    client = Client(raise_request_exception=False)
    response = client.get("/boom/", **credentials)
    assert response.status_code == 500
    page = response.content.decode()
    assert "RuntimeError" in page and "DEEPCALL_SSID" in page  # the page itself is there
    assert "cache.internal" in page  # hosts stay readable, only the password goes
    leaked = [secret for secret in SECRETS if secret in page]
    assert not leaked, f"shown on the error page: {leaked}"


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
def test_error_reports_mask_every_credential(credentials, settings, rf, debug):
    settings.DEBUG = debug
    request = rf.get("/boom/", **credentials)
    try:
        broken_view(request)
    except RuntimeError:
        exc_info = sys.exc_info()
    reporter = get_exception_reporter_class(request)(request, *exc_info, is_email=True)
    for report in (reporter.get_traceback_text(), reporter.get_traceback_html()):
        assert "could not reach" in report
        leaked = [secret for secret in SECRETS if secret in report]
        assert not leaked, f"in the error report: {leaked}"
