"""The Django side of the DeepCall client: settings → DeepCallConfig → one client per process.

`get_deepcall_client()` returns the same pooled client to every request thread and task of
the process (httpx.Client is thread-safe), so connections are reused instead of opened per
call. `reset_deepcall_client()` closes it; tests and a settings change call it, and a change
to any DEEPCALL_* setting during tests (`override_settings`, pytest's `settings`) resets it.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from agents.deepcall.client import (
    DEFAULT_CAD_BATCH_SIZE,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_LIST_CONCURRENCY,
    DEFAULT_READ_TIMEOUT,
    DeepCallClient,
    DeepCallConfig,
    DeepCallConfigError,
)

_lock = threading.Lock()
_client: DeepCallClient | None = None


def deepcall_config_from_settings() -> DeepCallConfig:
    """Build the client's configuration from the DEEPCALL_* settings.

    Raises ImproperlyConfigured when the base URL or the credentials are missing or unusable.
    """
    base_url = getattr(settings, "DEEPCALL_API_URL", "") or ""
    if not base_url:
        raise ImproperlyConfigured(
            "DEEPCALL_API_URL is empty: set DEEPCALL_BASE_URL to the account's brand URL "
            "(or enable the sandbox in development)."
        )
    try:
        return DeepCallConfig(
            base_url=base_url,
            ssid=getattr(settings, "DEEPCALL_SSID", "") or "",
            user_id=getattr(settings, "DEEPCALL_USER_ID", "") or "",
            token=getattr(settings, "DEEPCALL_TOKEN", "") or "",
            connect_timeout=float(
                getattr(settings, "DEEPCALL_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT)
            ),
            read_timeout=float(getattr(settings, "DEEPCALL_READ_TIMEOUT", DEFAULT_READ_TIMEOUT)),
            cad_batch_size=int(
                getattr(settings, "DEEPCALL_CAD_BATCH_SIZE", DEFAULT_CAD_BATCH_SIZE)
            ),
            list_concurrency=int(
                getattr(settings, "DEEPCALL_LIST_CONCURRENCY", DEFAULT_LIST_CONCURRENCY)
            ),
        )
    except (DeepCallConfigError, TypeError, ValueError) as exc:
        # DeepCallConfigError messages never contain a credential; the others are conversions.
        raise ImproperlyConfigured(f"DeepCall settings: {exc}") from exc


def get_deepcall_client() -> DeepCallClient:
    """The process-wide DeepCall client, built from settings on first use (thread-safe)."""
    global _client
    client = _client
    if client is not None:
        return client
    with _lock:
        if _client is None:
            _client = DeepCallClient(deepcall_config_from_settings())
        return _client


def reset_deepcall_client() -> None:
    """Close and forget the process-wide client; the next get builds it from current settings."""
    global _client
    with _lock:
        client, _client = _client, None
    if client is not None:
        client.close()


@receiver(setting_changed)
def _reset_on_deepcall_setting_change(*, setting: str, **kwargs: object) -> None:
    if setting.startswith("DEEPCALL_"):
        reset_deepcall_client()
