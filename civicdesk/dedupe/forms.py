"""Forms of the duplicates pages: the merge of a pair (who is kept, and whose value of each
differing field) and the office's automatic-merge threshold."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from civicdesk.core.forms import StyledFormMixin

from . import engine
from .comparison import Comparison

KEEP_PREFIX = "keep_"


class MergeForm(forms.Form):
    """`survivor`: "a" or "b" (the pair's sides); `keep_<field>`: whose value the merged record
    keeps, for each field where the two differ (when not sent: the survivor's, or the other's
    where the survivor has none)."""

    survivor = forms.ChoiceField(
        label=_("Keep this record"), choices=[("a", "A"), ("b", "B")], initial="a",
        widget=forms.RadioSelect,
    )  # fmt: skip

    def __init__(self, *args, comparison: Comparison, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = comparison.choices
        for row in self.rows:
            self.fields[KEEP_PREFIX + row.name] = forms.ChoiceField(
                label=row.label, choices=[("a", row.a or "—"), ("b", row.b or "—")],
                initial=row.default, widget=forms.RadioSelect, required=False,
            )  # fmt: skip
            row.selected = self[KEEP_PREFIX + row.name].value()

    def choices(self) -> dict[str, str]:
        """{field: "survivor" | "other"} for the merge service."""
        kept = self.cleaned_data["survivor"]
        found = {}
        for row in self.rows:
            side = self.cleaned_data[KEEP_PREFIX + row.name]
            if not side:  # not sent: the survivor's value, unless it has none
                blank = row.a in ("", None) if kept == "a" else row.b in ("", None)
                side = ("b" if kept == "a" else "a") if blank else kept
            found[row.name] = "survivor" if side == kept else "other"
        return found


class ThresholdForm(StyledFormMixin, forms.Form):
    percent = forms.FloatField(
        label=_("Merge automatically at or above (%)"),
        required=False,
        help_text=_("Leave empty to merge only after a person reviews each pair."),
        widget=forms.NumberInput(attrs={"step": "0.1", "min": "0", "max": "100"}),
    )

    def clean_percent(self) -> float | None:
        value = self.cleaned_data["percent"]
        low = 100 * engine.SHIPPED_THRESHOLD
        if value is not None and not low < value <= 100:
            raise ValidationError(
                _("Use a percentage above %(low)s and at most 100, or leave it empty."),
                params={"low": f"{low:g}"},
            )
        return value

    def threshold(self) -> float | None:
        value = self.cleaned_data["percent"]
        return None if value is None else round(value / 100, 6)
