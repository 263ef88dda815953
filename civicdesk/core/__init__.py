"""Shared foundations: abstract office-owned models, domain errors, access-policy markers and
htmx helpers. Imports no other CivicDesk app; every app may import it."""
