"""Demo data: `civicdesk demo --seed N` builds a deterministic, realistic office. Later issues
extend it with constituents, cases, mail and problem reports. Imports every app it fills."""
