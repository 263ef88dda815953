from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from civicdesk.core.forms import StyledFormMixin

from .models import Office
from .permissions import Role


class OfficeForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Office
        fields = [
            "name",
            "kind",
            "jurisdiction",
            "time_zone",
            "language",
            "address",
            "logo",
            "require_mfa_for_all",
        ]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo and getattr(logo, "size", 0) > 2 * 1024 * 1024:
            raise forms.ValidationError(_("The logo must be under 2 MB."))
        return logo


class InviteForm(StyledFormMixin, forms.Form):
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.CASEWORKER)


class RoleForm(StyledFormMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class AcceptInvitationForm(StyledFormMixin, forms.Form):
    full_name = forms.CharField(label=_("Your full name"), max_length=150)
    password1 = forms.CharField(
        label=_("Choose a password"), widget=forms.PasswordInput(render_value=True)
    )
    password2 = forms.CharField(
        label=_("Password again"), widget=forms.PasswordInput(render_value=True)
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        elif data.get("password1"):
            try:
                validate_password(data["password1"])
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class TokenForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("What is it for?"), max_length=100)
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=366, initial=90)


class ProfileForm(StyledFormMixin, forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
