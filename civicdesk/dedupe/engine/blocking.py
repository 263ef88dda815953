"""Blocking: which pairs of records are compared at all.

Each pass groups the records that share a key (the Soundex of the last name and the birth
year, an email, a phone, a house number and street initial in a postcode...). The candidate
pairs are the union over the passes of the pairs inside each group. A true duplicate only has
to share one key to be found, so the passes are chosen to fail differently: one survives a
typo in the surname, another a move, another a missing birth date.

A group larger than its pass's limit (a common surname born in a common year, a common first
name in a postcode) is not compared in full: its records are sorted by name and each is paired
with the next few (sorted neighbourhood), which keeps the work linear in the number of records.
Keys that few people share (an email, a phone, an id, an address) have generous limits; keys
that many share (names, dates) small ones (`LIMITS`).
"""

from collections.abc import Callable

import numpy as np

from civicdesk.dedupe.engine.normalize import (
    address_key,
    clean_address,
    clean_email,
    clean_name,
    clean_postcode,
    digits,
    nickname_groups,
    soundex,
)
from civicdesk.dedupe.engine.records import Record
from civicdesk.dedupe.engine.table import Table

__all__ = [
    "ALL_PAIRS_UP_TO",
    "LIMITS",
    "MAX_BLOCK",
    "PASSES",
    "PASS_FIXES",
    "WINDOW",
    "blocking_keys",
    "candidate_pairs",
    "pass_fixes",
]

MAX_BLOCK = 60  # strong keys: a block up to this size is compared in full
WINDOW = 12  # and a larger one with this many neighbours
# Pass -> (largest block compared in full, neighbours in a larger one); MAX_BLOCK/WINDOW else.
LIMITS = {
    "dob": (30, 8),
    **dict.fromkeys(("ln_by", "fn_ln", "names", "xid4", "fn_pc", "ln_pc", "fn_dob"), (12, 4)),
}
ALL_PAIRS_UP_TO = 1_000_000  # about 1,400 records: compare every pair, no blocking

# Pass name -> the key's parts as Table columns (all must be present).
PASSES: dict[str, tuple[str, ...]] = {
    "ln_by": ("last_sdx", "year"),  # Soundex of the last name + birth year
    "fn_ln": ("first_key", "last_sdx"),  # first name (or its nickname group) + last Soundex
    "names": ("sorted_sdx",),  # both names' Soundex in either order (swapped names)
    "dob": ("dob",),
    "email": ("email",),
    "phone": ("phone7",),  # the last 7 digits: with or without the area code
    "xid": ("external",),
    "xid4": ("external_tail", "year"),  # last 4 of an id + birth year (typo in the id)
    "fn_pc": ("first_key", "postcode"),
    "ln_pc": ("last_sdx", "postcode"),
    "addr": ("address_key", "postcode"),
    "addr_only": ("address_key",),
    "fn_dob": ("first_sdx", "year", "month"),
}


_MULTI = {"email": "email", "phone7": "phone", "external": "external"}


# The fields a pass's pairs agree on, by construction or because they go with its key:
# people at one address share a surname and often a phone; emails are made of names; first
# names tell the gender. Learning estimates, from each pass, only the other fields: there,
# duplicates and non-duplicates differ only by being the same person.
_NAME = ("first_name", "middle_name", "last_name", "gender", "email")
_PLACE = ("address", "last_name", "phone", "email")
PASS_FIXES: dict[str, frozenset[str]] = {
    name: frozenset(fields)
    for name, fields in {
        "ln_by": ("last_name", "email", "birth_date"),
        "fn_ln": _NAME,
        "names": _NAME,
        "dob": ("birth_date",),
        "email": ("email", *_NAME, *_PLACE),
        "phone": ("phone", *_PLACE),
        "xid": ("external_id",),
        "xid4": ("external_id", "birth_date"),
        "fn_pc": ("first_name", "gender", *_PLACE),
        "ln_pc": _PLACE,
        "addr": _PLACE,
        "addr_only": _PLACE,
        "fn_dob": ("first_name", "gender", "email", "birth_date"),
    }.items()
}


# Organisations (no first names, birth dates or ids) have no households: there a pass fixes
# only its own key's fields.
_OWN_FIELDS: dict[str, frozenset[str]] = {
    name: frozenset(fields)
    for name, fields in {
        "ln_by": ("last_name", "birth_date"),
        "fn_ln": ("first_name", "last_name"),
        "names": ("first_name", "last_name"),
        "dob": ("birth_date",),
        "email": ("email",),
        "phone": ("phone",),
        "xid": ("external_id",),
        "xid4": ("external_id", "birth_date"),
        "fn_pc": ("first_name", "address"),
        "ln_pc": ("last_name", "address"),
        "addr": ("address",),
        "addr_only": ("address",),
        "fn_dob": ("first_name", "birth_date"),
    }.items()
}
PEOPLE_FROM = 0.3  # share of records with a first name, birth date or id


def pass_fixes(table: Table) -> dict[str, frozenset[str]]:
    """PASS_FIXES for records of people, the passes' own fields for organisations."""
    people = (table.first >= 0) | (table.year > 0) | (table.external.codes >= 0)
    return PASS_FIXES if len(people) and people.mean() >= PEOPLE_FROM else _OWN_FIELDS


def _column(table: Table, name: str) -> np.ndarray:
    if name == "sorted_sdx":
        a, b = table.first_sdx.astype(np.int64), table.last_sdx.astype(np.int64)
        low, high = np.minimum(a, b), np.maximum(a, b)
        return np.where((a >= 0) & (b >= 0), low * (len(table._sdx_vocab) + 1) + high, -1)
    if name in ("email", "phone", "external"):
        return getattr(table, name).codes
    column = getattr(table, name)
    if name in ("year", "month"):
        return np.where(column > 0, column, -1)
    return column


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique of int64 by sorting (faster here than numpy 2's hash-based unique)."""
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


def _extra_rows(table: Table, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(record, code) rows for the second and later values of a multi-valued field."""
    multi = getattr(table, _MULTI[name])
    rows = [(i, code) for i, codes in multi.others.items() for code in codes[1:]]
    records = np.array([r for r, _ in rows], dtype=np.int64)
    codes = np.array([c for _, c in rows], dtype=np.int64)
    if name == "phone7" and len(codes):
        sevens = dict(table.phone7_vocab.index)
        for code in codes:
            sevens.setdefault(multi.strings[code][-7:], len(sevens))
        codes = np.array([sevens[multi.strings[c][-7:]] for c in codes], dtype=np.int64)
    return records, codes


def pass_keys(table: Table, parts: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The (record, int64 key) rows of a pass: one per record whose parts are all present,
    plus one per further email, phone or id of the records that have several."""
    records = np.arange(table.n, dtype=np.int64)
    key = np.zeros(table.n, dtype=np.int64)
    present = np.ones(table.n, dtype=bool)
    for name in parts:
        column = _column(table, name).astype(np.int64)
        present &= column >= 0
        key = key * (int(column.max(initial=0)) + 2) + column + 1
    multi = [name for name in parts if name in _MULTI]
    if multi and len(parts) == 1:
        extra_records, extra_codes = _extra_rows(table, multi[0])
        if len(extra_records):
            records = np.concatenate([records[present], extra_records])
            key = np.concatenate([key[present], extra_codes + 1])
            return records, key
    return records[present], key[present]


def _pairs_in_blocks(
    records: np.ndarray, key: np.ndarray, rank: np.ndarray, max_block: int, window: int
) -> tuple[np.ndarray, np.ndarray]:
    if len(records) < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    sort = np.lexsort((rank[records], key))
    order, sorted_key = records[sort], key[sort]
    n = len(order)
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    sizes = np.diff(np.r_[starts, n])
    block_end = np.repeat(starts + sizes, sizes)
    block_size = np.repeat(sizes, sizes)
    positions = np.arange(n)
    # Small blocks: every pair.
    small = (block_size >= 2) & (block_size <= max_block)
    after = np.where(small, block_end - positions - 1, 0)
    total = int(after.sum())
    first = np.repeat(positions, after)
    offsets = np.arange(total) - np.repeat(np.cumsum(after) - after, after)
    second = first + 1 + offsets
    lefts, rights = [order[first]], [order[second]]
    # Large blocks: each record with the `window` next ones in name order.
    big = np.flatnonzero(block_size > max_block)
    for step in range(1, window + 1):
        left = big[(big + step < block_end[big])]
        lefts.append(order[left])
        rights.append(order[left + step])
    return np.concatenate(lefts), np.concatenate(rights)


def candidate_pairs(
    table: Table,
    *,
    progress: Callable[[int, int], None] | None = None,
    samples: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
    sample_size: int = 50_000,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """The union of the passes' pairs, as two int32 arrays of record positions (i < j), sorted.
    A small set (up to `ALL_PAIRS_UP_TO` pairs) has every pair compared instead. When
    `samples` is a dict, it receives up to `sample_size` random pairs of each pass (learning
    uses them)."""
    n = table.n
    every_pair = n * (n - 1) // 2 <= ALL_PAIRS_UP_TO
    rng = np.random.default_rng(seed)
    rank = table.name_rank()
    encoded = []
    if not every_pair or samples is not None:
        for number, (name, parts) in enumerate(PASSES.items()):
            max_block, window = LIMITS.get(name, (MAX_BLOCK, WINDOW))
            left, right = _pairs_in_blocks(*pass_keys(table, parts), rank, max_block, window)
            low, high = np.minimum(left, right), np.maximum(left, right)
            distinct = low != high
            keys = sorted_unique(low[distinct] * n + high[distinct])
            if samples is not None and len(keys):
                picked = (
                    keys
                    if len(keys) <= sample_size
                    else np.sort(rng.choice(keys, sample_size, replace=False))
                )
                samples[name] = ((picked // n).astype(np.int32), (picked % n).astype(np.int32))
            if not every_pair:
                encoded.append(keys)
            if progress:
                progress(number + 1, len(PASSES))
    if every_pair:
        left, right = np.triu_indices(n, k=1)
        return left.astype(np.int32), right.astype(np.int32)
    pairs = sorted_unique(np.concatenate(encoded)) if encoded else np.zeros(0, dtype=np.int64)
    return (pairs // max(n, 1)).astype(np.int32), (pairs % max(n, 1)).astype(np.int32)


def blocking_keys(record: Record) -> list[str]:
    """The keys under which a database index finds this record's candidates: two records are
    compared when they share one (besides the cap on large blocks). Same passes as above."""
    first, last = clean_name(record.first_name), clean_name(record.last_name)
    first_sdx, last_sdx = soundex(first), soundex(last)
    groups = nickname_groups(first)
    first_key = f"n{groups[0]}" if groups else first
    year = str(record.birth_year or (record.birth_date[:4] if record.birth_date else ""))
    month = record.birth_date[5:7] if len(record.birth_date) == 10 else ""
    emails = [e for e in (clean_email(x) for x in record.emails) if e]
    phones = [p for p in (digits(x) for x in record.phones) if p]
    externals = [x for x in (x.strip() for x in record.external_ids) if x]
    line1 = clean_address(record.line1)
    postcode = clean_postcode(record.postcode)
    parts: dict[str, list[tuple[str, ...]]] = {
        "ln_by": [(last_sdx, year)],
        "fn_ln": [(first_key, last_sdx)],
        "names": [tuple(sorted((first_sdx, last_sdx)))],
        "dob": [(record.birth_date if len(record.birth_date) == 10 else "",)],
        "email": [(e,) for e in emails],
        "phone": [(p[-7:],) for p in phones],
        "xid": [(x,) for x in externals],
        "xid4": [(x.partition(":")[2][-4:], year) for x in externals],
        "fn_pc": [(first_key, postcode)],
        "ln_pc": [(last_sdx, postcode)],
        "addr": [(address_key(line1), postcode)],
        "addr_only": [(address_key(line1),)],
        "fn_dob": [(first_sdx, year, month)],
    }
    keys = []
    for name, values in parts.items():
        for value in values:
            if all(value):
                keys.append(f"{name}:{'|'.join(value)}")
    return list(dict.fromkeys(keys))
