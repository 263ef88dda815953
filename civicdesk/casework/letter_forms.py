"""Forms of the letter pages: a letter of the library, a draft letter on a case, an email from
a case. They shape what people type; the services check the rules (merge fields, releases)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from civicdesk.core.forms import StyledFormMixin

from .models import LetterKind, LetterRecipient


class LetterTemplateForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=LetterKind.choices)
    recipient = forms.ChoiceField(label=_("Addressed to"), choices=LetterRecipient.choices)
    subject = forms.CharField(
        label=_("Subject"),
        max_length=200,
        widget=forms.TextInput(attrs={"class": "letter-source"}),
        help_text=_("Printed after “Re:”, followed by the case reference."),
    )
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 18, "class": "letter-source"}),
        help_text=_(
            "Leave a blank line between paragraphs. The letterhead, date, addressee and your "
            "signature are added around the text."
        ),
    )
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)


class CaseLetterForm(StyledFormMixin, forms.Form):
    addressee = forms.CharField(
        label=_("Addressee"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Name and postal address, one line each."),
    )
    subject = forms.CharField(
        label=_("Subject"), max_length=200, widget=forms.TextInput(attrs={"class": "letter-source"})
    )
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 18, "class": "letter-source"}),
        help_text=_("Merge fields typed here are filled in when you save."),
    )


class CaseEmailForm(StyledFormMixin, forms.Form):
    recipient = forms.ChoiceField(
        label=_("To"), choices=LetterRecipient.choices, widget=forms.RadioSelect
    )
    # A plain text field: the service checks the address and says clearly what is wrong.
    to = forms.CharField(label=_("Email address"), max_length=320, widget=forms.EmailInput)
    subject = forms.CharField(
        label=_("Subject"),
        max_length=240,
        help_text=_("The case reference is added in front, so that replies find the case."),
    )
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 10}))
