"""`manage.py deepcall_sandbox`: serve the embedded DeepCall sandbox (development and tests).

The sandbox itself (`agents.sandbox`) knows nothing of Django; this command only adds the
guard that keeps it out of production: it refuses to run when DEBUG is off, unless
DEEPCALL_SANDBOX_ENABLED is true.
"""

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from agents.sandbox.server import add_arguments, serve

_TRUE = ("1", "true", "yes", "on")


def sandbox_enabled() -> bool:
    """True when DEBUG is on, or the DEEPCALL_SANDBOX_ENABLED setting (or env var) is true."""
    if settings.DEBUG or getattr(settings, "DEEPCALL_SANDBOX_ENABLED", False):
        return True
    return os.environ.get("DEEPCALL_SANDBOX_ENABLED", "").strip().lower() in _TRUE


class Command(BaseCommand):
    help = (
        "Serve the DeepCall sandbox, a stand-in of the Agent API with generated agents and "
        "fault injection. For development and tests only."
    )

    def add_arguments(self, parser):
        add_arguments(parser)

    def handle(self, *args, **options):
        if not sandbox_enabled():
            raise CommandError(
                "The DeepCall sandbox is a development and test tool and DEBUG is off. "
                "Set DEEPCALL_SANDBOX_ENABLED=1 to run it anyway (never against real users)."
            )
        try:
            serve(options, out=self.stdout)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(
                f"Cannot listen on {options['host']}:{options['port']}: {exc}"
            ) from exc
