"""Likely duplicate people: detection (blocking keys and rapidfuzz scores with weights learned
from the data), the review queue, and merges that move everything and can be undone."""
