"""Authentication backends: Django's, with fewer queries on every request.

Every request reads its user and that user's team scope (`TeamScopeMiddleware`), and every page
checks permissions, which Django's ModelBackend reads in two queries (the user's own, then their
roles'), each built through the ORM. Here the user comes with their scope in one query, and the
permissions in one more: two queries where there were four (README, Performance).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q


class PermissionsInOneQuery:
    """`get_all_permissions` (what `has_perm` asks) in one query, cached on the user object for
    the request as ModelBackend caches it (`_perm_cache`); a session's user read with their
    team scope (`services.team_scopes.signed_in_team_scope`)."""

    def get_user(self, user_id):
        users = get_user_model()._default_manager.select_related("team_scope")
        try:
            user = users.get(pk=user_id)
        except users.model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            permissions = Permission.objects.all()
            if not user_obj.is_superuser:
                permissions = permissions.filter(Q(user=user_obj) | Q(group__user=user_obj))
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in permissions.values_list(
                    "content_type__app_label", "codename"
                ).order_by()
            }
        return user_obj._perm_cache


class RoleBackend(PermissionsInOneQuery, ModelBackend):
    """Password sign-in and roles (Django groups), as ModelBackend."""
