"""`civicdesk token create --email E --office SLUG`: print a new personal API token."""

from django.core.management.base import BaseCommand, CommandError

from civicdesk.accounts.models import Membership
from civicdesk.accounts.services import create_api_token
from civicdesk.core.errors import DomainError


class Command(BaseCommand):
    help = "Create a personal API token for a staff member in one office; prints the token."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("--email", required=True)
        create.add_argument("--office", required=True)
        create.add_argument("--name", default="command line")
        create.add_argument("--days", type=int, default=None)

    def handle(
        self, *, action: str, email: str, office: str, name: str, days: int | None, **options
    ):
        member = (
            Membership.objects.active()
            .filter(user__email=email.strip().lower(), office__slug=office)
            .select_related("office", "user")
            .first()
        )
        if member is None:
            raise CommandError(
                f"{email} is not an active member of an office with slug {office!r}."
            )
        try:
            _token, secret = create_api_token(member, name=name, days=days)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(secret)
