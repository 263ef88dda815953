"""Background work of casework (filled in below)."""
