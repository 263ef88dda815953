"""The REST API of duplicates."""

from ninja import Router

router = Router(tags=["Duplicates"])
