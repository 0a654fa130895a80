"""System checks of ours, run by `manage.py check` (and `check --deploy` for the deploy ones)."""

from django.conf import settings
from django.core.checks import Tags, register
from django.core.checks import Warning as CheckWarning


@register(Tags.security, deploy=True)
def proxy_count_check(app_configs, **kwargs) -> list[CheckWarning]:
    """Production behind a TLS-ending proxy (SECURE_PROXY_SSL_HEADER) with DJANGO_PROXY_COUNT=0
    sees every user at the proxy's address: one person's failed log-ins lock everybody out."""
    if settings.DEBUG or not settings.SECURE_PROXY_SSL_HEADER or settings.PROXY_COUNT > 0:
        return []
    return [
        CheckWarning(
            "DJANGO_PROXY_COUNT is 0 while SECURE_PROXY_SSL_HEADER says a proxy ends TLS in "
            "front of the app: every client then has the proxy's address, so the log-in limits "
            "lock out everyone at once.",
            hint="Set DJANGO_PROXY_COUNT to the number of reverse proxies in front of gunicorn "
            "(and DJANGO_TRUSTED_PROXIES to their addresses if they are not on this machine).",
            id="agents.W001",
        )
    ]
