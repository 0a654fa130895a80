"""The read model (a mirror of the account's agents) and the record of CAD jobs.

Agents, their groups and working windows are copied here from the Agent API by
`services.read_model_writer`, so the directory can filter, sort and page 100,000 agents without
calling DeepCall for each page. Secrets never reach these tables: the client drops them.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

# Group ids, each between separators, so "in group 13" is one substring test on either database
# (`Agent.group_keys`, `AgentChange.group_keys`). Ids are printable text
# (agents.deepcall.parsing.normalize_id), so the separator never occurs inside one.
GROUP_KEY_SEPARATOR = "\x1f"


# What a record made with the whole account keeps of its author's team scope (`scope_keys`):
# never the group-keys text of any scope, which is "" or starts with the separator.
WHOLE_ACCOUNT_KEYS = "*"


def group_keys_for(group_ids) -> str:
    """The group-keys text of these group ids ("" for none)."""
    ids = sorted(set(group_ids))
    sep = GROUP_KEY_SEPARATOR
    return f"{sep}{sep.join(ids)}{sep}" if ids else ""


class Group(models.Model):
    # Ids as long as the client accepts (agents.deepcall.parsing.normalize_id); text fields
    # without a limit, as the API sets none (PostgreSQL would refuse a longer value outright).
    group_id = models.CharField(max_length=64, unique=True)
    name = models.TextField()

    class Meta:
        ordering = ["name", "group_id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.group_id})"


class Agent(models.Model):
    agent_id = models.CharField(max_length=64, unique=True)
    # Sorting by id should be numeric where ids are numbers ("9" before "10").
    agent_id_sort = models.BigIntegerField(default=0, db_index=True)
    name = models.TextField()
    email = models.TextField(blank=True)
    phone = models.TextField(blank=True)
    address = models.TextField(blank=True)
    dest_type = models.TextField(blank=True, db_index=True)
    dest_value = models.TextField(blank=True)
    role_id = models.TextField(blank=True)
    role_name = models.TextField(blank=True, db_index=True)
    is_active = models.BooleanField(default=True, db_index=True)
    created_at = models.DateTimeField(null=True, blank=True)
    parent_path = models.TextField(blank=True)
    dids = models.JSONField(default=list, blank=True)
    # Lower-cased name, email, phone and id, so a text search is one indexed-friendly LIKE.
    search_text = models.TextField(blank=True)
    # What a sort by groups or by hours orders on, written by the sync so that either sort reads
    # an index: the first group name ("" for none) and the earliest start of a window with hours
    # (-1 for none), so agents without either come first ascending on every database.
    sort_group_name = models.TextField(blank=True, default="")
    sort_start_minute = models.SmallIntegerField(default=-1)
    # DeepCall's `preDeleted`: scheduled for deletion but still there, so listed and counted.
    pending_deletion = models.BooleanField(default=False, db_index=True)
    groups = models.ManyToManyField(Group, related_name="agents", blank=True)
    # The ids of `groups` (`group_keys_for`), written with them by the sync: a team scope's
    # test is then a substring test on the row rather than a probe of the links per agent
    # (services.team_scopes.agent_in_scope_q).
    group_keys = models.TextField(blank=True, default="")
    synced_at = models.DateTimeField()
    # A fingerprint of what the sync last wrote for this agent
    # (services.read_model_writer.agent_digest): an unchanged agent is recognised without reading
    # its row, windows and groups.
    sync_digest = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        ordering = ["agent_id_sort", "agent_id"]
        indexes = [
            models.Index(Lower("name"), "agent_id_sort", name="agent_name_lower_idx"),
            models.Index(fields=["email"], name="agent_email_idx"),
            models.Index(fields=["phone"], name="agent_phone_idx"),
            models.Index(fields=["sort_group_name", "agent_id_sort"], name="agent_group_sort_idx"),
            models.Index(
                fields=["sort_start_minute", "agent_id_sort"], name="agent_hours_sort_idx"
            ),
        ]
        # Not here: on SQLite, migration 0018's index of the default order with `group_keys`
        # (agent_default_order_scope_idx; a table rebuild by a later migration would drop it).
        permissions = [
            ("export_agents", "Can export the agent directory as CSV"),
            ("refresh_agents", "Can refresh the directory from DeepCall"),
            ("view_schedules", "Can view schedules and coverage"),
            ("view_upstream_status", "Can view the DeepCall connection status"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.agent_id})"


class DeletedAgent(models.Model):
    """An agent DeepCall lists with `isDeleted: 1`.

    Such an agent has no row in `Agent` (so it is never listed, counted, exported, selected or
    counted in coverage); its id is kept here so that a CAD job still holding it can say
    "not attempted: deleted in DeepCall" instead of sending it.
    """

    agent_id = models.CharField(max_length=64, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.agent_id} (deleted in DeepCall)"


class WorkingWindow(models.Model):
    """One of an agent's working windows, as the API sends it.

    `weekday_mask` has bit d set (1 << d, Monday = 0) for each day the window starts on, so
    "works on Tuesday" is one bitwise test in SQL. The arithmetic lives in `working_hours.py`.
    """

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="windows")
    weekday_mask = models.PositiveSmallIntegerField()
    start_minute = models.PositiveSmallIntegerField()
    end_minute = models.PositiveSmallIntegerField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["agent", "position"]

    def __str__(self) -> str:
        return f"{self.agent_id}: {self.weekday_mask:07b} {self.start_minute}-{self.end_minute}"


class SyncRun(models.Model):
    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    agent_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    pages_fetched = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=16, choices=Outcome, default=Outcome.RUNNING)
    trigger = models.CharField(max_length=32, default="manual")  # ttl, button, command, cad_job
    message = models.TextField(blank=True)
    # Of a successful run: the id of the run that last changed the read model (this one, or an
    # earlier one when this run found nothing new). Caches of what is computed from the read
    # model are keyed on it, so they outlive the syncs that change nothing.
    read_model_version = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"sync {self.started_at:%Y-%m-%d %H:%M:%S} {self.outcome}"


class AgentChange(models.Model):
    """One thing a sync found different about one agent: it arrived, it left, or one field
    changed (with the value before and after). Written by the sync in its own transaction.

    `before`/`after` hold plain values: text for the scalar fields, a bool for status and
    pending deletion, `[[group id, name], …]` for groups and `[[weekday mask, from, to], …]`
    for working hours, so pages and the CSV humanise them as the directory does.
    """

    class Kind(models.TextChoices):
        FIRST_LOAD = "first_load", "First load"
        ADDED = "added", "Added"
        REMOVED = "removed", "Removed"
        CHANGED = "changed", "Changed"

    class Field(models.TextChoices):
        NAME = "name", "Name"
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone"
        ADDRESS = "address", "Address"
        DESTINATION = "destination", "Destination"
        ROLE = "role", "Role"
        STATUS = "status", "Status"
        GROUPS = "groups", "Groups"
        HOURS = "hours", "Working hours"
        PENDING_DELETION = "pending_deletion", "Pending deletion"

    recorded_at = models.DateTimeField()
    agent_id = models.CharField(max_length=64, blank=True)  # "" for a first load
    agent_name = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=Kind)
    field = models.CharField(max_length=32, choices=Field, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    # The agent's group ids at the time (after the change; before it for a removal), as
    # `group_keys_for` writes them, so "changes in group 13" is one LIKE on either database.
    group_keys = models.TextField(blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(fields=["-recorded_at", "-id"], name="agent_change_newest_idx"),
            models.Index(fields=["agent_id", "-recorded_at"], name="agent_change_agent_idx"),
        ]

    def __str__(self) -> str:
        what = self.get_field_display() if self.field else self.get_kind_display()
        return f"{self.recorded_at:%Y-%m-%d %H:%M} {self.agent_id or '-'}: {what}"

    group_keys_for = staticmethod(group_keys_for)


class ChangesSeen(models.Model):
    """When a user last opened the change history: the home page counts what came since."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="changes_seen"
    )
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user_id} saw changes up to {self.seen_at:%Y-%m-%d %H:%M}"


class CadJob(models.Model):
    class Action(models.TextChoices):
        """The one list of CAD actions: Enable CAD calls DeepCall's setCad, Disable its unsetCad."""

        ENABLE = "enable", "Enable CAD"
        DISABLE = "disable", "Disable CAD"

        @property
        def target_state(self) -> str:
            """The CAD state the action sets, as the ledger (`CadState`) records it."""
            return CadState.State.ON if self is CadJob.Action.ENABLE else CadState.State.OFF

        @property
        def opposite(self) -> CadJob.Action:
            """The action that undoes this one."""
            return CadJob.Action.DISABLE if self is CadJob.Action.ENABLE else CadJob.Action.ENABLE

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Finished with failures"
        FAILED = "failed", "Failed"
        INTERRUPTED = "interrupted", "Interrupted"

    class Kind(models.TextChoices):
        NEW = "new", "New"
        RETRY = "retry", "Retry of failed agents"
        UNDO = "undo", "Undo"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The confirmation form carries this token, so a double click or a resubmitted form
    # finds the job it already created instead of starting a second one.
    idempotency_key = models.CharField(max_length=64, unique=True)
    action = models.CharField(max_length=16, choices=Action)
    kind = models.CharField(max_length=16, choices=Kind, default=Kind.NEW)
    status = models.CharField(max_length=16, choices=Status, default=Status.QUEUED, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cad_jobs"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    source_job = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    # Where the selection came from: the directory's query string, or "" for picked rows.
    filter_query = models.TextField(blank=True)
    filter_description = models.TextField(blank=True)
    # The team scope its author worked within: `group_keys_for` of its groups, or
    # WHOLE_ACCOUNT_KEYS (also for jobs made before scopes were recorded). A viewer is shown
    # the filter description only when their own scope holds it (`made_within_scope`).
    scope_keys = models.TextField(default=WHOLE_ACCOUNT_KEYS)
    agent_ids = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    not_attempted = models.PositiveIntegerField(default=0)
    # Agents not sent because the ledger says they are already so (the admin's choice).
    skipped = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    task_result_id = models.CharField(max_length=64, blank=True)
    # Started through the HTTP API: the name of the token used ("" from the pages).
    api_token_name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("run_cad_jobs", "Can enable or disable CAD for agents")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} for {self.total} agents ({self.status})"

    @property
    def done(self) -> int:
        return self.succeeded + self.failed + self.not_attempted + self.skipped

    @property
    def target_state(self) -> str:
        """The CAD state this job sets: "on" for Enable CAD, "off" for Disable CAD."""
        return self.Action(self.action).target_state

    @property
    def is_finished(self) -> bool:
        return self.status not in {self.Status.QUEUED, self.Status.RUNNING}


class CadResult(models.Model):
    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        NOT_ATTEMPTED = "not_attempted", "Not attempted"
        SKIPPED = "skipped", "Skipped"

    class Before(models.TextChoices):
        """What the ledger said of the agent just before this job recorded it."""

        ON = "on", "On"
        OFF = "off", "Off"
        UNKNOWN = "unknown", "Not known"

    job = models.ForeignKey(CadJob, on_delete=models.CASCADE, related_name="results")
    agent_id = models.CharField(max_length=64, db_index=True)
    agent_name = models.TextField(blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome)
    message = models.TextField(blank=True)
    code = models.IntegerField(null=True, blank=True)
    batch_number = models.PositiveIntegerField(default=0)
    # Blank for results recorded before the ledger existed (read as "not known").
    state_before = models.CharField(max_length=8, choices=Before, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["job", "batch_number", "id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "agent_id"], name="one_result_per_agent_per_job")
        ]

    def __str__(self) -> str:
        return f"{self.agent_id}: {self.outcome}"


class CadBatch(models.Model):
    """One call's worth of a job's agents: the unit a worker claims, runs and records."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    job = models.ForeignKey(CadJob, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField()
    agent_ids = models.JSONField(default=list)
    state = models.CharField(max_length=16, choices=State, default=State.PENDING, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Claims so far, and the kind of the last unexpected error (never its text, which may
    # quote data): after CAD_BATCH_ATTEMPTS the job is marked Interrupted.
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=100, blank=True)
    # The `task_worker` holding it (its TaskWorker.worker_id): when that worker's heartbeat
    # stops, another worker takes the batch over in seconds instead of waiting out the lease.
    claimed_by = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["job", "number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="one_batch_number_per_job")
        ]

    def __str__(self) -> str:
        return f"job {self.job_id} batch {self.number} ({self.state})"


class TaskWorker(models.Model):
    """A `manage.py task_worker` process, as its heartbeat tells: alive while `last_seen_at` is
    recent and it has not said it stopped (agents.services.task_workers)."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"worker {self.worker_id} on {self.hostname} (pid {self.pid})"


class CadState(models.Model):
    """The CAD ledger: each agent's CAD state as last set from this dashboard.

    DeepCall's list answer says nothing about CAD, so this is all the dashboard knows: the last
    successful setCad/unsetCad it made for the agent, when, by whom and in which job. An agent
    without a row was never set here ("not known"). Written by `services.cad_jobs` in the same
    transaction as the batch results it follows from. Keyed by agent id, not by the read
    model's row, so it survives an agent leaving and coming back in a sync.
    """

    class State(models.TextChoices):
        ON = "on", "On"
        OFF = "off", "Off"

    agent_id = models.CharField(max_length=64, unique=True)
    state = models.CharField(max_length=8, choices=State, db_index=True)
    set_at = models.DateTimeField()
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    job = models.ForeignKey(CadJob, null=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"{self.agent_id}: CAD {self.state} (set {self.set_at:%Y-%m-%d %H:%M})"


# --- Staffing targets ----------------------------------------------------------------------------


class StaffingTarget(models.Model):
    """How many agents one half hour of the week needs, overall or in one group.

    Set by managers, not copied from DeepCall. Kept per half hour, the finest slot the heatmap
    shows; an hourly grid writes both halves of each hour (`agents.services.staffing_targets`).
    `group_id` is the API's group id ("" for the whole account), not a foreign key: targets
    outlive a sync in which a group has no members and disappears from the read model.
    """

    group_id = models.CharField(max_length=64, blank=True, default="")
    weekday = models.PositiveSmallIntegerField()  # 0 = Monday
    start_minute = models.PositiveSmallIntegerField()  # a multiple of 30, 0..1410
    target = models.PositiveIntegerField()

    class Meta:
        ordering = ["group_id", "weekday", "start_minute"]
        constraints = [
            models.UniqueConstraint(
                fields=["group_id", "weekday", "start_minute"], name="one_target_per_group_slot"
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__lte=6), name="staffing_target_weekday_range"
            ),
            models.CheckConstraint(
                condition=models.Q(start_minute__lt=1440), name="staffing_target_minute_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group_id or 'overall'} {self.weekday}:{self.start_minute} = {self.target}"


class StaffingTargetChange(models.Model):
    """One change of a group's targets: who, when, how, and how many slots it changed."""

    class Action(models.TextChoices):
        GRID = "grid", "Edited the grid"
        FILL = "fill", "Filled a range"
        COPY_MONDAY = "copy_monday", "Copied Monday to the weekdays"
        CLEAR = "clear", "Cleared all targets"
        IMPORT = "import", "Imported a CSV file"
        API = "api", "Replaced through the API"

    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="staffing_target_changes",
    )
    # Kept as text too, so the record still names the user after the account is deleted.
    changed_by_name = models.CharField(max_length=150)
    changed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    group_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    group_name = models.TextField(blank=True)  # as it was called then; "" for overall
    action = models.CharField(max_length=16, choices=Action)
    slot_minutes = models.PositiveSmallIntegerField()  # the size of the slots counted below
    slots_changed = models.PositiveIntegerField()

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.changed_by_name} {self.action} {self.group_id or 'overall'}"


class CadSelection(models.Model):
    """An admin's selection in the directory (`agents.selection`), one row per session.

    Not in the session itself: a session is read at a request's start and written whole at its
    end, so two selection changes at once ("select this page" and "select all matching") undo
    each other. Each change here locks the row and is written in one transaction.
    """

    session_key = models.CharField(max_length=64, unique=True)
    agent_ids = models.JSONField(default=list)
    # NULL: ids picked one by one; "" is "all agents" (a filter with no conditions).
    all_matching_query = models.TextField(null=True, blank=True)  # noqa: DJ001
    excluded_ids = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    def __str__(self) -> str:
        return f"selection of session {self.session_key[:8]}…"


class CsvExport(models.Model):
    """One CSV export, for the admins' audit trail: who, when, which file, with which filter,
    and how many rows left the server (counted as the stream ends)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="csv_exports"
    )
    # Kept as text too, so the record still names the user after the account is deleted.
    username = models.CharField(max_length=150)
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    path = models.CharField(max_length=200)  # which export, e.g. /changes.csv
    filter_query = models.TextField(blank=True)  # the validated query string, never the raw one
    # The team scope the export was made within, as `CadJob.scope_keys`: a scoped admin sees
    # only exports made within their own scope (`csv_exports_in_scope`).
    scope_keys = models.TextField(default=WHOLE_ACCOUNT_KEYS)
    # Data rows sent, header excluded; None while the download runs (or if the process died).
    rows = models.PositiveIntegerField(null=True)
    completed = models.BooleanField(default=False)  # False: abandoned by the client
    # Read through the HTTP API: the name of the token used ("" from the pages).
    api_token_name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.username} {self.path} at {self.started_at:%Y-%m-%d %H:%M}"


class SingleSignOnIdentity(models.Model):
    """Who a user is at the identity provider: the issuer and its subject (`sub`), which
    never changes for a person there, unlike an email address (agents.single_sign_on)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identity"
    )
    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="unique_sso_subject")
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"


class UserSession(models.Model):
    """A signed-in session of a user, so that all of them can be ended at once (sign out
    everywhere else, a disabled account): Django's session table does not say whose a row is
    without decoding every row (agents.services.user_sessions)."""

    session_key = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signed_in_sessions"
    )
    signed_in_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"session {self.session_key[:8]}… of user {self.user_id}"


class SignInEvent(models.Model):
    """The sign-in record that admins read: sign-ins, failures, lockouts, sign-outs and
    two-factor enrolments, each with who, when, from which address and by which method."""

    class Kind(models.TextChoices):
        SIGNED_IN = "signed_in", "Signed in"
        FAILED = "failed", "Failed"
        LOCKED_OUT = "locked_out", "Locked out"
        SIGNED_OUT = "signed_out", "Signed out"
        ENROLLED = "enrolled_2fa", "Two-factor enrolled"

    class Method(models.TextChoices):
        PASSWORD = "password", "Password"
        SSO = "sso", "Single sign-on"
        CODE = "code", "Code"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sign_in_events",
    )
    # As typed or as the provider named them: kept after the account is deleted, and for
    # failures that name no account at all.
    username = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    method = models.CharField(max_length=16, choices=Method.choices, blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["kind", "-at"], name="sign_in_kind_at")]

    def __str__(self) -> str:
        return f"{self.username} {self.kind} ({self.method}) at {self.at:%Y-%m-%d %H:%M}"


# --- Team scopes ---------------------------------------------------------------------------------


class UserTeamScope(models.Model):
    """The DeepCall groups a user is responsible for (`agents.team_scope`). A user without a row
    sees the whole account. Group ids, not foreign keys: a scope outlives a sync in which a
    group has no members and leaves the read model, as staffing targets do."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_scope"
    )
    group_ids = models.JSONField(default=list)  # sorted DeepCall group ids

    def __str__(self) -> str:
        return f"user {self.user_id}: groups {', '.join(self.group_ids)}"


class TeamScopeChange(models.Model):
    """One change of a user's scope: who changed it, when, and the groups before and after
    (None: the whole account)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="team_scope_changes",
    )
    # Kept as text too, so the record still names both after an account is deleted.
    username = models.CharField(max_length=150)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_by_name = models.CharField(max_length=150)  # "manage.py user_scope" from the shell
    changed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    before = models.JSONField(null=True, blank=True)  # group ids, or None for the whole account
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.changed_by_name} set {self.username}'s scope at {self.changed_at:%Y-%m-%d}"


# --- API tokens ----------------------------------------------------------------------------------


class ApiToken(models.Model):
    """A personal token for the HTTP API (`agents.api`): it acts as its user, with the user's
    role and team scope, until it expires or is revoked (`services.api_tokens`).

    Only a SHA-256 of the token is kept: it is shown once, when made, and cannot be read back.
    `prefix` is the token's public part, for finding the row and for telling tokens apart in
    lists; a token is long random text, so a fast hash is enough (no guessing to slow down).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)  # hex SHA-256 of the whole token
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"API token {self.name!r} ({self.prefix}…) of user {self.user_id}"
