"""Pages of the tags app."""
