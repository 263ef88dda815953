"""One chunk of a file's rows, start to end: map and check each row, find the people the rows
already are (one set-based query per match rule for the whole chunk, never one per row),
decide created / updated / unchanged, geocode and district the new and moved addresses, and
write everything in a few bulk statements (COPY on PostgreSQL).

The caller holds the chunk's transaction: the rows, their failures and the batch's checkpoint
commit together or not at all.
"""

import json
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from civicdesk.constituents import search
from civicdesk.constituents.models import (
    Address,
    AddressDistrict,
    ContactKind,
    CustomField,
    EmailAddress,
    ExternalId,
    Person,
    PersonTag,
    Phone,
    SearchKey,
)
from civicdesk.constituents.validation import clean_custom_value
from civicdesk.imports.models import DEFAULT_MATCH_RULES, ImportBatch, MatchRule
from civicdesk.tabular.mapping import Mapping, PersonRecord, RowMapper
from civicdesk.tabular.reading import FileShape, Row

from . import bulk, text
from .people import (
    AddressState,
    PersonState,
    group_all,
    group_min,
    load_states,
    name_key,
    states_in_order,
)
from .places import LOCAL_SOURCE, Places, postcode5

MAX_CELL = 2000  # characters of a failed row's cell that are kept
MAX_CELLS = 500


class ReferencesChanged(Exception):  # noqa: N818
    """A district map changed, or a person of the chunk was deleted, while the chunk was read:
    read it again."""


class ImportStopped(Exception):  # noqa: N818
    """Something the whole import needs is gone (its office, its tag): the batch stops."""


@dataclass(slots=True)
class Item:
    """A row that mapped cleanly, with what it says beyond the record."""

    row: Row
    record: PersonRecord
    custom: dict[str, Any]
    links: dict[int, int]  # layer id -> district id, from the file's district columns
    keys: dict[MatchRule, Any]  # what each match rule compares it by (None: it cannot)


@dataclass
class RowOutcome:
    number: int
    cells: list[str]
    record: PersonRecord | None
    problems: list[str]
    action: str  # "created" | "updated" | "unchanged" | "failed"
    state: PersonState | None = None
    same_as: int = 0  # an earlier row of the chunk that is the same person


@dataclass
class Prepared:
    """A chunk's rows mapped and checked, waiting for the transaction."""

    items: list[Item] = field(default_factory=list)
    slots: list[int] = field(default_factory=list)  # the outcome of each item
    outcomes: list[RowOutcome] = field(default_factory=list)


@dataclass
class ChunkResult:
    outcomes: list[RowOutcome] = field(default_factory=list)
    new_words: set[str] = field(default_factory=set)

    def count(self, action: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.action == action)

    @property
    def failures(self) -> list[RowOutcome]:
        return [outcome for outcome in self.outcomes if outcome.action == "failed"]


def kept_cells(cells: Sequence[str]) -> list[str]:
    """A failed row's cells as stored: a sane size whatever the file held."""
    return [cell[:MAX_CELL] for cell in list(cells)[:MAX_CELLS]]


class Importer:
    """Imports chunks of one batch's rows. Built once per run of the batch."""

    def __init__(self, batch: ImportBatch, *, remembered: set[str] | None = None):
        self.batch_id = batch.pk
        self.office_id = batch.office_id
        self.by_id = batch.started_by_id
        self.shape = FileShape.from_dict(batch.shape)
        self.mapping = Mapping.from_dict(batch.mapping)
        self.system = self.mapping.id_system or "import"
        self.rules = [MatchRule(rule) for rule in (batch.match_rules or DEFAULT_MATCH_RULES)]
        self.tag_id = batch.tag_id
        self.mapper = RowMapper(self.mapping, self.shape)
        self.places = Places(self.office_id)
        self.custom_fields = {
            definition.key: definition
            for definition in CustomField.objects.filter(office_id=self.office_id, is_active=True)
        }
        # Words of the typo index written by earlier chunks (the caller adds a chunk's words
        # once it has committed): each word is offered to the index once per run.
        self.remembered = remembered if remembered is not None else set()
        self.timings: Counter[str] = Counter()

    # ------------------------------------------------------------ rows to records

    def read(self, row: Row) -> Item | tuple[PersonRecord | None, list[str]]:
        """The row's record, or (the record as far as it goes, the reasons the row fails)."""
        if row.problem:
            return None, [row.problem]
        record, problems = self.mapper(row.cells)  # it checks the row's columns too
        problems = list(problems)
        problems += self.check(record, problems)
        custom, links, custom_problems = self.extras(record)
        problems += custom_problems
        if problems:
            return record, problems
        return Item(row, record, custom, links, self.rule_keys(record))

    def check(self, record: PersonRecord, problems: list[str]) -> list[str]:
        """What the mapper lets through but a person needs: a name (RowMapper accepts a row
        with only an id or an email, and says so when a row has none of them)."""
        if record.first_name or record.last_name or any("no name" in p for p in problems):
            return []
        return ["The row has no name: give a first or a last name."]

    def extras(self, record: PersonRecord) -> tuple[dict[str, Any], dict[int, int], list[str]]:
        """(custom values, district links, problems): custom columns, and district columns
        that name none of the office's districts (or come without a street address)."""
        custom: dict[str, Any] = {}
        links: dict[int, int] = {}
        problems: list[str] = []
        wanted = dict(record.custom)
        for slug, value in record.districts.items():
            if not value:
                continue
            found = self.places.district(slug, value) if record.line1 else None
            if found is None:
                wanted.setdefault(slug, value)
            else:
                links[found[0]] = found[1]
        for key, value in wanted.items():
            if value in ("", None):
                continue
            definition = self.custom_fields.get(key)
            if definition is None:
                custom[key] = str(value).strip()  # the mapper bounds its length
                continue
            try:
                custom[key] = clean_custom_value(definition, value)
            except ValidationError as exc:
                problems.extend(exc.messages)
        return custom, links, problems

    # ------------------------------------------------------------ the chunk

    def prepare(self, rows: Sequence[Row]) -> "Prepared":
        """Map and check the rows: no database work beyond the office's settings, so it can
        run before the chunk's transaction opens."""
        prepared = Prepared()
        with self.timed("map"):
            self._prepare(rows, prepared)
        return prepared

    def _prepare(self, rows: Sequence[Row], prepared: "Prepared") -> None:
        for row in rows:
            read = self.read(row)
            if isinstance(read, Item):
                prepared.slots.append(len(prepared.outcomes))
                prepared.items.append(read)
                prepared.outcomes.append(RowOutcome(row.number, row.cells, read.record, [], ""))
            else:
                record, problems = read
                prepared.outcomes.append(
                    RowOutcome(row.number, kept_cells(row.cells), record, problems, "failed")
                )

    def process(self, rows: "Sequence[Row] | Prepared", *, write: bool = True) -> ChunkResult:
        """Import the rows (or, with write=False, only say what importing them would do)."""
        prepared = rows if isinstance(rows, Prepared) else self.prepare(rows)
        result = ChunkResult(outcomes=prepared.outcomes)  # a chunk written again overwrites them
        items, slots = prepared.items, prepared.slots
        if not items:
            return result
        with self.timed("match"):
            owners = self.id_owners(items)
            hits = self.find_people(items, owners)
            states = load_states(
                {pid for found in hits.values() for pid in found.values()} | set(owners.values()),
                tag_id=self.tag_id,
            )
        with self.timed("apply"):
            touched = self.apply(items, slots, hits, owners, states, result)
        if write:
            with self.timed("place"):
                self.place(touched)
            with self.timed("search"):
                words = result.new_words
                for state in touched:
                    if state.is_changed:
                        state.refresh_search()
                        words |= text.vocabulary(
                            state.first_name, state.middle_name, state.last_name,
                            state.preferred_name, [a.line1 for a in state.addresses],
                        )  # fmt: skip
                words -= self.remembered
            with self.timed("write"):
                self.lock_references(touched)
                self.write(touched, result.new_words)
        return result

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        """Seconds spent in each phase of the import (the command shows them with -v 2)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[phase] += time.perf_counter() - started

    def apply(
        self,
        items: list[Item],
        slots: list[int],
        hits: dict[MatchRule, dict[int, int]],
        owners: dict[str, int],
        states: dict[int, PersonState],
        result: ChunkResult,
    ) -> list[PersonState]:
        """Each row in file order: its person (stored, or an earlier row's), or a new one."""
        seen: dict[MatchRule, dict[Any, PersonState]] = defaultdict(dict)
        id_owner_in_chunk: dict[str, PersonState] = {}
        touched: dict[int, PersonState] = {}  # by id() of the state: every person written
        for at, item in enumerate(items):
            outcome = result.outcomes[slots[at]]
            outcome.problems, outcome.same_as = [], 0
            state = None
            for rule in self.rules:
                person_id = hits[rule].get(at)
                if person_id is not None and person_id in states:  # not deleted meanwhile
                    state = states[person_id]
                    break
                key = item.keys[rule]
                if key is not None and key in seen[rule]:
                    state = seen[rule][key]
                    break
            value = item.record.external_id
            if value:
                owner = states.get(owners[value]) if value in owners else None
                owner = owner or id_owner_in_chunk.get(value)
                if owner is not None and state is not None and owner is not state:
                    outcome.action = "failed"
                    outcome.problems = [
                        f"The id {value} is already {owner.display_name}’s, but the row matched "
                        f"{state.display_name} by {self.rule_label(state, hits, at)}."
                    ]
                    continue
                if owner is not None and state is None:
                    outcome.action = "failed"
                    outcome.problems = [
                        f"The id {value} is already {owner.display_name}’s; the match rules "
                        "chosen for this import do not include the id column."
                    ]
                    continue
            if state is None:
                state = PersonState()
                state.apply(
                    item.record, system=self.system, custom=item.custom, links=item.links,
                    tag_id=self.tag_id,
                )  # fmt: skip
                state.first_row = item.row.number
                outcome.action = "created"
            else:
                changed = state.apply(
                    item.record, system=self.system, custom=item.custom, links=item.links,
                    tag_id=self.tag_id,
                )  # fmt: skip
                outcome.action = "updated" if changed else "unchanged"
                outcome.same_as = state.first_row
            outcome.state = state
            touched[id(state)] = state
            for rule in self.rules:
                key = item.keys[rule]
                if key is not None:
                    seen[rule].setdefault(key, state)
            if value:
                id_owner_in_chunk.setdefault(value, state)
        return states_in_order(list(touched.values()))

    def rule_label(self, state: PersonState, hits: dict, at: int) -> str:
        for rule in self.rules:
            if hits[rule].get(at) == state.id:
                return str(MatchRule(rule).label).lower()
        return "an earlier row"

    # ------------------------------------------------------------ matching

    def rule_keys(self, record: PersonRecord) -> dict[MatchRule, Any]:
        """What each chosen rule compares a row by; None when the row lacks it."""
        keys: dict[MatchRule, Any] = {}
        names = ""
        if MatchRule.NAME_BIRTH_DATE in self.rules or MatchRule.NAME_ADDRESS in self.rules:
            names = name_key(record.last_name, record.first_name)
        for rule in self.rules:
            key: Any = None
            if rule == MatchRule.EXTERNAL_ID:
                key = record.external_id or None
            elif rule == MatchRule.EMAIL:
                key = record.email or None
            elif rule == MatchRule.NAME_BIRTH_DATE:
                if names and record.birth_date:
                    key = (names, record.birth_date)
            elif names and record.line1 and record.postcode:
                key = (names, text.usps_street(record.line1), postcode5(record.postcode))
            keys[rule] = key
        return keys

    def id_owners(self, items: Sequence[Item]) -> dict[str, int]:
        """{id value of the file: the person holding it}: every row's id, whatever the rules,
        since an id can belong to one person only."""
        values = {item.record.external_id for item in items if item.record.external_id}
        if not values:
            return {}
        return dict(
            bulk.fetch(
                "SELECT value, person_id FROM constituents_externalid "  # noqa: S608
                f"WHERE office_id = %s AND system = %s AND {bulk.any_of('value')}",
                [self.office_id, self.system, bulk.listed(values)],
            )
        )

    def find_people(
        self, items: Sequence[Item], owners: dict[str, int]
    ) -> dict[MatchRule, dict[int, int]]:
        """{rule: {item position: stored person}}. Each rule asks only about the rows the
        rules before it left unmatched."""
        hits: dict[MatchRule, dict[int, int]] = {rule: {} for rule in MatchRule}
        left = set(range(len(items)))
        for rule in self.rules:
            keys = {at: items[at].keys[rule] for at in left}
            keys = {at: key for at, key in keys.items() if key is not None}
            if not keys:
                continue
            if rule == MatchRule.EXTERNAL_ID:
                found = {key: owners[key] for key in keys.values() if key in owners}
            elif rule == MatchRule.EMAIL:
                found = group_min(
                    bulk.fetch(
                        "SELECT email, person_id FROM constituents_emailaddress "  # noqa: S608
                        f"WHERE office_id = %s AND {bulk.any_of('email')}",
                        [self.office_id, bulk.listed(set(keys.values()))],
                    )
                )
            elif rule == MatchRule.NAME_BIRTH_DATE:
                found = group_min(
                    ((name, birth_date), person_id)
                    for name, person_id, birth_date in self.people_named(
                        {k[0] for k in keys.values()}
                    )
                    if birth_date is not None
                )
            else:
                found = self.people_at(keys.values())
            hits[rule] = {at: found[key] for at, key in keys.items() if key in found}
            left -= set(hits[rule])
        return hits

    def people_named(self, keys: set[str]) -> list[tuple[str, int, Any]]:
        """(name key, person id, birth date) of the office's people whose sort name is the key
        or begins with it and a space ("smith john" finds "smith john quincy"): one join of
        the keys with the (office, sort_name) index."""
        if not keys:
            return []
        if bulk.is_postgresql():
            # ~>=~ and ~<~ compare bytes, as the varchar_pattern_ops index of constituents'
            # migration 0006 orders; "~" sorts after every letter and digit of a sort name.
            sql = (
                "SELECT k.key, p.id, p.birth_date, p.sort_name FROM unnest(%s::text[]) AS k(key) "
                "JOIN constituents_person p ON p.office_id = %s "
                "AND p.sort_name ~>=~ k.key AND p.sort_name ~<~ (k.key || '~')"
            )
            params: list[Any] = [sorted(keys), self.office_id]
        else:
            sql = (
                "SELECT k.value, p.id, p.birth_date, p.sort_name FROM json_each(%s) AS k "
                "CROSS JOIN constituents_person p ON p.office_id = %s "
                "AND p.sort_name >= k.value AND p.sort_name < k.value || '~'"
            )
            params = [json.dumps(sorted(keys)), self.office_id]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return [
            (key, person_id, bulk.as_date(birth_date))
            for key, person_id, birth_date, sort_name in rows
            if sort_name == key or sort_name.startswith(key + " ")
        ]

    def people_at(self, keys: Any) -> dict[tuple, int]:
        """{(name key, street, postcode): person id} for the people of those names with an
        address at that street address and postcode."""
        wanted = set(keys)
        named = group_all(
            (name, person_id) for name, person_id, _ in self.people_named({k[0] for k in wanted})
        )
        person_ids = {person_id for ids in named.values() for person_id in ids}
        if not person_ids:
            return {}
        places = group_all(
            (person_id, (text.usps_street(line1), postcode5(postcode)))
            for person_id, line1, postcode in bulk.fetch(
                "SELECT person_id, line1, postcode FROM constituents_address "  # noqa: S608
                f"WHERE {bulk.any_of('person_id')}",
                [bulk.listed(person_ids)],
            )
        )
        return group_min(
            ((name, street, code), person_id)
            for name, ids in named.items()
            for person_id in ids
            for street, code in places.get(person_id, ())
            if (name, street, code) in wanted
        )

    # ------------------------------------------------------------ positions and districts

    def place(self, states: Sequence[PersonState]) -> None:
        """Geocode the new and moved addresses from the office's address points, and put the
        positioned ones in the districts their file columns did not name (point in polygon)."""
        moved = [
            address
            for state in states
            for address in state.addresses[:1]
            if address.is_new or address.is_moved
        ]
        if not moved:
            return
        positions = self.places.geocode([(a.line1, a.postcode) for a in moved])
        placed: list[AddressState] = []
        for address, position in zip(moved, positions, strict=True):
            address.links = {
                layer: district
                for layer, district in address.links.items()
                if layer in address.file_layers
            }
            if position is not None:
                address.latitude, address.longitude = position.latitude, position.longitude
                address.geocode_source = LOCAL_SOURCE
                placed.append(address)
        found = self.places.locate(placed)
        for layer_id, districts in found.items():
            for address, district_id in zip(placed, districts, strict=True):
                if district_id is not None and layer_id not in address.file_layers:
                    address.links[layer_id] = district_id

    # ------------------------------------------------------------ writing

    def write(self, states: Sequence[PersonState], new_words: set[str]) -> None:
        writer = bulk.Writer(timezone.now())
        new = [state for state in states if state.is_new]
        for state, person_id in zip(new, bulk.reserve_ids(Person, len(new)), strict=True):
            state.id = person_id
        bulk.insert_rows(Person, PERSON_COLUMNS, [self.person_row(s, writer) for s in new])
        changed = [state for state in states if not state.is_new and state.is_changed]
        bulk.update_rows(
            Person, PERSON_UPDATE_COLUMNS, [self.person_update(s, writer) for s in changed]
        )
        self.write_contacts(states, writer)
        self.write_addresses(states, writer)
        tagged = [
            (self.office_id, state.id, self.tag_id, self.by_id, writer.now)
            for state in states
            if state.tag_added
        ]
        bulk.insert_rows(PersonTag, TAG_COLUMNS, tagged)
        bulk.insert_ignoring(
            SearchKey,
            ("office_id", "key", "word"),
            [
                (self.office_id, key[:100], word[:100])
                for word in sorted(new_words)
                for key in search.deletion_keys(word)
            ],
        )  # search.remember_words, without building a model instance per key

    def lock_references(self, states: Sequence[PersonState]) -> None:
        """Lock the rows the chunk's rows refer to (its office, tag and staff member, the
        districts and maps of its addresses) as foreign key checks would, one query per table:
        nobody deletes them before the chunk commits, and the chunk does not refer to any
        deleted since the chunk was read. Only what the chunk writes about is locked: a row
        that changes nothing locks nothing."""
        if not bulk.lock_key_share("accounts_office", [self.office_id]):
            raise ImportStopped("The office was deleted during the import.")
        if self.by_id is not None and not bulk.lock_key_share("accounts_membership", [self.by_id]):
            self.by_id = None  # the staff member left: their people are nobody's
        if self.tag_id is not None and not bulk.lock_key_share("tags_tag", [self.tag_id]):
            raise ImportStopped("The import's tag was deleted during the import.")
        districts, layers, people, addresses = set(), set(), set(), set()
        for state in states:
            if not state.is_new and (
                state.is_changed
                or state.tag_added
                or state.new_emails
                or state.new_phones
                or state.new_external_ids
            ):
                people.add(state.id)
            for address in state.addresses[:1]:
                if address.links_changed or address.is_new or address.is_moved:
                    districts.update(address.links.values())
                    layers.update(address.links)
                    if address.id is not None:
                        addresses.add(address.id)
        if bulk.lock_key_share("constituents_person", people) != people:
            raise ReferencesChanged
        if bulk.lock_key_share("constituents_address", addresses) != addresses:
            raise ReferencesChanged
        if bulk.lock_key_share("geo_districtlayer", layers) != layers:
            raise ReferencesChanged
        if bulk.lock_key_share("geo_district", districts) != districts:
            raise ReferencesChanged

    def reload_places(self) -> None:
        self.places = Places(self.office_id)

    def person_row(self, state: PersonState, writer: bulk.Writer) -> tuple:
        return (
            state.id, writer.now, writer.now, self.office_id, state.prefix, state.first_name,
            state.middle_name, state.last_name, state.suffix, "", "",
            writer.date(state.birth_date), state.birth_year, state.language, state.gender, "",
            False, False, False, False, False, False, False, False, "", None,
            json.dumps(state.custom), state.sort_name, state.search_text, 1 + state.edits,
            self.by_id,
        )  # fmt: skip

    def person_update(self, state: PersonState, writer: bulk.Writer) -> tuple:
        return (
            state.id, writer.now, state.prefix, state.first_name, state.middle_name,
            state.last_name, state.suffix, writer.date(state.birth_date), state.birth_year,
            state.language, state.gender, json.dumps(state.custom), state.sort_name,
            state.search_text, state.version + state.edits,
        )  # fmt: skip

    def write_contacts(self, states: Sequence[PersonState], writer: bulk.Writer) -> None:
        emails, phones, ids = [], [], []
        now, office = writer.now, self.office_id
        for state in states:
            for at, email in enumerate(state.new_emails):
                primary = at == 0 and not state.emails
                emails.append((now, now, office, state.id, email, ContactKind.HOME, primary, False))
            for at, number in enumerate(state.new_phones):
                primary = at == 0 and not state.phones
                phones.append((now, now, office, state.id, number, "", ContactKind.HOME, primary))
            for system, value in state.new_external_ids:
                ids.append((now, now, office, state.id, system, value))
        bulk.insert_rows(EmailAddress, EMAIL_COLUMNS, emails)
        bulk.insert_rows(Phone, PHONE_COLUMNS, phones)
        bulk.insert_rows(ExternalId, EXTERNAL_ID_COLUMNS, ids)

    def write_addresses(self, states: Sequence[PersonState], writer: bulk.Writer) -> None:
        new: list[tuple[PersonState, AddressState]] = []
        moved: list[AddressState] = []
        for state in states:
            primary = state.primary_address
            if primary is not None and primary.is_new:
                new.append((state, primary))
            elif primary is not None and primary.is_moved:
                moved.append(primary)
        for (_state, address), address_id in zip(
            new, bulk.reserve_ids(Address, len(new)), strict=True
        ):
            address.id = address_id
        now = writer.now
        bulk.insert_rows(
            Address,
            ADDRESS_COLUMNS,
            [
                (address.id, now, now, self.office_id, state.id, ContactKind.HOME, True,
                 address.line1, address.line2, address.city, address.region, address.postcode,
                 address.country, address.latitude, address.longitude, address.geocode_source)
                for state, address in new
            ],
        )  # fmt: skip
        bulk.update_rows(
            Address,
            ADDRESS_UPDATE_COLUMNS,
            [
                (a.id, now, a.line1, a.line2, a.city, a.region, a.postcode, a.country,
                 a.latitude, a.longitude, a.geocode_source)
                for a in moved
            ],
        )  # fmt: skip
        relinked = [
            address
            for state in states
            for address in state.addresses[:1]
            if address.links_changed and not address.is_new
        ]
        bulk.delete_rows(AddressDistrict, "address_id", [a.id for a in relinked])
        bulk.insert_rows(
            AddressDistrict,
            LINK_COLUMNS,
            [
                (self.office_id, address.id, layer_id, district_id)
                for address in [*(a for _s, a in new), *relinked]
                for layer_id, district_id in sorted(address.links.items())
            ],
        )


PERSON_COLUMNS = (
    "id", "created_at", "updated_at", "office_id", "prefix", "first_name", "middle_name",
    "last_name", "suffix", "preferred_name", "salutation", "birth_date", "birth_year",
    "language", "gender", "pronouns", "do_not_email", "do_not_mail", "do_not_call",
    "do_not_text", "is_deceased", "is_vip", "is_out_of_district", "is_of_concern",
    "concern_reason", "household_id", "custom", "sort_name", "search_text", "version",
    "created_by_id",
)  # fmt: skip
PERSON_UPDATE_COLUMNS = (
    "id", "updated_at", "prefix", "first_name", "middle_name", "last_name", "suffix",
    "birth_date", "birth_year", "language", "gender", "custom", "sort_name", "search_text",
    "version",
)  # fmt: skip
EMAIL_COLUMNS = (
    "created_at",
    "updated_at",
    "office_id",
    "person_id",
    "email",
    "kind",
    "is_primary",
    "is_held",
)
PHONE_COLUMNS = (
    "created_at", "updated_at", "office_id", "person_id", "number", "extension", "kind",
    "is_primary",
)  # fmt: skip
EXTERNAL_ID_COLUMNS = ("created_at", "updated_at", "office_id", "person_id", "system", "value")
ADDRESS_COLUMNS = (
    "id", "created_at", "updated_at", "office_id", "person_id", "kind", "is_primary", "line1",
    "line2", "city", "region", "postcode", "country", "latitude", "longitude", "geocode_source",
)  # fmt: skip
ADDRESS_UPDATE_COLUMNS = (
    "id", "updated_at", "line1", "line2", "city", "region", "postcode", "country", "latitude",
    "longitude", "geocode_source",
)  # fmt: skip
LINK_COLUMNS = ("office_id", "address_id", "layer_id", "district_id")
TAG_COLUMNS = ("office_id", "person_id", "tag_id", "added_by_id", "added_at")
