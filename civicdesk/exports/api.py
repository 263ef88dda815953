"""The REST API of exports."""

from ninja import Router

router = Router(tags=["Exports"])
