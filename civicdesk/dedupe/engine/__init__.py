"""The duplicate-detection engine: plain Python and numpy, no Django.

Records -> blocking (several passes of keys, unioned) -> comparison levels per field (rapidfuzz,
vectorized) -> Fellegi-Sunter weights learned from the data (EM) -> calibrated probabilities.
See docs/duplicates-engine.md.
"""

from civicdesk.dedupe.engine.blocking import blocking_keys
from civicdesk.dedupe.engine.model import Model
from civicdesk.dedupe.engine.pairs import (
    SHIPPED_THRESHOLD,
    FieldScore,
    Pair,
    compare,
    find_pairs,
    learn,
    rank_candidates,
    scan,
)
from civicdesk.dedupe.engine.records import Record, record_from_person_record, record_from_values

__all__ = [
    "SHIPPED_THRESHOLD",
    "FieldScore",
    "Model",
    "Pair",
    "Record",
    "blocking_keys",
    "compare",
    "find_pairs",
    "learn",
    "rank_candidates",
    "record_from_person_record",
    "record_from_values",
    "scan",
]
