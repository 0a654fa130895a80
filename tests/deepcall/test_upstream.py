"""agents.upstream: settings → one process-wide client; ImproperlyConfigured when unusable."""

import threading

import pytest
from django.core.exceptions import ImproperlyConfigured

from agents.deepcall import DeepCallClient
from agents.upstream import get_deepcall_client, reset_deepcall_client


@pytest.fixture(autouse=True)
def deepcall_settings(settings):
    reset_deepcall_client()
    settings.DEEPCALL_API_URL = "https://brand.example"
    settings.DEEPCALL_SSID = ""
    settings.DEEPCALL_USER_ID = "u1"
    settings.DEEPCALL_TOKEN = "tok-secret"
    settings.DEEPCALL_CONNECT_TIMEOUT = 3.0
    settings.DEEPCALL_READ_TIMEOUT = 7.0
    settings.DEEPCALL_CAD_BATCH_SIZE = 25
    yield settings
    reset_deepcall_client()


def test_the_client_is_built_from_settings():
    client = get_deepcall_client()

    assert isinstance(client, DeepCallClient)
    config = client.config
    assert (config.base_url, config.user_id, config.token) == (
        "https://brand.example",
        "u1",
        "tok-secret",
    )
    assert (config.connect_timeout, config.read_timeout, config.cad_batch_size) == (3.0, 7.0, 25)


def test_one_client_per_process_across_threads():
    seen = []
    threads = [
        threading.Thread(target=lambda: seen.append(get_deepcall_client())) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({id(c) for c in seen}) == 1
    assert get_deepcall_client() is seen[0]


def test_reset_closes_the_client_and_the_next_get_builds_a_new_one():
    first = get_deepcall_client()

    reset_deepcall_client()

    assert first._http.is_closed
    assert get_deepcall_client() is not first


def test_changing_a_deepcall_setting_resets_the_client(settings):
    first = get_deepcall_client()

    settings.DEEPCALL_CAD_BATCH_SIZE = 50

    assert get_deepcall_client() is not first
    assert get_deepcall_client().config.cad_batch_size == 50


def test_missing_base_url_is_improperly_configured(settings):
    settings.DEEPCALL_API_URL = ""

    with pytest.raises(ImproperlyConfigured, match="DEEPCALL_API_URL"):
        get_deepcall_client()


def test_missing_credentials_are_improperly_configured_without_leaking(settings):
    settings.DEEPCALL_USER_ID = ""

    with pytest.raises(ImproperlyConfigured) as caught:
        get_deepcall_client()

    assert "tok-secret" not in str(caught.value)


def test_both_kinds_of_credentials_are_improperly_configured(settings):
    settings.DEEPCALL_SSID = "ssid-secret"

    with pytest.raises(ImproperlyConfigured):
        get_deepcall_client()
