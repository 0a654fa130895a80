"""What each role may do: the one definition, read by the migration and the demo users.

Roles are Django groups, so a deploy has them after `migrate`; views check permissions,
never group names.
"""

SUPERVISOR = "Supervisor"
MANAGER = "Manager"
ADMIN = "Admin"

_DIRECTORY = [
    "agents.view_agent",
    "agents.export_agents",
    "agents.refresh_agents",
    "agents.view_schedules",
    # Everyone who reads schedules may read the staffing targets they are measured against.
    "agents.view_staffingtarget",
]
# Managers plan staffing: they set the targets and read who changed them.
_TARGETS = ["agents.change_staffingtarget", "agents.view_staffingtargetchange"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    SUPERVISOR: _DIRECTORY,
    # Managers review schedules and may read the CAD audit trail, but not change CAD.
    MANAGER: [*_DIRECTORY, *_TARGETS, "agents.view_cadjob"],
    ADMIN: [
        *_DIRECTORY,
        *_TARGETS,
        "agents.view_cadjob",
        "agents.run_cad_jobs",
        "agents.view_upstream_status",
        "agents.view_csvexport",
        # The users page (/users/): who has which role, disabling an account; and the record
        # of sign-ins beside the export trail.
        "auth.view_user",
        "auth.change_user",
        "agents.view_signinevent",
    ],
}


def sync_role_groups(group_model, permission_model, *, missing_ok: bool = False) -> None:
    """Create the role groups and give each exactly the permissions listed above.

    A migration passes `missing_ok`: at its point in history the models behind later
    permissions do not exist yet, and the migration that adds them syncs the roles again.
    """
    for role, permission_names in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        permissions = []
        for dotted in permission_names:
            app_label, codename = dotted.split(".")
            found = permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if found is None and not missing_ok:
                raise permission_model.DoesNotExist(f"No permission {dotted}")
            if found is not None:
                permissions.append(found)
        group.permissions.set(permissions)


def sync_role_groups_migration(apps, schema_editor) -> None:
    """A migration's RunPython: the roles as of that migration's models.

    Permissions are normally created after all migrations; the groups need them now.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_role_groups(
        apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"), missing_ok=True
    )
