"""Production mode refuses unsafe configuration: checked in a fresh interpreter each time."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEEPCALL_"))}
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
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_without_an_account_does_not_fall_back_to_the_sandbox():
    result = run_manage("check", DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 60)
    assert result.returncode != 0
    assert "DEEPCALL_BASE_URL is not set" in result.stderr


def test_deploy_checks_are_clean_with_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="a-long-random-production-secret-" + "k9Qz" * 12,
        DJANGO_ALLOWED_HOSTS="dashboard.example.com",
        DEEPCALL_BASE_URL="https://example.invalid",
        DEEPCALL_SSID="secret-ssid",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_empty_variable_means_the_default_not_a_crash():
    # `DATABASE_URL= make run` (or a blank line in an .env file) keeps the embedded SQLite.
    result = run_manage("check", DATABASE_URL="", REDIS_URL="", DEEPCALL_TIME_ZONE=" ")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
