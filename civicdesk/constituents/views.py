"""Pages of the constituents app."""
