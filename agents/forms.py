"""Forms for posted input: selection changes, CAD jobs and staffing targets."""

from __future__ import annotations

import json

from crispy_forms.bootstrap import InlineCheckboxes, StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Fieldset, Layout
from django import forms
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.html import escape

from agents import working_hours
from agents.models import CadJob
from agents.services import api_tokens
from agents.services.staffing_targets import IMPORT_MAX_BYTES, TARGET_MAX
from agents.team_scope import WHOLE_ACCOUNT, TeamScope

# --- Bulk CAD ----------------------------------------------------------------------------------

# A uuid4 hex made by the confirmation page; anything else is a tampered or stale form.
IDEMPOTENCY_KEY_PATTERN = r"^[0-9a-f]{32}$"
# Ticking rows one by one stops being sensible long before this; "all matching" has no limit.
MAX_EXPLICIT_IDS = 5_000
# The longest id the client accepts (agents.deepcall.parsing.normalize_id, Agent.agent_id).
MAX_ID_LENGTH = 64


class AgentIdListField(forms.Field):
    """Agent ids as a JSON array of strings in one field, at most MAX_EXPLICIT_IDS of them.

    Ids are opaque (a comma, a quote, a space or any letter may be part of one), so a list is
    never joined with a separator; and one field keeps a page of ticks far below
    DATA_UPLOAD_MAX_NUMBER_FIELDS.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value) -> list[str]:
        if value in (None, ""):
            return []
        try:
            ids = json.loads(value)
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError("Agent ids must come as a JSON list.") from exc
        if not isinstance(ids, list) or not all(
            isinstance(i, str) and 0 < len(i) <= MAX_ID_LENGTH for i in ids
        ):
            raise forms.ValidationError("Agent ids must be a list of non-empty ids.")
        if len(ids) > MAX_EXPLICIT_IDS:
            raise forms.ValidationError(
                f"At most {MAX_EXPLICIT_IDS:,} agents can be picked one by one; "
                "select all matching a filter instead."
            )
        return list(dict.fromkeys(ids))


class SelectionChangeForm(forms.Form):
    """One change to the stored selection; ids as AgentIdListField lists."""

    OP_UPDATE, OP_ALL_MATCHING, OP_CLEAR = "update", "all_matching", "clear"
    op = forms.ChoiceField(
        choices=[(OP_UPDATE, OP_UPDATE), (OP_ALL_MATCHING, OP_ALL_MATCHING), (OP_CLEAR, OP_CLEAR)]
    )
    add = AgentIdListField()
    remove = AgentIdListField()
    query = forms.CharField(required=False, max_length=4_000)


class CadActionForm(forms.Form):
    """What the directory's bulk bar posts: the action (the clicked button) and the view."""

    action = forms.ChoiceField(choices=CadJob.Action.choices)
    query = forms.CharField(required=False, max_length=4_000)


class CadStartForm(forms.Form):
    """The confirmation: exactly the agents that were shown, and a one-time key."""

    action = forms.ChoiceField(choices=CadJob.Action.choices, widget=forms.HiddenInput)
    idempotency_key = forms.RegexField(regex=IDEMPOTENCY_KEY_PATTERN, widget=forms.HiddenInput)
    # The explicit selection, as a JSON list (AgentIdListField).
    agent_ids = AgentIdListField(widget=forms.HiddenInput)
    all_matching_query = forms.CharField(required=False, max_length=4_000, widget=forms.HiddenInput)
    all_matching = forms.BooleanField(required=False, widget=forms.HiddenInput)
    excluded_ids = AgentIdListField(widget=forms.HiddenInput)
    # Agents the ledger says are already so: send only to the others (the default) or to all.
    ALREADY_SKIP, ALREADY_SEND = "skip", "send"
    already_set = forms.ChoiceField(
        required=False,
        choices=[(ALREADY_SKIP, ALREADY_SKIP), (ALREADY_SEND, ALREADY_SEND)],
        widget=forms.RadioSelect,
        initial=ALREADY_SKIP,
    )

    @property
    def skip_already_set(self) -> bool:
        return self.cleaned_data.get("already_set") != self.ALREADY_SEND

    def confirm(self, *, count: int, already_set: int, target_state: str, back_url: str) -> None:
        """Lay the confirmation out (crispy): the choice about agents already so, if any, and
        the confirm button saying what it does."""
        action_label = dict(CadJob.Action.choices)[self.initial["action"]]
        others = count - already_set
        self.fields["already_set"].choices = [
            (
                self.ALREADY_SKIP,
                f"Send only to the other {others:,} agent{pluralize(others)}; "
                f"the job lists the {already_set:,} skipped",
            ),
            (self.ALREADY_SEND, f"Send to all {count:,} agents"),
        ]
        self.fields["already_set"].label = False
        button = f"Confirm: {action_label}"
        if not already_set:
            button += f" for {count:,} agent{pluralize(count)}"
        enable = self.initial["action"] == CadJob.Action.ENABLE
        hidden = [name for name, field in self.fields.items() if field.widget.is_hidden]
        choice = []
        if already_set:
            legend = (
                f"{already_set:,} of them {pluralize(already_set, 'is,are')} already "
                f"{target_state}, as set here"
            )
            choice = [
                Fieldset(
                    legend,
                    HTML(
                        f'<p class="small text-body-secondary">This dashboard last set '
                        f"{pluralize(already_set, 'it,them')} {target_state}. DeepCall may "
                        "have been changed elsewhere since.</p>"
                    ),
                    "already_set",
                    css_class="card card-body mb-3",
                )
            ]
        self.helper = FormHelper()
        self.helper.form_action = reverse("cad-job-start")
        self.helper.form_id = "cad-start-form"
        self.helper.layout = Layout(
            *hidden,
            *choice,
            Div(
                StrictButton(
                    button,
                    type="submit",
                    css_class="btn-success" if enable else "btn-danger",
                    data_disable_on_submit="",
                    # The keyboard's obvious next step once here (Enter confirms).
                    autofocus="",
                ),
                HTML(f'<a class="btn btn-outline-secondary" href="{escape(back_url)}">Cancel</a>'),
                css_class="d-flex gap-2",
            ),
        )


class IdempotentActionForm(forms.Form):
    """Retry failed: only the one-time key; the agents come from the job itself."""

    idempotency_key = forms.RegexField(regex=IDEMPOTENCY_KEY_PATTERN)


class CadUndoForm(IdempotentActionForm):
    """Undo: the key, and what to do with agents whose state before the job is not known."""

    UNKNOWN_LEAVE, UNKNOWN_REVERT = "leave", "revert"
    unknown = forms.ChoiceField(
        required=False,
        choices=[(UNKNOWN_LEAVE, UNKNOWN_LEAVE), (UNKNOWN_REVERT, UNKNOWN_REVERT)],
    )


# --- Team scopes ---------------------------------------------------------------------------------


class UserScopeForm(forms.Form):
    """A user's team scope: the whole account, or the groups ticked (at least one)."""

    WHOLE, GROUPS = "all", "groups"
    extent = forms.ChoiceField(
        label="Sees and acts on",
        choices=[(WHOLE, "The whole account"), (GROUPS, "Only the agents of these groups")],
        widget=forms.RadioSelect,
    )
    groups = forms.MultipleChoiceField(
        label="Groups", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, group_choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["groups"].choices = group_choices

    def clean(self):
        data = super().clean()
        if data.get("extent") == self.GROUPS and not data.get("groups"):
            self.add_error("groups", "Tick at least one group, or choose the whole account.")
        return data

    def scope(self) -> TeamScope:
        """The scope chosen, after `is_valid()`."""
        if self.cleaned_data["extent"] == self.WHOLE:
            return WHOLE_ACCOUNT
        return TeamScope.of_groups(self.cleaned_data["groups"])


# --- API tokens ----------------------------------------------------------------------------------


class ApiTokenForm(forms.Form):
    """A new personal API token: what it is for, and for how many days it works."""

    name = forms.CharField(
        label="Name",
        max_length=api_tokens.NAME_MAX_LENGTH,
        help_text="What the token is for, e.g. the script or system that will use it.",
    )
    days = forms.IntegerField(
        label="Expires after (days)",
        min_value=1,
        max_value=api_tokens.MAX_DAYS,
        initial=api_tokens.DEFAULT_DAYS,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the token a name.")
        return name


# --- Staffing targets ----------------------------------------------------------------------------


def target_slot_label(weekday: int, minute: int, slot_minutes: int) -> str:
    return f"Target for {working_hours.slot_label(weekday, minute, slot_minutes)}"


class TargetScopeForm(forms.Form):
    """`group` ("" = overall) and `slot` of the targets pages; bad values fall back, with a note."""

    group = forms.CharField(required=False, max_length=64)
    slot = forms.TypedChoiceField(
        required=False,
        choices=[(m, str(m)) for m in working_hours.SLOT_MINUTES_CHOICES],
        coerce=int,
        empty_value=working_hours.DEFAULT_SLOT_MINUTES,
    )

    def __init__(self, *args, group_choices: list[tuple[str, str]], overall: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.group_ids = {group_id for group_id, _ in group_choices}
        # Without the overall targets (a team scope), no group means the first one offered.
        self.fallback = "" if overall else next(iter(group_choices), ("", ""))[0]

    def clean_group(self) -> str:
        group_id = self.cleaned_data["group"].strip()
        if group_id and group_id not in self.group_ids:
            raise forms.ValidationError("There is no group with that id; showing overall targets.")
        return group_id or self.fallback

    def scope(self) -> tuple[str, int, list[str]]:
        """(group_id, slot minutes, warnings), after `is_valid()`."""
        warnings = []
        group_id = self.cleaned_data.get("group", self.fallback)
        slot = self.cleaned_data.get("slot", working_hours.DEFAULT_SLOT_MINUTES)
        if "group" in self.errors:
            shown = "the overall targets" if not self.fallback else "the first of your groups"
            warnings.append(f"There is no group with that id; showing {shown}.")
        if "slot" in self.errors:
            warnings.append("Slots can be 60 or 30 minutes long; showing hours.")
        return group_id, slot, warnings


class TargetGridForm(forms.Form):
    """The weekly grid: one optional whole number per slot, field `t-<weekday>-<minute>`.

    Drawn by hand in the template (a table, not a list of fields); an empty cell is no target.
    """

    def __init__(self, *args, slot_minutes: int, initial=None, **kwargs):
        initial = {
            f"t-{weekday}-{minute}": target for (weekday, minute), target in (initial or {}).items()
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.slot_minutes = slot_minutes
        self.slots = [
            (weekday, minute)
            for weekday in range(working_hours.DAYS_PER_WEEK)
            for minute in working_hours.slot_starts(slot_minutes)
        ]
        for weekday, minute in self.slots:
            self.fields[f"t-{weekday}-{minute}"] = forms.IntegerField(
                required=False,
                min_value=0,
                max_value=TARGET_MAX,
                label=target_slot_label(weekday, minute, slot_minutes),
            )

    def rows(self) -> list[tuple[str, list]]:
        """(weekday name, bound fields) per weekday, Monday first."""
        per_day = len(self.slots) // working_hours.DAYS_PER_WEEK
        fields = [self[f"t-{weekday}-{minute}"] for weekday, minute in self.slots]
        return [
            (working_hours.WEEKDAY_NAMES[day], fields[day * per_day : (day + 1) * per_day])
            for day in range(working_hours.DAYS_PER_WEEK)
        ]

    def targets(self) -> dict[tuple[int, int], int | None]:
        """Every slot's target (None = none), after `is_valid()`."""
        return {
            (weekday, minute): self.cleaned_data[f"t-{weekday}-{minute}"]
            for weekday, minute in self.slots
        }


def _time_choices(slot_minutes: int, *, end: bool) -> list[tuple[int, str]]:
    starts = working_hours.slot_starts(slot_minutes)
    minutes = [m + slot_minutes for m in starts] if end else starts
    return [(m, working_hours.format_minute(m)) for m in minutes]


class TargetFillForm(forms.Form):
    """Fill a range: the same target for the chosen weekdays from one time to another."""

    weekdays = forms.TypedMultipleChoiceField(
        choices=working_hours.WEEKDAY_CHOICES,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        label="Days",
    )
    start = forms.TypedChoiceField(coerce=int, label="From")
    end = forms.TypedChoiceField(coerce=int, label="Until")
    target = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=TARGET_MAX,
        label="Target",
        help_text="Leave empty to clear the range.",
    )

    def __init__(self, *args, slot_minutes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start"].choices = _time_choices(slot_minutes, end=False)
        self.fields["end"].choices = _time_choices(slot_minutes, end=True)
        if not self.is_bound:
            self.initial = {"weekdays": [0, 1, 2, 3, 4], "start": 540, "end": 1020}
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            InlineCheckboxes("weekdays"),
            Div(
                Div(Field("start", css_class="form-select-sm"), css_class="col-auto"),
                Div(Field("end", css_class="form-select-sm"), css_class="col-auto"),
                Div(Field("target", css_class="form-control-sm"), css_class="col-auto"),
                css_class="row g-2",
            ),
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start is not None and end is not None and end <= start:
            raise forms.ValidationError("“Until” must be later than “From”.")
        return data


class TargetImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns weekday,start time,target, as the download. Replaces all of this "
        "grid's targets; a file with any bad row changes nothing.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size // 1024} kB; at most {IMPORT_MAX_BYTES // 1024} kB."
            )
        return upload
