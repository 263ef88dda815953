"""Factories for jobs."""

import factory

from civicdesk.jobs.models import Job


class JobFactory(factory.django.DjangoModelFactory):
    """A queued job started by `started_by` (required), in that person's office."""

    class Meta:
        model = Job

    office = factory.LazyAttribute(lambda job: job.started_by.office)
    kind = "audit.verify"
    title = factory.Sequence(lambda n: f"Verify the audit log ({n})")
