"""`civicdesk audit verify [--office SLUG]`: recompute the hash chains, report any tampering."""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from civicdesk.audit.log import verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chain of every office (or one). Exits 1 when tampered."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify")
        verify.add_argument("--office", help="The office's slug; all offices when omitted.")

    def handle(self, *, action: str, office: str | None, **options):
        offices = apps.get_model("accounts", "Office").objects.order_by("slug")
        if office:
            offices = offices.filter(slug=office)
            if not offices.exists():
                raise CommandError(f"No office with slug {office!r}.")
        problem_count = 0
        for office_obj in offices:
            problems = verify_chain(office_obj.pk)
            problem_count += len(problems)
            events = (
                office_obj.pk
                and apps.get_model("audit", "AuditEvent").objects.filter(office=office_obj).count()
            )
            if problems:
                self.stdout.write(
                    f"{office_obj.slug}: TAMPERED — {len(problems)} problem(s) in {events} events"
                )
                for problem in problems:
                    self.stdout.write(
                        f"  event #{problem.seq}{f' (id {problem.event_id})' if problem.event_id else ''}: {problem.message}"
                    )
            else:
                self.stdout.write(f"{office_obj.slug}: ok — {events} events, chain intact")
        if problem_count:
            raise CommandError(f"audit log tampered: {problem_count} problem(s)", returncode=1)
