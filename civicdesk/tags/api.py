"""API of the tags app (mounted at /api/v1 by civicdesk/api.py)."""

from ninja import Router

router = Router(tags=["tags"])
