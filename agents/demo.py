"""Demo users, one per role, for `make run` on the embedded defaults (development only)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from agents.roles import ADMIN, MANAGER, SUPERVISOR

# username, password, role. Printed by `make run`; refused outside DEBUG.
DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("supervisor", "supervisor-demo", SUPERVISOR),
    ("manager", "manager-demo", MANAGER),
    ("admin", "admin-demo", ADMIN),
)


def demo_users_ensure() -> list[tuple[str, str, str]]:
    """Create (or reset) the demo users and return their logins."""
    user_model = get_user_model()
    for username, password, role in DEMO_USERS:
        user, _ = user_model.objects.get_or_create(username=username)
        user.set_password(password)
        user.is_active = True
        user.save()
        user.groups.set([Group.objects.get(name=role)])
    return list(DEMO_USERS)
