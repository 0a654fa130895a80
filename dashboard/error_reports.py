"""No credential on an error page or in an error report.

Django's own filter masks settings whose *names* look secret (TOKEN, KEY, PASS …); here the
DeepCall ssid is added to those names, the password inside any URL (`DATABASE_URL`,
`REDIS_URL`, a cache's LOCATION) is masked wherever it appears, and the values themselves
(ssid, token, secret key, database and Redis passwords) are masked in frame variables, the
exception's message and the finished page or e-mail, so a secret held in an innocently named
variable or quoted by a library's error message is hidden too.
"""

from __future__ import annotations

import html
import os
import re
from urllib.parse import quote, unquote, urlsplit

from django.conf import settings
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

MASK = SafeExceptionReporterFilter.cleansed_substitute
# A value this short would mask ordinary text by chance; no real credential is this short.
MIN_SECRET_LENGTH = 4
# scheme://user:password@host: the password part.
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<password>[^@/\s]+)@", re.I)


def _url_password(url: object) -> str:
    if not isinstance(url, str) or "://" not in url:
        return ""
    try:
        password = urlsplit(url).password
    except ValueError:
        return ""
    return unquote(password) if password else ""


def secret_values() -> list[str]:
    """The credentials this process holds, longest first (so none is masked only in part)."""
    candidates = [
        getattr(settings, "DEEPCALL_SSID", ""),
        getattr(settings, "DEEPCALL_TOKEN", ""),
        getattr(settings, "SECRET_KEY", ""),
        _url_password(os.environ.get("DATABASE_URL", "")),
        _url_password(os.environ.get("REDIS_URL", "")),
        _url_password(getattr(settings, "REDIS_URL", "")),
    ]
    for database in getattr(settings, "DATABASES", {}).values():
        candidates.append(database.get("PASSWORD") or "")
    for cache in getattr(settings, "CACHES", {}).values():
        locations = cache.get("LOCATION") or ""
        for location in [locations] if isinstance(locations, str) else locations:
            candidates.append(_url_password(location))
    found = {str(value) for value in candidates if value and len(str(value)) >= MIN_SECRET_LENGTH}
    # The forms a value takes on a page: as is, HTML-escaped, URL-quoted.
    forms = found | {html.escape(v) for v in found} | {quote(v, safe="") for v in found}
    return sorted(forms, key=len, reverse=True)


def mask_text(text: str, secrets: list[str] | None = None) -> str:
    """`text` with URL passwords and every known credential value masked."""
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK + "@", text)
    for secret in secret_values() if secrets is None else secrets:
        text = text.replace(secret, MASK)
    return text


class SecretMaskingFilter(SafeExceptionReporterFilter):
    """Django's filter, plus the ssid by name and every credential by value."""

    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|SSID|CREDENTIAL", flags=re.I
    )

    def cleanse_setting(self, key, value):
        return self._mask(super().cleanse_setting(key, value))

    def cleanse_special_types(self, request, value):
        return self._mask(super().cleanse_special_types(request, value))

    def _mask(self, value):
        if isinstance(value, int | float | bool | type(None) | dict | list | tuple):
            return value  # containers were cleansed item by item already
        try:
            # Lazy strings pass for str but are not; repr shows what the page would show.
            text = str(value) if type(value) is str else repr(value)
        except Exception:  # noqa: BLE001 - a broken __repr__ must not break the error page
            return value
        masked = mask_text(text)
        return value if masked == text else masked


class SecretMaskingExceptionReporter(ExceptionReporter):
    """The last guard: the finished page, text report and e-mail are masked as a whole."""

    def get_traceback_html(self):
        return mask_text(str(super().get_traceback_html()))

    def get_traceback_text(self):
        return mask_text(str(super().get_traceback_text()))
