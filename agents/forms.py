"""Forms that parse the directory's display state (sort, page, page size) from the query string."""

from __future__ import annotations

from django import forms

# 25 rows fit a laptop screen; 100 is the most a page renders quickly at 100,000 agents.
PER_PAGE_CHOICES = (25, 50, 100)
DEFAULT_PER_PAGE = PER_PAGE_CHOICES[0]


class DirectoryDisplayForm(forms.Form):
    """`sort`, `page` and `per_page`; an invalid value is reported and replaced by its default.

    The field names are the query-string keys (filters.SORT_VAR, PAGE_VAR, PER_PAGE_VAR).
    """

    sort = forms.CharField(required=False, max_length=40)
    page = forms.IntegerField(required=False, min_value=1)
    per_page = forms.TypedChoiceField(
        required=False,
        choices=[(n, str(n)) for n in PER_PAGE_CHOICES],
        coerce=int,
        empty_value=DEFAULT_PER_PAGE,
    )
