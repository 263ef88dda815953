"""CivicDesk: constituent services for the offices of elected officials."""
