from django.urls import path

import agents.converters  # noqa: F401 - registers the agent_id path converter
from agents.views import (
    cad,
    changes,
    directory,
    exports,
    schedules,
    sign_ins,
    status,
    targets,
    users,
)

urlpatterns = [
    # Directory
    path("agents/", directory.agent_list, name="agent-list"),
    path("agents/export.csv", directory.agent_export, name="agent-export"),
    path("agents/refresh/", directory.agent_refresh, name="agent-refresh"),
    path("agents/<agent_id:agent_id>/", directory.agent_detail, name="agent-detail"),
    # Bulk CAD
    path("cad/", cad.job_list, name="cad-job-list"),
    path("cad/selection/", cad.selection_update, name="cad-selection"),
    path("cad/confirm/", cad.job_confirm, name="cad-job-confirm"),
    path("cad/start/", cad.job_start, name="cad-job-start"),
    path("cad/<uuid:public_id>/", cad.job_detail, name="cad-job-detail"),
    path("cad/<uuid:public_id>/retry/", cad.job_retry, name="cad-job-retry"),
    path("cad/<uuid:public_id>/undo/", cad.job_undo, name="cad-job-undo"),
    # Schedules
    path("schedules/", schedules.schedule_overview, name="schedules"),
    path("schedules/coverage.csv", schedules.coverage_export, name="schedules-coverage-csv"),
    path("schedules/slot/", schedules.slot_detail, name="schedules-slot"),
    # What changed in DeepCall
    path("changes/", changes.change_list, name="change-list"),
    path("changes.csv", changes.change_export, name="change-export"),
    # Staffing targets
    path("schedules/targets/", targets.target_grid, name="schedules-targets"),
    path("schedules/targets.csv", targets.target_export, name="schedules-targets-csv"),
    path("schedules/targets/save/", targets.target_save, name="schedules-targets-save"),
    path("schedules/targets/fill/", targets.target_fill, name="schedules-targets-fill"),
    path(
        "schedules/targets/copy-monday/",
        targets.target_copy_monday,
        name="schedules-targets-copy-monday",
    ),
    path("schedules/targets/clear/", targets.target_clear, name="schedules-targets-clear"),
    path("schedules/targets/import/", targets.target_import, name="schedules-targets-import"),
    # DeepCall connection
    path("status/", status.upstream_status, name="upstream-status"),
    # Who exported what
    path("exports/", exports.csv_export_list, name="csv-export-list"),
    # Who signed in, and the users themselves
    path("sign-ins/", sign_ins.sign_in_list, name="sign-in-list"),
    path("users/", users.user_list, name="user-list"),
    path("users/<int:user_id>/disable/", users.user_disable, name="user-disable"),
    path("users/<int:user_id>/enable/", users.user_enable, name="user-enable"),
    path("users/<int:user_id>/scope/", users.user_scope, name="user-scope"),
]
