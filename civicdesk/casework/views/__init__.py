"""Pages of casework, one module per area; each module declares its own `urlpatterns`, which
casework/urls.py puts together. Thin doors: reads through queries.py, writes through services."""
