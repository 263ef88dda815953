"""Records as columns of integer codes: every distinct value is normalized and analysed once,
and blocking and comparisons work on numpy arrays of codes instead of Python objects.

Building the columns of a million records is mostly C loops (dict.fromkeys, map over dict
lookups); Python-level work runs once per distinct value.
"""

from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter

import numpy as np

from civicdesk.dedupe.engine.normalize import (
    address_key,
    clean_address,
    clean_email,
    clean_name,
    clean_postcode,
    clean_text,
    digits,
    house_number,
    nickname_groups,
    soundex,
)
from civicdesk.dedupe.engine.records import Record

__all__ = ["Table", "Vocab", "ends"]

NICK_SLOTS = 3
MAX_VALUES = 4  # emails, phones or ids of one person compared


class Vocab:
    """Distinct strings and their codes; "" is code -1, "missing"."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {"": -1}
        self.values: list[str] = []

    def encode(self, values: Iterable[str]) -> np.ndarray:
        values = values if isinstance(values, list) else list(values)
        index = self.index
        for value in dict.fromkeys(values):
            if value not in index:
                index[value] = len(self.values)
                self.values.append(value)
        return np.fromiter(map(index.__getitem__, values), dtype=np.int32, count=len(values))

    @property
    def strings(self) -> np.ndarray:
        array = np.empty(len(self.values), dtype=object)
        array[:] = self.values
        return array

    def __len__(self) -> int:
        return len(self.values)


def _derive(strings: Sequence[str], function, codes: np.ndarray) -> tuple[np.ndarray, Vocab]:
    """Apply `function` to each distinct value, and give each record the code of the result."""
    vocab = Vocab()
    per_value = vocab.encode([function(value) for value in strings])
    return _take(per_value, codes), vocab


def _take(per_value: np.ndarray, codes: np.ndarray) -> np.ndarray:
    if len(per_value) == 0:
        return np.full(len(codes), -1, dtype=np.int32)
    out = per_value[np.maximum(codes, 0)]
    out[codes < 0] = -1
    return out


def _cleaned(values: Iterable[str], clean: Callable[[str], str]) -> tuple[np.ndarray, Vocab]:
    """Codes of the cleaned values, cleaning each distinct raw value once."""
    raw = Vocab()
    codes = raw.encode(values)
    return _derive(raw.values, clean, codes)


def ends(strings: Sequence[str]) -> np.ndarray:
    """(length, code of the first 3 characters, code of the last 3) of each string."""
    out = np.zeros((len(strings), 3), dtype=np.int32)
    out[:, 0] = [len(s) for s in strings]
    out[:, 1] = Vocab().encode([s[:3] or " " for s in strings])
    out[:, 2] = Vocab().encode([s[-3:] or " " for s in strings])
    return out


class _Multi:
    """A multi-valued field: the first value as codes, and the codes of all the values of the
    few records that have several (`others`, `all_codes`)."""

    def __init__(self, values: list[tuple[str, ...]], clean: Callable[[str], str]) -> None:
        n = len(values)
        firsts, cleaned = _cleaned([v[0] if v else "" for v in values], clean)
        several = [k for k, v in enumerate(values) if len(v) > 1]
        self.vocab = cleaned
        others: dict[int, tuple[int, ...]] = {}
        for position in several:
            codes = []
            for item in values[position]:
                value = clean(item)
                if value:
                    if value not in cleaned.index:
                        cleaned.index[value] = len(cleaned.values)
                        cleaned.values.append(value)
                    codes.append(cleaned.index[value])
            codes = list(dict.fromkeys(codes))
            if firsts[position] < 0 and codes:
                firsts[position] = codes[0]
            if len(codes) > 1:
                others[position] = tuple(codes)
        self.codes = firsts
        self.others = others
        self.strings = cleaned.strings
        self.ends = ends(self.strings)
        self.has_others = np.zeros(n, dtype=bool)
        self.has_others[list(others)] = True
        width = min(max((len(c) for c in others.values()), default=1), MAX_VALUES)
        self.all_codes = np.full((n, width), -1, dtype=np.int32)
        self.all_codes[:, 0] = self.codes
        for position, codes in others.items():
            self.all_codes[position, : min(len(codes), width)] = codes[:width]


def _column(records: Sequence[Record], name: str) -> list:
    return list(map(attrgetter(name), records))


class Table:
    """The columns of a list of Records (see the module docstring)."""

    def __init__(self, records: Sequence[Record]) -> None:
        self.n = n = len(records)
        self.ids = _column(records, "id")
        self._names(records)
        self._birth_dates(records)
        self.gender, _ = _cleaned(_column(records, "gender"), lambda g: clean_text(g)[:1])
        self.email = _Multi(_column(records, "emails"), clean_email)
        self.email_local, _ = _derive(
            self.email.strings, lambda e: e.split("@", 1)[0], self.email.codes
        )
        self.email_numbers = Vocab().encode([digits(e) or " " for e in self.email.strings])
        self.phone = _Multi(_column(records, "phones"), digits)
        self.phone7, self.phone7_vocab = _derive(
            self.phone.strings, lambda p: p[-7:], self.phone.codes
        )
        self.line1, line1 = _cleaned(_column(records, "line1"), clean_address)
        self.lines = line1.strings
        self.house, houses = _derive(self.lines, house_number, self.line1)
        self.houses = houses.strings
        self.address_key, _ = _derive(self.lines, address_key, self.line1)
        self.city, city = _cleaned(_column(records, "city"), clean_text)
        self.cities = city.strings
        self.postcode, postcode = _cleaned(_column(records, "postcode"), clean_postcode)
        self.postcodes = postcode.strings
        self.external = _Multi(_column(records, "external_ids"), str.strip)
        # An id's system prefix is the same on both sides when ids are compared.
        self.external.ends = ends([x.partition(":")[2] for x in self.external.strings])
        self.external_system, _ = _derive(
            self.external.strings, lambda x: x.partition(":")[0], self.external.codes
        )
        self.external_tail, _ = _derive(
            self.external.strings, lambda x: x.partition(":")[2][-4:], self.external.codes
        )
        assert len(self.first) == n

    def _names(self, records: Sequence[Record]) -> None:
        raw = Vocab()
        first, middle, last = (
            raw.encode(_column(records, name))
            for name in ("first_name", "middle_name", "last_name")
        )
        names = Vocab()
        cleaned = names.encode([clean_name(value) for value in raw.values])
        self.first, self.middle, self.last = (_take(cleaned, c) for c in (first, middle, last))
        self.names = names.strings
        sdx = Vocab()
        self.name_sdx = sdx.encode([soundex(name) for name in names.values])
        self._sdx_vocab = sdx
        self.first_sdx = _take(self.name_sdx, self.first)
        self.last_sdx = _take(self.name_sdx, self.last)
        self.name_initials = np.array([ord(s[0]) for s in names.values], dtype=np.int32)
        self.name_lengths = np.array([len(s) for s in names.values], dtype=np.int32)
        self.name_has_words = np.array([" " in s for s in names.values], dtype=bool)
        self.first_initial = _take(self.name_initials, self.first)
        groups = np.full((len(names), NICK_SLOTS), -1, dtype=np.int32)
        for code, name in enumerate(names.values):
            found = nickname_groups(name)[:NICK_SLOTS]
            groups[code, : len(found)] = found
        self.name_groups = groups
        # A first name's blocking key: its first nickname group, or the name itself.
        per_name = np.where(groups[:, 0] >= 0, groups[:, 0], np.arange(len(names)) + 100_000)
        self.first_key = _take(per_name.astype(np.int32), self.first)

    def _birth_dates(self, records: Sequence[Record]) -> None:
        dates = Vocab()
        raw = dates.encode(_column(records, "birth_date"))
        parsed = np.zeros((len(dates) + 1, 3), dtype=np.int32)  # last row: no date
        for code, text in enumerate(dates.values):
            if (
                len(text) == 10
                and text.isascii()  # "²" is a digit to isdigit() but not to int()
                and text[:4].isdigit()
                and text[5:7].isdigit()
                and text[8:].isdigit()
            ):
                parsed[code] = int(text[:4]), int(text[5:7]), int(text[8:10])
        rows = parsed[np.where(raw >= 0, raw, len(dates))]
        year, month, day = rows[:, 0].copy(), rows[:, 1].copy(), rows[:, 2].copy()
        years = np.array([y or 0 for y in _column(records, "birth_year")], dtype=np.int32)
        year = np.where(year > 0, year, years)
        self.year, self.month, self.day = year, month, day
        self.dob = np.where(month > 0, year * 10000 + month * 100 + day, -1).astype(np.int32)
        self.dob_code = np.where(month > 0, raw, -1).astype(np.int32)
        self.dob_strings = dates.strings

    def tf_column(self, kind: str) -> np.ndarray:
        """Each record's code in the vocabulary of a term-frequency kind (tf_strings)."""
        return {
            "first_name": self.first,
            "last_name": self.last,
            "birth_date": self.dob_code,
            "address_line": self.line1,
            "postcode": self.postcode,
            "city": self.city,
            "phone": self.phone.codes,
            "email": self.email.codes,
        }[kind]

    def tf_strings(self, kind: str) -> np.ndarray:
        return {
            "first_name": self.names,
            "last_name": self.names,
            "birth_date": self.dob_strings,
            "address_line": self.lines,
            "postcode": self.postcodes,
            "city": self.cities,
            "phone": self.phone.strings,
            "email": self.email.strings,
        }[kind]

    def name_rank(self) -> np.ndarray:
        """Each record's place in the alphabetical order of "last first" (sorts blocks)."""
        order = np.argsort(self.names) if len(self.names) else np.zeros(0, dtype=np.int64)
        rank_of_name = np.empty(len(self.names), dtype=np.int64)
        rank_of_name[order] = np.arange(len(self.names))
        last = _take(rank_of_name.astype(np.int32), self.last).astype(np.int64)
        first = _take(rank_of_name.astype(np.int32), self.first).astype(np.int64)
        return (last + 1) * (len(self.names) + 1) + (first + 1)
