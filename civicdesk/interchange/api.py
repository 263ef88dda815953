"""The REST API of interchange."""

from ninja import Router

router = Router(tags=["Interchange"])
