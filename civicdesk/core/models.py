"""Abstract bases every office-owned model shares."""

from django.db import models


class OfficeQuerySet(models.QuerySet):
    def for_office(self, office) -> "OfficeQuerySet":
        """The only way reads start: rows of one office."""
        return self.filter(office=office)


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class OfficeOwned(TimeStamped):
    """A row that belongs to exactly one office (the tenant). Other offices never see it."""

    office = models.ForeignKey("accounts.Office", models.CASCADE, related_name="+")

    objects = OfficeQuerySet.as_manager()

    class Meta:
        abstract = True
