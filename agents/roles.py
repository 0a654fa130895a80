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
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    SUPERVISOR: _DIRECTORY,
    # Managers review schedules and may read the CAD audit trail, but not change CAD.
    MANAGER: [*_DIRECTORY, "agents.view_cadjob"],
    ADMIN: [
        *_DIRECTORY,
        "agents.view_cadjob",
        "agents.run_cad_jobs",
        "agents.view_upstream_status",
    ],
}


def sync_role_groups(group_model, permission_model) -> None:
    """Create the role groups and give each exactly the permissions listed above."""
    for role, permission_names in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        permissions = []
        for dotted in permission_names:
            app_label, codename = dotted.split(".")
            permissions.append(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(permissions)
