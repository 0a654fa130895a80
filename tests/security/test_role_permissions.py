"""What a user may do follows their roles and own permissions at once, read in one query."""

import pytest
from django.contrib.auth.models import Group, Permission

from agents.roles import ADMIN, ROLE_PERMISSIONS, SUPERVISOR

pytestmark = pytest.mark.django_db


def fresh(user):
    return type(user).objects.get(pk=user.pk)  # a new request's user: nothing cached


def test_a_role_gives_exactly_its_permissions(supervisor_user, django_assert_max_num_queries):
    user = fresh(supervisor_user)
    with django_assert_max_num_queries(2):  # read once per request: own and role permissions
        assert user.get_all_permissions() == set(ROLE_PERMISSIONS[SUPERVISOR])
        assert user.has_perm("agents.view_agent") and not user.has_perm("agents.run_cad_jobs")


def test_a_permission_given_to_the_user_counts_beside_the_role(supervisor_user):
    supervisor_user.user_permissions.add(Permission.objects.get(codename="view_cadjob"))
    user = fresh(supervisor_user)
    assert user.has_perm("agents.view_cadjob") and user.has_perm("agents.view_agent")


def test_a_role_taken_away_is_gone_on_the_next_request(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/cad/").status_code == 200
    admin_user.groups.remove(Group.objects.get(name=ADMIN))
    assert client.get("/cad/").status_code == 403


def test_an_inactive_user_has_no_permissions(admin_user):
    admin_user.is_active = False
    admin_user.save()
    assert fresh(admin_user).get_all_permissions() == set()
