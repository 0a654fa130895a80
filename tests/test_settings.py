"""Production mode refuses unsafe configuration: checked in a fresh interpreter each time."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


# The environment's own settings are left out, so each test says all it sets.
OUR_VARIABLES = ("DJANGO_", "DEEPCALL_", "OIDC_")


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(OUR_VARIABLES)}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DJANGO_DEBUG="0", DEEPCALL_BASE_URL="https://example.invalid")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_the_development_secret_key():
    result = run_manage(
        "check",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="django-insecure-development-key-not-for-production",
        DEEPCALL_BASE_URL="https://example.invalid",
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is too weak" in result.stderr


STRONG_KEY = "a-long-random-production-secret-" + "k9Qz" * 12
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": STRONG_KEY,
    "DJANGO_ALLOWED_HOSTS": "dashboard.example.com",
    "DEEPCALL_BASE_URL": "https://example.invalid",
    "DEEPCALL_SSID": "secret-ssid",
}


@pytest.mark.parametrize(
    "weak_key",
    [
        "change-me",  # short
        "ab" * 30,  # long, but two characters
        "django-insecure-" + "k9Qz" * 12,  # Django's own marker for a generated dev key
    ],
)
def test_production_refuses_a_weak_secret_key_naming_the_variable(weak_key):
    result = run_manage("check", **{**PRODUCTION, "DJANGO_SECRET_KEY": weak_key})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is too weak" in result.stderr


def test_the_web_server_refuses_a_weak_secret_key_too():
    # gunicorn loads dashboard.wsgi: the same settings stop it before it serves anything.
    clean = {k: v for k, v in os.environ.items() if not k.startswith(OUR_VARIABLES)}
    result = subprocess.run(
        [sys.executable, "-c", "import dashboard.wsgi"],
        cwd=ROOT,
        env={**clean, **PRODUCTION, "DJANGO_SECRET_KEY": "change-me"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is too weak" in result.stderr


@pytest.mark.parametrize("value", ["0", "-1"])
def test_web_processes_must_work_out_at_least_one_request_at_a_time(value):
    result = run_manage("check", **PRODUCTION, WEB_REQUESTS_AT_ONCE=value)
    assert result.returncode != 0
    assert "WEB_REQUESTS_AT_ONCE must be 1 or more." in result.stderr


def test_debug_against_a_real_account_must_be_asked_for():
    result = run_manage("check", DEEPCALL_BASE_URL="https://brand.example.com")
    assert result.returncode != 0
    assert "DJANGO_DEBUG" in result.stderr and "real DeepCall account" in result.stderr
    asked = run_manage("check", DJANGO_DEBUG="1", DEEPCALL_BASE_URL="https://brand.example.com")
    assert asked.returncode == 0, asked.stderr
    # A local stand-in (the sandbox, a proxy on this machine) is not a real account.
    local = run_manage("check", DEEPCALL_BASE_URL="http://127.0.0.1:9999")
    assert local.returncode == 0, local.stderr


def test_production_talks_to_deepcall_over_https_only():
    result = run_manage("check", **{**PRODUCTION, "DEEPCALL_BASE_URL": "http://brand.example.com"})
    assert result.returncode != 0
    assert "DEEPCALL_BASE_URL must start with https://" in result.stderr
    local = run_manage("check", **{**PRODUCTION, "DEEPCALL_BASE_URL": "http://localhost:8443"})
    assert local.returncode == 0, local.stderr


def _production_setting(name: str, **env: str) -> str:
    result = run_manage(
        "shell", "-c", f"from django.conf import settings; print(settings.{name})", **env
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_production_cookies_are_host_only_and_secure():
    assert _production_setting("SESSION_COOKIE_NAME", **PRODUCTION) == "__Host-sessionid"
    assert _production_setting("CSRF_COOKIE_NAME", **PRODUCTION) == "__Host-csrftoken"


def test_production_without_an_account_does_not_fall_back_to_the_sandbox():
    result = run_manage("check", DJANGO_DEBUG="0", DJANGO_SECRET_KEY=STRONG_KEY)
    assert result.returncode != 0
    assert "DEEPCALL_BASE_URL is not set" in result.stderr


def test_deploy_checks_are_clean_with_production_settings():
    env = {**PRODUCTION, "DJANGO_PROXY_COUNT": "1"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_check_warns_when_production_counts_no_proxy():
    result = run_manage("check", "--deploy", **{**PRODUCTION, "DJANGO_PROXY_COUNT": "0"})
    assert "agents.W001" in result.stderr + result.stdout
    assert "DJANGO_PROXY_COUNT is 0" in result.stderr + result.stdout


def test_proxies_on_this_machine_are_trusted_by_default_once_counted():
    env = {**PRODUCTION, "DJANGO_PROXY_COUNT": "1"}
    assert _production_setting("TRUSTED_PROXIES", **env) == "['127.0.0.0/8', '::1/128']"
    assert _production_setting("TRUSTED_PROXIES", **PRODUCTION) == "[]"
    listed = {**env, "DJANGO_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7"}
    assert _production_setting("TRUSTED_PROXIES", **listed) == "['10.0.0.0/8', '192.0.2.7']"
    result = run_manage("check", **{**env, "DJANGO_TRUSTED_PROXIES": "proxy.internal"})
    assert "DJANGO_TRUSTED_PROXIES must list addresses or networks" in result.stderr


def test_an_empty_variable_means_the_default_not_a_crash():
    # `DATABASE_URL= make run` (or a blank line in an .env file) keeps the embedded SQLite.
    result = run_manage("check", DATABASE_URL="", REDIS_URL="", DEEPCALL_TIME_ZONE=" ")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_development_signs_in_through_the_sandboxs_identity_provider_by_default():
    result = run_manage(
        "shell", "-c", "from django.conf import settings; print(settings.OIDC_ISSUER)"
    )
    assert result.stdout.strip().splitlines()[-1] == "http://127.0.0.1:8765/oidc"


def test_production_never_signs_in_through_the_sandbox_even_when_it_is_enabled():
    env = {**PRODUCTION, "DEEPCALL_BASE_URL": "", "DEEPCALL_SANDBOX_ENABLED": "1"}
    assert _production_setting("OIDC_ISSUER or 'none'", **env) == "none"
    assert _production_setting("OIDC_ROLE_MAP", **env) == "{}"


def test_production_needs_an_https_issuer():
    result = run_manage(
        "check", **PRODUCTION, OIDC_ISSUER="http://idp.example.com", OIDC_CLIENT_ID="x"
    )
    assert result.returncode != 0
    assert "OIDC_ISSUER must start with https://" in result.stderr


def test_a_role_map_naming_an_unknown_role_is_refused():
    result = run_manage("check", OIDC_ROLE_MAP="dashboard-admins=Admin,wfm=Boss")
    assert result.returncode != 0
    assert "OIDC_ROLE_MAP: 'wfm=Boss'" in result.stderr


def test_password_sign_in_cannot_be_turned_off_without_single_sign_on():
    result = run_manage("check", **PRODUCTION, DJANGO_PASSWORD_LOGIN="0")
    assert result.returncode != 0
    assert "nobody could sign in" in result.stderr
