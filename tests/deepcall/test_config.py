"""DeepCallConfig: exactly one way to authenticate, sane limits, errors that name no secret."""

import pytest

from agents.deepcall import (
    DEFAULT_CAD_BATCH_SIZE,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    DeepCallClient,
    DeepCallConfig,
    DeepCallConfigError,
)

URL = "https://brand.example"


def test_defaults_are_the_contracts():
    config = DeepCallConfig(base_url=URL + "/", ssid="s")

    assert (
        (config.connect_timeout, config.read_timeout, config.cad_batch_size)
        == (DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, DEFAULT_CAD_BATCH_SIZE)
        == (5.0, 20.0, 100)
    )
    assert config.base_url == URL
    assert config.list_concurrency == 4


def test_config_error_is_a_value_error():
    assert issubclass(DeepCallConfigError, ValueError)


@pytest.mark.parametrize(
    "credentials",
    [
        {},
        {"user_id": "u"},
        {"token": "secret-tok"},
        {"ssid": "secret-ssid", "user_id": "u", "token": "secret-tok"},
        {"ssid": "secret-ssid", "token": "secret-tok"},
    ],
)
def test_neither_or_both_kinds_of_credentials_are_refused(credentials):
    with pytest.raises(DeepCallConfigError) as caught:
        DeepCallConfig(base_url=URL, **credentials)

    assert "secret" not in str(caught.value)


@pytest.mark.parametrize(
    "overrides",
    [
        {"base_url": "brand.example"},
        {"base_url": ""},
        {"connect_timeout": 0},
        {"read_timeout": -1},
        {"cad_batch_size": 0},
        {"cad_batch_size": True},
        {"list_concurrency": 0},
        {"list_concurrency": 17},
        {"list_concurrency": True},
    ],
)
def test_unusable_values_are_refused(overrides):
    with pytest.raises(DeepCallConfigError):
        DeepCallConfig(**{"base_url": URL, "ssid": "s", **overrides})


def test_auth_fields_are_one_kind_only():
    assert DeepCallConfig(base_url=URL, ssid="s").auth_fields() == {"ssid": "s"}
    assert DeepCallConfig(base_url=URL, user_id="u", token="t").auth_fields() == {
        "userId": "u",
        "token": "t",
    }


def test_one_client_pools_its_connections_with_the_configured_timeouts():
    config = DeepCallConfig(base_url=URL, ssid="s", connect_timeout=2.5, read_timeout=9.0)
    with DeepCallClient(config) as client:
        timeout = client._http.timeout
        assert (timeout.connect, timeout.read) == (2.5, 9.0)
        assert str(client._http.base_url) == URL + "/api/v2/Agent/"
