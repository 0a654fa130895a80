from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from agents.demo import demo_users_ensure


class Command(BaseCommand):
    help = "Create one demo user per role (Supervisor, Manager, Admin). Development only."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo users are for development only (DJANGO_DEBUG=0 is set).")
        for username, password, role in demo_users_ensure():
            self.stdout.write(f"  {role:<10} {username} / {password}")
