"""Forms for posted input: selection changes and CAD jobs."""

from __future__ import annotations

from django import forms

# --- Bulk CAD ----------------------------------------------------------------------------------

# A uuid4 hex made by the confirmation page; anything else is a tampered or stale form.
IDEMPOTENCY_KEY_PATTERN = r"^[0-9a-f]{32}$"


class SelectionChangeForm(forms.Form):
    """One change to the session's selection. Ids travel comma-separated in one field, so a
    page of 100 ticks is one POST field, far below DATA_UPLOAD_MAX_NUMBER_FIELDS."""

    OP_UPDATE, OP_ALL_MATCHING, OP_CLEAR = "update", "all_matching", "clear"
    op = forms.ChoiceField(
        choices=[(OP_UPDATE, OP_UPDATE), (OP_ALL_MATCHING, OP_ALL_MATCHING), (OP_CLEAR, OP_CLEAR)]
    )
    add = forms.CharField(required=False, max_length=200_000)
    remove = forms.CharField(required=False, max_length=200_000)
    query = forms.CharField(required=False, max_length=4_000)


class CadActionForm(forms.Form):
    """What the directory's bulk bar posts: the action (the clicked button) and the view."""

    action = forms.ChoiceField(choices=[("enable", "Enable CAD"), ("disable", "Disable CAD")])
    query = forms.CharField(required=False, max_length=4_000)


class CadStartForm(forms.Form):
    """The confirmation: exactly the agents that were shown, and a one-time key."""

    action = forms.ChoiceField(choices=[("enable", "Enable CAD"), ("disable", "Disable CAD")])
    idempotency_key = forms.RegexField(regex=IDEMPOTENCY_KEY_PATTERN)
    agent_ids = forms.CharField(required=False, max_length=200_000)  # explicit selection
    all_matching_query = forms.CharField(required=False, max_length=4_000)
    all_matching = forms.BooleanField(required=False)
    excluded_ids = forms.CharField(required=False, max_length=200_000)
    # Agents the ledger says are already so: send only to the others (the default) or to all.
    ALREADY_SKIP, ALREADY_SEND = "skip", "send"
    already_set = forms.ChoiceField(
        required=False, choices=[(ALREADY_SKIP, ALREADY_SKIP), (ALREADY_SEND, ALREADY_SEND)]
    )

    @property
    def skip_already_set(self) -> bool:
        return self.cleaned_data.get("already_set") != self.ALREADY_SEND


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
