"""The append-only, hash-chained audit log: who viewed, created, changed, exported, merged or
deleted which record, when, and from where. `audit.record` is the one way to write it; every
app calls it. `verify_chain` (log.py) proves nobody changed or removed an event.

The functions are re-exported lazily: this package is imported before Django's app registry
is ready, and log.py needs the models."""


def record(*args, **kwargs):
    from .log import record as record_event

    return record_event(*args, **kwargs)


def snapshot(*args, **kwargs):
    from .log import snapshot as take_snapshot

    return take_snapshot(*args, **kwargs)


def changes_between(*args, **kwargs):
    from .log import changes_between as diff

    return diff(*args, **kwargs)
