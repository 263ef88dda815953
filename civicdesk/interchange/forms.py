"""The upload form of the interchange page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from civicdesk.core.forms import StyledFormMixin


class ExportUploadForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("ZIP of the export"),
        help_text=_(
            "The export folder packed as a .zip: the 1A.out … 8E.out files and the documents "
            "folder."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )
