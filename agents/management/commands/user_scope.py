from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from agents.models import Group
from agents.services.team_scopes import team_scope_of, team_scope_set
from agents.team_scope import WHOLE_ACCOUNT, TeamScope, parse_group_ids


class Command(BaseCommand):
    help = (
        "Set the DeepCall groups a user is responsible for (--groups 501,502), or give them the "
        "whole account again (--all). The change is recorded, as one made on the users page."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--groups", help="DeepCall group ids, separated by commas")
        scope.add_argument("--all", action="store_true", help="the whole account (no scope)")

    def handle(self, *args, username, groups, all, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no user {username!r}.")
        if all:
            scope = WHOLE_ACCOUNT
        else:
            try:
                scope = TeamScope.of_groups(parse_group_ids(groups))
            except ValueError as invalid:
                raise CommandError(str(invalid)) from invalid
            known = set(
                Group.objects.filter(group_id__in=scope.group_ids).values_list(
                    "group_id", flat=True
                )
            )
            for unknown in sorted(scope.group_ids - known):
                self.stderr.write(
                    f"Group {unknown} has no agents in the directory now; kept in the scope."
                )
        before = team_scope_of(user=user)
        change = team_scope_set(user=user, scope=scope, changed_by_name="manage.py user_scope")
        if change is None:
            self.stdout.write(f"{username} already had {scope}: nothing changed.")
        else:
            self.stdout.write(f"{username}: {before} -> {scope} (recorded).")
