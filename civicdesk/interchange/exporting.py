"""Exporting an office as a House CMS export: one `<type>.out` file per record type (all 28,
empty when the office has none), tab-separated, no header, each line exactly the type's
`field_count` fields, dates YYYYMMDD, flags Y or empty; a documents/ folder with the files that
2C, 4C and 8C records name by Windows-style paths.

Records come from the office's data as it is now. A record that came from a CMS export keeps
the fields CivicDesk has no place for (a 1B's county or carrier route, a 1A's appellation) and
the values it was written with when they still mean the same ("USA" for US), from the staging
table. Staged records (types no module brings in yet, and records that could not be brought in)
are written back as they came, with their documents."""

import datetime as dt
import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PureWindowsPath
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from django.db.models import Min, Model, QuerySet
from django.utils import timezone

from civicdesk.accounts.models import Office
from civicdesk.casework.models import (
    ActionState,
    Case,
    CaseAction,
    CaseDocument,
    CaseParty,
    CaseStatus,
    CaseTag,
    LetterTemplate,
    PartyRole,
)
from civicdesk.constituents.models import (
    Address,
    ContactKind,
    EmailAddress,
    ExternalId,
    Household,
    Interaction,
    InteractionKind,
    Person,
    PersonTag,
    Phone,
    Position,
    Stance,
)
from civicdesk.tags.models import Tag

from .bringing import CMS_SYSTEM
from .handlers.cases import IMPORTED_MARK, STATUSES, imported_mark
from .handlers.people import ADDRESS_KINDS, country_code
from .layout import (
    RECORD_TYPES,
    format_date,
    format_flag,
    format_line,
    parse_date,
    parse_flag,
)
from .models import StagedRecord
from .reading import document_display, document_parts
from .report import Report

CHUNK = 2000
NATIVE_CODE_TYPE = "TAG"  # the 8A code type of tags that did not come from a CMS code table
STANCE_CODES = {
    Stance.SUPPORT: "PRO", Stance.OPPOSE: "CON", Stance.NEUTRAL: "NEU", Stance.UNDECIDED: "UND",
}  # fmt: skip
STATUS_TEXT = {status: status.value.replace("_", " ").upper() for status in CaseStatus}
ADDRESS_TYPES = {ContactKind.HOME: "HO", ContactKind.WORK: "BU"}  # anything else: "OT"
PHONE_TYPES = {
    ContactKind.HOME: "HOME", ContactKind.WORK: "WORK", ContactKind.MOBILE: "CELL",
    ContactKind.OTHER: "OTHER",
}  # fmt: skip
EMAIL_TYPES = {ContactKind.WORK: "WORK EMAIL", ContactKind.OTHER: "OTHER EMAIL"}  # else "EMAIL"


def chunked(queryset: QuerySet, size: int = CHUNK) -> Iterator[list]:
    """The rows by primary key, `size` at a time (constant memory)."""
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk")[:size])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def _words(value: object) -> str:
    return " ".join(str(value or "").split()).lower()


def same_meaning(field: str, archived: str, live: str) -> bool:
    """Whether the value a record came with means what CivicDesk holds now (then it is written
    back as it came: "USA", not "US")."""
    if "date" in field.lower():
        try:
            return parse_date(archived) == parse_date(live)
        except ValueError:
            return False
    if field.endswith("Flag"):
        return parse_flag(archived) == parse_flag(live)
    if field == "Country":
        return country_code(archived) == country_code(live)
    if field == "Address Type":
        kind = ADDRESS_KINDS.get(archived.strip().upper(), ContactKind.OTHER)
        return kind == ADDRESS_KINDS.get(live.strip().upper(), ContactKind.OTHER)
    if field == "Casework Status":
        return STATUSES.get(_words(archived).replace("_", " ")) == STATUSES.get(_words(live))
    return _words(archived) == _words(live)


def overlay(archived: dict[str, Any], live: dict[str, str]) -> dict[str, Any]:
    """The archived record brought up to date with the live values that changed meaning."""
    fields = dict(archived)
    for name, value in live.items():
        if name not in archived or not same_meaning(name, str(archived[name]), value):
            fields[name] = value
    return fields


def safe_name(text: str) -> str:
    """A file name without folders or characters Windows refuses."""
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", text).strip(" .")
    return name[:150] or "document"


class Exporter:
    """Writes one office into a folder (see the module's docstring)."""

    def __init__(self, office: Office, root: Path, report: Report):
        self.office, self.root, self.report = office, root, report
        self.tz = ZoneInfo(office.time_zone or "UTC")
        self.documents = root / "documents"
        self.cms_ids: dict[int, str] = dict(
            ExternalId.objects.for_office(office)
            .filter(system=CMS_SYSTEM)
            .order_by("-pk")
            .values_list("person_id", "value")
        )  # the oldest id of a person wins: dict() keeps the last value given
        self.codes: dict[int, tuple[str, str]] = {}  # tag id -> (code type, code)
        self.used_tags: set[int] = set()
        self.case_ids: dict[int, str] = {}

    # ------------------------------------------------------------ ids

    def constituent_id(self, person_id: int) -> str:
        return self.cms_ids.get(person_id) or f"CD{person_id}"

    def archived(self, record_type: str, objects: Iterable[Model]) -> dict[int, dict]:
        """The newest record of the type each object came from: object id -> its fields."""
        objects = list(objects)
        if not objects:
            return {}
        rows = (
            StagedRecord.objects.filter(
                office=self.office,
                record_type=record_type,
                object_type=objects[0]._meta.label_lower,
                object_id__in=[obj.pk for obj in objects],
                brought_in_at__isnull=False,
            )
            .order_by("pk")
            .values_list("object_id", "fields")
        )
        return dict(rows)

    def code_of(self, tag: Tag) -> tuple[str, str]:
        """The (code type, code) a tag is written with: its CMS code, else TAG T<id>."""
        if tag.pk not in self.codes:
            fields = (
                StagedRecord.objects.filter(
                    office=self.office,
                    record_type="8A",
                    object_type="tags.tag",
                    object_id=tag.pk,
                    brought_in_at__isnull=False,
                )
                .order_by("pk")
                .values_list("fields", flat=True)
                .first()
            )
            if fields:
                self.codes[tag.pk] = (str(fields.get("Code Type", "")), str(fields.get("Code")))
            else:
                self.codes[tag.pk] = (NATIVE_CODE_TYPE, f"T{tag.pk}")
        self.used_tags.add(tag.pk)
        return self.codes[tag.pk]

    def day(self, moment: dt.datetime | dt.date | None) -> str:
        if isinstance(moment, dt.datetime):
            return format_date(timezone.localtime(moment, self.tz).date())
        return format_date(moment)

    def write_document(self, relative: str, source: Callable[[], Any]) -> str:
        """Copy a file to documents/<relative>; returns the Windows-style path records name."""
        target = self.documents.joinpath(*relative.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        with source() as handle, target.open("wb") as out:
            shutil.copyfileobj(handle, out)
        self.report.documents["written"] += 1
        return str(PureWindowsPath(*relative.split("/")))

    # ------------------------------------------------------------ the files

    def run(self, progress: Callable[[int, int], None] | None = None) -> None:
        self.documents.mkdir(parents=True, exist_ok=True)
        writers: dict[str, Callable[[], Iterator[dict]]] = {
            "1A": self.people, "1B": self.addresses, "1C": self.person_codes,
            "1D": self.person_texts, "1E": self.contacts, "2A": self.positions_2a,
            "2B": self.positions_2b, "3A": self.cases, "3B": self.case_codes,
            "3D": self.case_texts, "3E": self.case_parties, "4A": self.actions,
            "4C": self.action_documents, "4D": self.action_texts, "5A": self.households,
            "8A": self.code_table, "8C": self.letters,
        }  # fmt: skip
        types = list(RECORD_TYPES)  # 1A ... 8E: 8A last but one, after every use of a tag
        for done, record_type in enumerate(types, start=1):
            path = self.root / RECORD_TYPES[record_type].filename
            with path.open("w", encoding="utf-8", newline="\n") as out:
                written = 0
                if record_type in writers:
                    for fields in writers[record_type]():
                        written += self._write(out, record_type, fields)
                written += self.staged(out, record_type)
            self.report.count(record_type, "written", written)
            if progress:
                progress(done, len(types))

    def _write(self, out: TextIO, record_type: str, fields: dict) -> int:
        out.write(format_line(record_type, fields) + "\n")
        return 1

    def staged(self, out: TextIO, record_type: str) -> int:
        """The staged records of the type, as they came (and the files they name)."""
        written = 0
        rows = StagedRecord.objects.filter(
            office=self.office, record_type=record_type, brought_in_at__isnull=True
        )
        for chunk in chunked(rows):
            for row in chunk:
                written += self._write(out, record_type, row.fields)
                if row.document:
                    parts = document_parts(_document_named(row))
                    if parts is None:
                        continue
                    relative = document_display(parts).split("/", 1)[1]
                    try:
                        self.write_document(relative, lambda row=row: row.document.open("rb"))
                    except OSError:
                        self.report.note(f"The file of {row.record_type} record {row.key} is "
                                         "missing from storage: left out.")  # fmt: skip
        return written

    # ------------------------------------------------------------ 1A-1E people

    def people(self) -> Iterator[dict]:
        for people in chunked(Person.objects.for_office(self.office)):
            archived = self.archived("1A", people)
            for person in people:
                yield overlay(
                    archived.get(person.pk, {}),
                    {
                        "Constituent ID": self.constituent_id(person.pk),
                        "Prefix": person.prefix,
                        "First Name": person.first_name,
                        "Middle Name": person.middle_name,
                        "Last Name": person.last_name,
                        "Suffix": person.suffix,
                        "Salutation": person.salutation,
                        "Date of Birth": format_date(person.birth_date),
                        "No Mail Flag": format_flag(person.do_not_mail),
                        "Deceased Flag": format_flag(person.is_deceased),
                    },
                )

    def addresses(self) -> Iterator[dict]:
        rows = Address.objects.for_office(self.office).select_related("person")
        for addresses in chunked(rows):
            archived = self.archived("1B", addresses)
            firsts = set(
                Address.objects.filter(person__in={a.person_id for a in addresses})
                .values("person")
                .annotate(first=Min("pk"))
                .values_list("first", flat=True)
            )
            for address in addresses:
                base = archived.get(address.pk, {})
                primary = format_flag(address.is_primary)
                if base and address.is_primary and address.pk in firsts:
                    # A person's first address is primary unless another one is: a blank flag
                    # that came with it means the same, and is written back as it came.
                    primary = str(base.get("Primary Flag", ""))
                fields = overlay(
                    base,
                    {
                        "Constituent ID": self.constituent_id(address.person_id),
                        "Address ID": str(base.get("Address ID") or f"A{address.pk}"),
                        "Address Type": ADDRESS_TYPES.get(address.kind, "OT"),
                        "Primary Flag": primary,
                        "Address line 1": address.line1,
                        "City": address.city,
                        "State": address.region,
                        "Zip Code": address.postcode,
                        "Country": "USA" if address.country == "US" else address.country,
                        "No Mail Flag": format_flag(address.person.do_not_mail),
                    },
                )
                fields.setdefault("Default Address Flag", format_flag(address.is_primary))
                more = [str(base.get(f"Address line {n}", "")).strip() for n in (2, 3, 4)]
                if ", ".join(line for line in more if line) != address.line2:
                    fields.update({"Address line 2": address.line2, "Address line 3": "",
                                   "Address line 4": ""})  # fmt: skip
                yield fields

    def person_codes(self) -> Iterator[dict]:
        links = PersonTag.objects.filter(office=self.office).select_related("tag")
        for chunk in chunked(links):
            for link in chunk:
                code_type, code = self.code_of(link.tag)
                yield {
                    "Constituent ID": self.constituent_id(link.person_id),
                    "Constituent Code Type": code_type,
                    "Constituent Code": code,
                }

    def person_texts(self) -> Iterator[dict]:
        """Timeline entries that belong to no other record (a case's are its case's)."""
        entries = (
            Interaction.objects.for_office(self.office)
            .exclude(kind=InteractionKind.CASE)
            .filter(source_type="")
        )
        numbers: dict[int, int] = {}
        for chunk in chunked(entries):
            archived = self.archived("1D", chunk)
            for entry in chunk:
                base = archived.get(entry.pk, {})
                text_type = entry.kind.upper()
                if entry.subject:
                    text_type = f"{text_type}: {entry.subject}"
                number = base.get("1D Sequence Number") or ""
                if not number:
                    numbers[entry.person_id] = numbers.get(entry.person_id, 0) + 1
                    number = f"N{numbers[entry.person_id]}"
                yield overlay(
                    base,
                    {
                        "Constituent ID": self.constituent_id(entry.person_id),
                        "1D Sequence Number": str(number),
                        "Constituent Text Type": text_type,
                        "Constituent Text": entry.notes,
                    },
                )

    def contacts(self) -> Iterator[dict]:
        for emails in chunked(EmailAddress.objects.for_office(self.office)):
            for email in emails:
                yield {
                    "Constituent ID": self.constituent_id(email.person_id),
                    "Constituent Phone or email Type": EMAIL_TYPES.get(email.kind, "EMAIL"),
                    "Phone Number Email or URL": email.email,
                }
        for phones in chunked(Phone.objects.for_office(self.office)):
            for phone in phones:
                number = f"{phone.number} x{phone.extension}" if phone.extension else phone.number
                yield {
                    "Constituent ID": self.constituent_id(phone.person_id),
                    "Constituent Phone or email Type": PHONE_TYPES.get(phone.kind, "OTHER"),
                    "Phone Number Email or URL": number,
                }

    # ------------------------------------------------------------ 2A-2B positions

    def _native_positions(self) -> QuerySet:
        """Positions on an issue that did not come from a staged 2B record (which is written
        back as it came)."""
        from_cms = StagedRecord.objects.filter(
            office=self.office, record_type="2B", object_type="constituents.position"
        ).values("object_id")
        return (
            Position.objects.for_office(self.office)
            .filter(tag__isnull=False)
            .exclude(pk__in=from_cms)
            .select_related("tag")
        )

    def positions_2a(self) -> Iterator[dict]:
        """A position noted in CivicDesk, as the correspondence item it came with."""
        left_out = Position.objects.for_office(self.office).filter(tag__isnull=True).count()
        if left_out:
            self.report.note(
                f"{left_out} position{'s' if left_out != 1 else ''} on bills (without an issue "
                "tag) left out: the format has codes, not bill numbers."
            )
        for chunk in chunked(self._native_positions()):
            for position in chunk:
                yield {
                    "Constituent ID": self.constituent_id(position.person_id),
                    "Correspondence ID": f"P{position.pk}",
                    "Correspondence Type": "POSITION",
                    "Date In": format_date(position.noted_on),
                    "Update Date": format_date(position.noted_on),
                }

    def positions_2b(self) -> Iterator[dict]:
        for chunk in chunked(self._native_positions()):
            for position in chunk:
                _code_type, code = self.code_of(position.tag)
                yield {
                    "Constituent ID": self.constituent_id(position.person_id),
                    "Correspondence ID": f"P{position.pk}",
                    "Correspondence Code": code,
                    "Position": STANCE_CODES[position.stance],
                }

    # ------------------------------------------------------------ 3A-3E cases

    def _cases(self) -> QuerySet:
        return Case.objects.for_office(self.office).select_related("assignee__user", "agency")

    def case_id(self, case: Case, archived: dict | None = None) -> str:
        if case.pk not in self.case_ids:
            if archived is None:
                archived = self.archived("3A", [case]).get(case.pk, {})
            self.case_ids[case.pk] = str(archived.get("Casework ID") or case.reference)
        return self.case_ids[case.pk]

    def cases(self) -> Iterator[dict]:
        for cases in chunked(self._cases()):
            archived = self.archived("3A", cases)
            marks = {
                action.case_id: action.details
                for action in CaseAction.objects.filter(
                    case__in=cases, details__interchange=IMPORTED_MARK
                )
            }
            for case in cases:
                base = archived.get(case.pk, {})
                staff = ""
                if case.assignee is not None:
                    staff = case.assignee.user.full_name or case.assignee.user.email
                staff = staff or marks.get(case.pk, {}).get("cms_staff", "")
                live = {
                    "Constituent ID": self.constituent_id(case.primary_person_id),
                    "Casework ID": self.case_id(case, base),
                    "Staff": staff,
                    "Start Date": self.day(case.opened_at),
                    "End Date": self.day(case.closed_at),
                    "Tickler date": format_date(case.due_on),
                    "Update Date": self.day(case.updated_at),
                    "Casework Description": case.subject,
                    "Casework Status": STATUS_TEXT[CaseStatus(case.status)],
                }
                if case.agency is not None or not base.get("Agency ID"):
                    live["Agency ID"] = case.agency.name if case.agency else ""
                yield overlay(base, live)

    def _case_rows(self, model: type[Model]) -> Iterator[list]:
        rows = model.objects.filter(office=self.office).select_related("case")
        yield from chunked(rows)

    def case_codes(self) -> Iterator[dict]:
        for chunk in self._case_rows(CaseTag):
            tags = {tag.pk: tag for tag in Tag.objects.filter(pk__in={c.tag_id for c in chunk})}
            for link in chunk:
                _code_type, code = self.code_of(tags[link.tag_id])
                yield {
                    "Constituent ID": self.constituent_id(link.case.primary_person_id),
                    "Casework ID": self.case_id(link.case),
                    "Casework Code": code,
                }

    def case_texts(self) -> Iterator[dict]:
        """The case's description and resolution, a line a record (a value has no newline)."""
        for cases in chunked(self._cases()):
            for case in cases:
                texts = [("DESCRIPTION", case.description), ("RESOLUTION", case.resolution)]
                for number, (text_type, text) in enumerate(_by_line(texts), start=1):
                    yield {
                        "Constituent ID": self.constituent_id(case.primary_person_id),
                        "Casework ID": self.case_id(case),
                        "3D Sequence Number": str(number),
                        "Text Type": text_type,
                        "Casework Text": text,
                    }

    def case_parties(self) -> Iterator[dict]:
        parties = CaseParty.objects.filter(office=self.office).exclude(role=PartyRole.PRIMARY)
        for chunk in chunked(parties.select_related("case")):
            for party in chunk:
                yield {
                    "Constituent ID": self.constituent_id(party.case.primary_person_id),
                    "Casework ID": self.case_id(party.case),
                    "Party ID": self.constituent_id(party.person_id),
                }

    # ------------------------------------------------------------ 4A-4D case actions

    def _actions_by_case(self) -> Iterator[tuple[Case, list[CaseAction]]]:
        """Each case with its history in order; an action that came from a 4A record keeps its
        place (its Transaction ID), the others follow. The "imported" entry is left out."""
        for cases in chunked(self._cases()):
            actions: dict[int, list[CaseAction]] = {}
            rows = (
                CaseAction.objects.filter(case__in=cases)
                .exclude(imported_mark())
                .select_related("by__user", "assignee__user")
                .order_by("pk")
            )
            for action in rows:
                actions.setdefault(action.case_id, []).append(action)
            for case in cases:
                mine = actions.get(case.pk, [])

                def place(action: CaseAction) -> tuple:
                    number = str((action.details or {}).get("cms_transaction", ""))
                    return (
                        (0, int(number), action.pk)
                        if (number.isascii() and number.isdigit())
                        else (1, 0, action.pk)
                    )

                yield case, sorted(mine, key=place)

    def actions(self) -> Iterator[dict]:
        self.transactions: dict[int, int] = {}  # action id -> its Transaction ID
        for case, actions in self._actions_by_case():
            for number, action in enumerate(actions, start=1):
                self.transactions[action.pk] = number
                member = action.assignee if action.is_planned else action.by
                staff = (member.user.full_name or member.user.email) if member else ""
                staff = staff or str((action.details or {}).get("cms_staff", ""))
                yield {
                    "Constituent ID": self.constituent_id(case.primary_person_id),
                    "Casework ID": self.case_id(case),
                    "Transaction Type": action.kind.upper(),
                    "Staff": staff,
                    "Start Date": self.day(action.occurred_at or action.created_at),
                    "End Date": self.day(action.occurred_at)
                    if action.state == ActionState.DONE
                    else "",
                    "Tickler date": format_date(action.due_on),
                    "Update Date": self.day(action.updated_at),
                    "Response Type": "CANCELLED" if action.state == ActionState.CANCELLED else "",
                }

    def action_texts(self) -> Iterator[dict]:
        for case, actions in self._actions_by_case():
            for number, action in enumerate(actions, start=1):
                texts = [("SUBJECT", action.subject), ("BODY", action.body)]
                for sequence, (text_type, text) in enumerate(_by_line(texts), start=1):
                    yield {
                        "Constituent ID": self.constituent_id(case.primary_person_id),
                        "Casework ID": self.case_id(case),
                        "Transaction ID": str(number),
                        "4D Sequence Number": str(sequence),
                        "Text Type": text_type,
                        "Transaction Text": text,
                    }

    def action_documents(self) -> Iterator[dict]:
        """Documents on cases, in documents/casework/<case>/, with the transaction that added
        them (when its entry is still there)."""
        added = {
            (action.details or {}).get("document_id"): self.transactions.get(action.pk)
            for action in CaseAction.objects.filter(office=self.office, details__has_key="document_id")
        }  # fmt: skip
        numbers: Counter = Counter()
        for chunk in self._case_rows(CaseDocument):
            for document in chunk:
                case_id = self.case_id(document.case)
                numbers[case_id] += 1
                relative = f"casework/{safe_name(case_id)}/{document.pk}_{safe_name(document.name)}"
                try:
                    location = self.write_document(
                        relative, lambda document=document: document.file.open("rb")
                    )
                except OSError:
                    self.report.note(f"The file of document {document.name} (case {case_id}) "
                                     "is missing from storage: left out.")  # fmt: skip
                    continue
                yield {
                    "Constituent ID": self.constituent_id(document.case.primary_person_id),
                    "Casework ID": case_id,
                    "Transaction ID": str(added.get(document.pk) or ""),
                    "4C Sequence Number": str(numbers[case_id]),
                    "Document Type": (document.name.rpartition(".")[2] or "FILE").upper(),
                    "Casework Transaction Document Name": document.name,
                    "File Location": location,
                }

    # ------------------------------------------------------------ 5A households

    def households(self) -> Iterator[dict]:
        households = Household.objects.for_office(self.office)
        empty = 0
        for chunk in chunked(households):
            archived_rows = StagedRecord.objects.filter(
                office=self.office,
                record_type="5A",
                object_type="constituents.household",
                object_id__in=[h.pk for h in chunk],
                brought_in_at__isnull=False,
            ).values_list("object_id", "fields")
            archived: dict[tuple[int, str], dict] = {}
            for household_id, fields in archived_rows:
                archived[(household_id, str(fields.get("Constituent ID")))] = fields
            members: dict[int, list[int]] = {}
            for person_id, household_id in (
                Person.objects.filter(household__in=chunk)
                .order_by("pk")
                .values_list("pk", "household_id")
            ):
                members.setdefault(household_id, []).append(person_id)
            for household in chunk:
                mine = members.get(household.pk, [])
                if not mine:
                    empty += 1
                    continue
                ids = [fields.get("Household ID") for (h, _c), fields in archived.items()
                       if h == household.pk]  # fmt: skip
                household_id = str(ids[0]) if ids else f"H{household.pk}"
                for place, person_id in enumerate(mine):
                    constituent_id = self.constituent_id(person_id)
                    base = archived.get((household.pk, constituent_id), {})
                    yield overlay(
                        base,
                        {
                            "Household ID": household_id,
                            "Household Salutation": household.joint_salutation or household.name,
                            "Constituent ID": constituent_id,
                            "Primary Contact Flag": str(base.get("Primary Contact Flag", ""))
                            if base
                            else format_flag(place == 0),
                        },
                    )
        if empty:
            self.report.note(f"{empty} household{'s' if empty != 1 else ''} without members "
                             "left out: 5A records are the members of a household.")  # fmt: skip

    # ------------------------------------------------------------ 8A codes, 8C letters

    def code_table(self) -> Iterator[dict]:
        """Every code the office's CMS table brought in (its tag still there), and a TAG code
        for every other tag the export used."""
        from_cms = StagedRecord.objects.filter(
            office=self.office, record_type="8A", object_type="tags.tag",
            brought_in_at__isnull=False,
        ).order_by("pk")  # fmt: skip
        written: set[tuple[str, str]] = set()
        for chunk in chunked(from_cms):
            tags = {t.pk: t for t in Tag.objects.filter(pk__in={row.object_id for row in chunk})}
            for row in chunk:
                tag = tags.get(row.object_id)
                code = (str(row.fields.get("Code Type", "")), str(row.fields.get("Code", "")))
                if tag is None or code in written:
                    continue
                written.add(code)
                yield overlay(row.fields, {"Code Description": tag.name})
        for tag in Tag.objects.filter(pk__in=sorted(self.used_tags)).order_by("pk"):
            code_type, code = self.code_of(tag)
            if (code_type, code) in written:
                continue
            written.add((code_type, code))
            yield {
                "Code Type": code_type,
                "Code": code,
                "Code Description": tag.name,
                "Inactive Flag": format_flag(tag.is_deprecated),
            }

    def letters(self) -> Iterator[dict]:
        """The letter library; each letter's text in documents/forms/<code>.txt, its first line
        "Subject: ..." (the format has no field for a subject)."""
        templates = list(LetterTemplate.objects.for_office(self.office).order_by("pk"))
        archived = self.archived("8C", templates)
        for template in templates:
            base = archived.get(template.pk, {})
            code = str(base.get("Letter Code") or f"L{template.pk}")
            relative = f"forms/{safe_name(code)}.txt"
            target = self.documents.joinpath(*relative.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f"Subject: {template.subject}\n\n{template.body}\n", encoding="utf-8")
            self.report.documents["written"] += 1
            fields = overlay(
                base,
                {
                    "Letter Code": code,
                    "Letter Description": template.name,
                    "Creation Date": self.day(template.created_at),
                    "Revision Date": self.day(template.updated_at),
                    "Archive Flag": format_flag(not template.is_active),
                },
            )
            fields["Document Name"] = str(PureWindowsPath(*relative.split("/")))
            yield fields


def _by_line(texts: list[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """(text type, line) for each line of each text that is not blank."""
    for text_type, text in texts:
        if text.strip():
            for line in text.strip().split("\n"):
                yield text_type, line


def _document_named(row: StagedRecord) -> str:
    from .layout import DOCUMENT_FIELDS

    for name in DOCUMENT_FIELDS.get(row.record_type, ()):
        if row.fields.get(name):
            return str(row.fields[name])
    return row.document.name


def export_office(
    office: Office, root: Path, *, progress: Callable[[int, int], None] | None = None
) -> Report:
    """Write the office into `root` (an empty folder). Returns the report."""
    report = Report(kind="export")
    Exporter(office, root, report).run(progress)
    return report
