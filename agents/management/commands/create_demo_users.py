from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from agents.demo import demo_totp_key, demo_users_ensure


class Command(BaseCommand):
    help = "Create one demo user per role (Supervisor, Manager, Admin). Development only."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo users are for development only (DJANGO_DEBUG=0 is set).")
        for username, password, role, recovery_codes in demo_users_ensure():
            self.stdout.write(f"  {role:<10} {username} / {password}")
            if recovery_codes:
                self.stdout.write(
                    f"             then a code: authenticator key {demo_totp_key()}, "
                    f"or a recovery code: {' '.join(recovery_codes)}"
                )
        if settings.OIDC_ISSUER:
            self.stdout.write(
                f"  Or 'Sign in with {settings.OIDC_PROVIDER_NAME}' (single sign-on, "
                "one demo user per role, no password)."
            )
