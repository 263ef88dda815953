"""`civicdesk user create --email E --office SLUG --role ROLE`: a staff account for scripts."""

import secrets

from django.core.management.base import BaseCommand, CommandError

from civicdesk.accounts.models import Office
from civicdesk.accounts.permissions import Role
from civicdesk.accounts.services import add_member
from civicdesk.core.errors import DomainError


class Command(BaseCommand):
    help = "Create a staff account in an office (or give an existing person a role there)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("--email", required=True)
        create.add_argument(
            "--office", required=True, help="The office's slug (see `civicdesk office list`)."
        )
        create.add_argument("--role", required=True, choices=Role.values)
        create.add_argument("--name", default="")
        create.add_argument("--password", help="Omit to generate one; it is printed once.")

    def handle(
        self,
        *,
        action: str,
        email: str,
        office: str,
        role: str,
        name: str,
        password: str | None,
        **options,
    ):
        office_obj = Office.objects.filter(slug=office).first()
        if office_obj is None:
            raise CommandError(f"No office with slug {office!r}.")
        generated = password is None
        password = password or secrets.token_urlsafe(12)
        try:
            member = add_member(
                office_obj, email=email, role=role, by=None, full_name=name, password=password
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if member.user.check_password(password):
            if generated:
                member.user.password_change_required = True
                member.user.save(update_fields=["password_change_required"])
            shown = f" one-time password={password}" if generated else ""
            self.stdout.write(f"created {member.user.email} as {role} in {office_obj.slug}{shown}")
        else:
            self.stdout.write(
                f"added existing user {member.user.email} as {role} in {office_obj.slug}"
            )
