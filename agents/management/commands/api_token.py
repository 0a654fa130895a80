from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from agents.services.api_tokens import DEFAULT_DAYS, api_token_issue


class Command(BaseCommand):
    help = (
        "Make a personal API token for a user and print it (once: only its hash is kept). It "
        "acts with the user's role and team scope; revoke it on /account/tokens/."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="what the token is for, e.g. hr-sync")
        parser.add_argument(
            "--days", type=int, default=DEFAULT_DAYS, help=f"valid for (default {DEFAULT_DAYS})"
        )

    def handle(self, *args, username, name, days, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no user {username!r}.")
        if not user.is_active:
            raise CommandError(f"{username} is disabled: a token of theirs would not work.")
        try:
            issued = api_token_issue(user=user, name=name, days=days)
        except ValueError as invalid:
            raise CommandError(str(invalid)) from invalid
        expires = issued.record.expires_at.date().isoformat()
        self.stderr.write(f"Token {name!r} for {username}, valid until {expires}:")
        self.stdout.write(issued.token)
