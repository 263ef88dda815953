"""A person as an import sees them: what is stored (loaded for a chunk in a few queries), and
what the rows of the file change.

A row never erases: an empty cell leaves the stored value alone, and an email address, phone
number or id the person does not have yet is added beside theirs. Text compares without regard
to case or runs of spaces ("JOHN" is "John": the stored spelling stays), street addresses in
their USPS form ("12 Main Street" is "12 MAIN ST"). A row whose every value is already there
changes nothing: the person is unchanged.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from civicdesk.tabular.mapping import PersonRecord

from . import bulk, text
from .places import postcode5

NAME_FIELDS = ("prefix", "first_name", "middle_name", "last_name", "suffix")
TEXT_FIELDS = (*NAME_FIELDS, "gender", "language")
ADDRESS_FIELDS = ("line1", "line2", "city", "region", "postcode", "country")
POSITION_FIELDS = ("latitude", "longitude", "geocode_source")
DEFAULT_COUNTRY = "US"


def same_text(stored: str, given: str) -> bool:
    return (
        stored == given or " ".join(stored.split()).casefold() == " ".join(given.split()).casefold()
    )


def name_key(last_name: str, first_name: str) -> str:
    """The beginning of the person's sort name ("last first"): how name rules find them."""
    if not (last_name and first_name):
        return ""
    return " ".join([*text.name_words(last_name), *text.name_words(first_name)])


class AddressState:
    """An address of the person, as stored or as the rows make it (imports change only the
    primary one: new, or moved by a row)."""

    __slots__ = (
        "id", "line1", "line2", "city", "region", "postcode", "country", "latitude",
        "longitude", "geocode_source", "links", "stored_links", "file_layers", "is_new",
        "is_moved", "is_primary",
    )  # fmt: skip

    def __init__(self, **values: Any):
        self.id: int | None = None
        self.line1 = self.line2 = self.city = self.region = self.postcode = ""
        self.country = DEFAULT_COUNTRY
        self.latitude: float | None = None
        self.longitude: float | None = None
        self.geocode_source = ""
        self.links: dict[int, int] = {}  # layer id -> district id
        self.stored_links: dict[int, int] = {}
        self.file_layers: set[int] = set()  # layers whose district the file's columns gave
        self.is_new = self.is_moved = False
        self.is_primary = True
        for name, value in values.items():
            setattr(self, name, value)

    def matches(self, record: PersonRecord) -> bool:
        """The record names this address (its empty fields say nothing)."""
        if self.line1 != record.line1 and text.usps_street(self.line1) != text.usps_street(
            record.line1
        ):
            return False
        for name in ("line2", "city", "region"):
            given = getattr(record, name)
            if given and not same_text(getattr(self, name), given):
                return False
        if record.postcode and postcode5(self.postcode) != postcode5(record.postcode):
            return False
        return not record.country or self.country.upper() == record.country.upper()

    def take(self, record: PersonRecord) -> None:
        for name in ADDRESS_FIELDS:
            setattr(self, name, getattr(record, name))
        self.country = (record.country or DEFAULT_COUNTRY).upper()
        self.latitude = self.longitude = None
        self.geocode_source = ""
        self.links, self.file_layers = {}, set()  # districts of the old place are not the new's

    @property
    def links_changed(self) -> bool:
        return self.links != self.stored_links


class PersonState:
    """One person of the chunk: loaded from the database, or new."""

    __slots__ = (
        "id", "is_new", "prefix", "first_name", "middle_name", "last_name", "suffix",
        "preferred_name", "birth_date", "birth_year", "gender", "language", "custom",
        "version", "emails", "phones", "external_ids", "addresses", "has_tag",
        "new_emails", "new_phones", "new_external_ids", "tag_added", "is_changed",
        "sort_name", "search_text", "first_row", "stored", "edits",
    )  # fmt: skip

    def __init__(self, *, id: int | None = None, is_new: bool = True):  # noqa: A002
        self.id = id
        self.is_new = is_new
        self.prefix = self.first_name = self.middle_name = self.last_name = self.suffix = ""
        self.preferred_name = self.gender = self.language = ""
        self.birth_date: dt.date | None = None
        self.birth_year: int | None = None
        self.custom: dict[str, Any] = {}
        self.version = 1
        self.emails: list[str] = []  # stored, primary first
        self.phones: list[str] = []
        self.external_ids: list[tuple[str, str]] = []  # (system, value)
        self.addresses: list[AddressState] = []  # primary first
        self.has_tag = False
        self.new_emails: list[str] = []
        self.new_phones: list[str] = []
        self.new_external_ids: list[tuple[str, str]] = []
        self.tag_added = False
        self.is_changed = False  # the person row itself needs writing
        self.sort_name = self.search_text = ""
        self.first_row = 0  # the row that created a new person
        self.stored: tuple[str, str, str] = ("", "", "")
        self.edits = 0  # rows that changed the person row after it was stored or created

    @property
    def stored_name(self) -> str:
        """The name as stored, before the rows changed anything."""
        first, last, suffix = self.stored
        return " ".join(part for part in (first, last, suffix) if part) or "?"

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.first_name
        return " ".join(part for part in (first, self.last_name, self.suffix) if part) or "?"

    @property
    def primary_address(self) -> AddressState | None:
        if self.addresses and self.addresses[0].is_primary:
            return self.addresses[0]
        return None

    # ------------------------------------------------------------ a row's values

    def apply(
        self,
        record: PersonRecord,
        *,
        system: str,
        custom: dict[str, Any],
        links: dict[int, int],
        tag_id: int | None,
    ) -> bool:
        """Take what the row says that the person does not have yet. True if anything changed."""
        was_changed, self.is_changed = self.is_changed, False
        changed = self._apply_fields(record, custom)
        changed |= self._apply_contacts(record, system)
        changed |= self._apply_address(record, links)
        if self.is_changed and (not self.is_new or self.first_row):
            # Each row that edits the person counts, as an edit in the app does: the version
            # then does not depend on which rows share a chunk.
            self.edits += 1
        self.is_changed |= was_changed
        if tag_id is not None and not self.has_tag:
            self.has_tag = self.tag_added = True
            changed = True
        return changed

    def _apply_fields(self, record: PersonRecord, custom: dict[str, Any]) -> bool:
        if self.is_new and not self.first_row:  # a new person: everything the row has
            for name in TEXT_FIELDS:
                setattr(self, name, getattr(record, name))
            self.birth_date, self.birth_year = record.birth_date, record.birth_year
            self.custom = dict(custom)
            self.is_changed = True
            return True
        changed = False
        for name in TEXT_FIELDS:
            given = getattr(record, name)
            if given and not same_text(getattr(self, name), given):
                setattr(self, name, given)
                changed = True
        if record.birth_date is not None and record.birth_date != self.birth_date:
            self.birth_date, self.birth_year = record.birth_date, record.birth_date.year
            changed = True
        elif (
            record.birth_year and record.birth_date is None and record.birth_year != self.birth_year
        ):
            self.birth_year = record.birth_year
            if self.birth_date is not None and self.birth_date.year != record.birth_year:
                self.birth_date = None
            changed = True
        for key, value in custom.items():
            if self.custom.get(key) != value:
                self.custom = {**self.custom, key: value}
                changed = True
        self.is_changed |= changed
        return changed

    def _apply_contacts(self, record: PersonRecord, system: str) -> bool:
        changed = False
        if record.email and record.email not in self.emails and record.email not in self.new_emails:
            self.new_emails.append(record.email)
            changed = True
        if record.phone and record.phone not in self.phones and record.phone not in self.new_phones:
            self.new_phones.append(record.phone)
            changed = True
        key = (system, record.external_id)
        if record.external_id and key not in self.external_ids and key not in self.new_external_ids:
            self.new_external_ids.append(key)
            changed = True
        self.is_changed |= changed  # the search text holds them
        return changed

    def _apply_address(self, record: PersonRecord, links: dict[int, int]) -> bool:
        changed = False
        address = self.primary_address
        if record.line1:
            if address is None and any(other.matches(record) for other in self.addresses):
                return False  # a second address of theirs, not the primary one: leave it
            if address is None:
                address = AddressState(is_new=True)
                address.take(record)
                self.addresses.insert(0, address)
                changed = True
            elif not address.matches(record):
                address.take(record)
                address.is_moved = not address.is_new
                changed = True
            self.is_changed |= changed  # the search text holds the street and postcode
        if address is not None:
            for layer_id, district_id in links.items():
                address.file_layers.add(layer_id)
                if address.links.get(layer_id) != district_id:
                    address.links[layer_id] = district_id
                    changed = True
        return changed

    # ------------------------------------------------------------ search

    def refresh_search(self) -> None:
        """sort_name and search_text as constituents.search computes them."""
        self.sort_name = text.sort_name(
            self.last_name, self.first_name, self.middle_name, self.preferred_name
        )
        self.search_text = text.search_text(
            self.first_name,
            self.middle_name,
            self.last_name,
            self.preferred_name,
            emails=[*self.emails, *self.new_emails],
            phones=[*self.phones, *self.new_phones],
            addresses=[(a.line1, a.postcode) for a in self.addresses],
            external_ids=[value for _system, value in [*self.external_ids, *self.new_external_ids]],
        )


PERSON_VALUES = (
    "id", "prefix", "first_name", "middle_name", "last_name", "suffix", "preferred_name",
    "birth_date", "birth_year", "gender", "language", "custom", "version",
)  # fmt: skip


def load_states(person_ids: Iterable[int], *, tag_id: int | None) -> dict[int, PersonState]:
    """The stored people of these ids with their contact points, ids, addresses (the primary
    one's districts) and whether they carry the batch's tag: seven queries for any number."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    listed = bulk.listed(ids)
    states: dict[int, PersonState] = {}
    for values in bulk.fetch(
        f"SELECT {', '.join(PERSON_VALUES)} FROM constituents_person "  # noqa: S608
        f"WHERE {bulk.any_of('id')}",
        [listed],
    ):
        state = PersonState(id=values[0], is_new=False)
        for name, value in zip(PERSON_VALUES[1:], values[1:], strict=True):
            setattr(state, name, value)
        state.birth_date = bulk.as_date(state.birth_date)
        state.custom = bulk.as_json(state.custom) or {}
        state.stored = (state.preferred_name or state.first_name, state.last_name, state.suffix)
        states[state.id] = state
    primary_first = "ORDER BY is_primary DESC, id"
    for person_id, email in bulk.fetch(
        "SELECT person_id, email FROM constituents_emailaddress "  # noqa: S608
        f"WHERE {bulk.any_of('person_id')} {primary_first}",
        [listed],
    ):
        if person_id in states:
            states[person_id].emails.append(email)
    for person_id, number in bulk.fetch(
        "SELECT person_id, number FROM constituents_phone "  # noqa: S608
        f"WHERE {bulk.any_of('person_id')} {primary_first}",
        [listed],
    ):
        if person_id in states:
            states[person_id].phones.append(number)
    for person_id, system, value in bulk.fetch(
        "SELECT person_id, system, value FROM constituents_externalid "  # noqa: S608
        f"WHERE {bulk.any_of('person_id')} ORDER BY id",
        [listed],
    ):
        if person_id in states:
            states[person_id].external_ids.append((system, value))
    primary: dict[int, AddressState] = {}
    columns = ", ".join(("id", "person_id", "is_primary", *ADDRESS_FIELDS, *POSITION_FIELDS))
    for values in bulk.fetch(
        f"SELECT {columns} FROM constituents_address "  # noqa: S608
        f"WHERE {bulk.any_of('person_id')} {primary_first}",
        [listed],
    ):
        if values[1] not in states:
            continue
        address = AddressState(
            id=values[0],
            is_primary=bool(values[2]),
            **dict(zip(ADDRESS_FIELDS, values[3:9], strict=True)),
            latitude=values[9],
            longitude=values[10],
            geocode_source=values[11],
        )
        states[values[1]].addresses.append(address)
        if address.is_primary:
            primary[address.id] = address
    if primary:
        for address_id, layer_id, district_id in bulk.fetch(
            "SELECT address_id, layer_id, district_id "  # noqa: S608
            f"FROM constituents_addressdistrict WHERE {bulk.any_of('address_id')}",
            [bulk.listed(primary)],
        ):
            primary[address_id].links[layer_id] = district_id
            primary[address_id].stored_links[layer_id] = district_id
    if tag_id is not None:
        for (person_id,) in bulk.fetch(
            "SELECT person_id FROM constituents_persontag "  # noqa: S608
            f"WHERE tag_id = %s AND {bulk.any_of('person_id')}",
            [tag_id, listed],
        ):
            if person_id in states:
                states[person_id].has_tag = True
    return states


def group_min(pairs: Iterable[tuple[Any, int]]) -> dict[Any, int]:
    """{key: the lowest person id having it}: when several people share an email address or a
    name, the oldest record is the one a row updates (the same one every time)."""
    found: dict[Any, int] = {}
    for key, person_id in pairs:
        if key not in found or person_id < found[key]:
            found[key] = person_id
    return found


def group_all(pairs: Iterable[tuple[Any, Any]]) -> dict[Any, list[Any]]:
    found: dict[Any, list[Any]] = defaultdict(list)
    for key, value in pairs:
        found[key].append(value)
    return found


def states_in_order(states: Sequence[PersonState]) -> list[PersonState]:
    return sorted(states, key=lambda state: (state.is_new, state.id or 0, state.first_row))
