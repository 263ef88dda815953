"""Pages: office settings, staff and invitations, profile and API tokens, office switching."""

from django.contrib import messages
from django.contrib.auth import login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicdesk.core.access import get_for_member, login_only, public_view, require_member
from civicdesk.core.errors import DomainError

from . import queries, services
from .forms import AcceptInvitationForm, InviteForm, OfficeForm, ProfileForm, RoleForm, TokenForm
from .middleware import SESSION_OFFICE_KEY, has_mfa
from .models import ApiToken, Invitation, Membership


@require_POST
@login_only
def switch_office(request: HttpRequest) -> HttpResponse:
    member = (
        Membership.objects.active()
        .filter(user=request.user, office_id=request.POST.get("office_id") or 0)
        .select_related("office")
        .first()
    )
    if member is None:
        messages.error(request, _("You are not a member of that office."))
        return redirect("reports:home")
    request.session[SESSION_OFFICE_KEY] = member.office_id
    messages.success(request, _("You are now working in %(office)s.") % {"office": member.office})
    return redirect("reports:home")


@require_member("office.edit")
def office_settings(request: HttpRequest) -> HttpResponse:
    office = request.member.office
    form = OfficeForm(request.POST or None, request.FILES or None, instance=office)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        office.refresh_from_db()  # the form wrote to the instance; the service diffs from the stored row
        services.update_office(office, by=request.member, **fields)
        messages.success(request, _("Office settings saved."))
        return redirect("accounts:office-settings")
    return render(request, "accounts/office_settings.html", {"form": form})


@require_member("office.view")
def office_logo(request: HttpRequest) -> FileResponse:
    """The current office's logo. Files are never served from a public media URL: every file
    of an office goes through a view that checks who is asking."""
    logo = request.member.office.logo
    if not logo:
        raise Http404
    return FileResponse(logo.open("rb"), filename=logo.name.rsplit("/", 1)[-1])


@require_member("member.view")
def staff_list(request: HttpRequest) -> HttpResponse:
    office = request.member.office
    invite_form = InviteForm(request.POST or None)
    if request.method == "POST":
        if not request.member.can("member.invite"):
            return render(request, "403.html", status=403)
        if invite_form.is_valid():
            try:
                services.invite_member(office, by=request.member, **invite_form.cleaned_data)
            except DomainError as exc:
                invite_form.add_error("email", exc.message)
            else:
                messages.success(
                    request, _("Invitation sent to %(email)s.") % invite_form.cleaned_data
                )
                return redirect("accounts:staff-list")
    context = {
        "members": queries.member_list(office, include_inactive=True),
        "invitations": queries.pending_invitations(office).select_related("invited_by__user"),
        "invite_form": invite_form,
    }
    return render(request, "accounts/staff_list.html", context)


@require_member("member.view")
def staff_detail(request: HttpRequest, member_id: int) -> HttpResponse:
    target = get_for_member(
        request.member, Membership.objects.select_related("user"), member_id, need="member.view"
    )
    form = RoleForm(request.POST or None, initial={"role": target.role})
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "deactivate":
                services.deactivate_member(target, by=request.member)
                messages.success(
                    request, _("%(name)s can no longer use this office.") % {"name": target.user}
                )
            elif action == "reactivate":
                services.reactivate_member(target, by=request.member)
                messages.success(request, _("%(name)s has access again.") % {"name": target.user})
            elif action == "role" and form.is_valid():
                services.change_role(target, role=form.cleaned_data["role"], by=request.member)
                messages.success(request, _("Role changed."))
            else:
                return render(
                    request,
                    "accounts/staff_detail.html",
                    {"target": target, "form": form},
                    status=400,
                )
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("accounts:staff-detail", member_id=target.pk)
    return render(request, "accounts/staff_detail.html", {"target": target, "form": form})


@require_POST
@require_member("member.invite")
def revoke_invitation(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = get_for_member(
        request.member, Invitation.objects.all(), invitation_id, need="member.invite"
    )
    services.revoke_invitation(invitation, by=request.member)
    messages.success(request, _("Invitation withdrawn."))
    return redirect("accounts:staff-list")


@public_view
def accept_invitation(request: HttpRequest, secret: str) -> HttpResponse:
    try:
        invitation = services.pending_invitation(secret)
    except DomainError as exc:
        return render(
            request, "accounts/invitation_invalid.html", {"message": exc.message}, status=404
        )
    user = request.user if request.user.is_authenticated else None
    existing = services.User.objects.filter(email=invitation.email).exists()
    new_person = user is None and not existing  # only a new person fills in the form
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and (not new_person or form.is_valid()):
        try:
            member = services.accept_invitation(
                secret,
                user=user,
                full_name=form.cleaned_data["full_name"] if new_person else "",
                password=form.cleaned_data["password1"] if new_person else None,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("accounts:accept-invitation", secret=secret)
        request.session[SESSION_OFFICE_KEY] = member.office_id
        if new_person:
            login(request, member.user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("reports:home")
        if user is None:
            messages.success(
                request, _("You joined %(office)s. Sign in to start.") % {"office": member.office}
            )
            return redirect("account_login")
        return redirect("reports:home")
    context = {"invitation": invitation, "form": form, "existing": existing, "signed_in_as": user}
    return render(request, "accounts/accept_invitation.html", context)


@login_only
def profile(request: HttpRequest) -> HttpResponse:
    member = getattr(request, "member", None)
    profile_form = ProfileForm(
        request.POST if "save_profile" in request.POST else None,
        initial={"full_name": request.user.full_name},
    )
    token_form = TokenForm(request.POST if "create_token" in request.POST else None)
    new_token = None
    if request.method == "POST" and "save_profile" in request.POST and profile_form.is_valid():
        request.user.full_name = profile_form.cleaned_data["full_name"].strip()
        request.user.save(update_fields=["full_name"])
        messages.success(request, _("Profile saved."))
        return redirect("accounts:profile")
    if request.method == "POST" and "create_token" in request.POST and member is not None:
        if not member.can("api.use"):
            return render(request, "403.html", status=403)
        if token_form.is_valid():
            try:
                _token, new_token = services.create_api_token(member, **token_form.cleaned_data)
            except DomainError as exc:
                token_form.add_error(None, exc.message)
            else:
                token_form = TokenForm()
    context = {
        "profile_form": profile_form,
        "token_form": token_form,
        "new_token": new_token,
        "tokens": queries.token_list(member) if member else [],
        "has_mfa": has_mfa(request.user),
    }
    return render(request, "accounts/profile.html", context)


@require_POST
@require_member("api.use")
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(
        ApiToken.objects.for_office(request.member.office), pk=token_id, membership=request.member
    )
    services.revoke_api_token(token, by=request.member)
    messages.success(
        request, _("Token “%(name)s” revoked; it no longer works.") % {"name": token.name}
    )
    return redirect("accounts:profile")


@login_only
def mfa_required(request: HttpRequest) -> HttpResponse:
    if has_mfa(request.user):
        return redirect("reports:home")
    return render(request, "accounts/mfa_required.html")
