"""What the pair page shows: the two people side by side, field by field, which of their values
a merge may choose between, and the engine's explanation as bars."""

from dataclasses import dataclass, field
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicdesk.constituents.models import Person
from civicdesk.constituents.validation import format_phone

from .services.merging import CHOOSABLE_FIELDS, FLAG_FIELDS

# The engine's field names, as people read them.
FIELD_LABELS = {
    "prior": gettext_lazy("Any two people"),
    "first_name": gettext_lazy("First name"),
    "middle_name": gettext_lazy("Middle name"),
    "last_name": gettext_lazy("Last name"),
    "birth_date": gettext_lazy("Date of birth"),
    "gender": gettext_lazy("Gender"),
    "email": gettext_lazy("Email"),
    "phone": gettext_lazy("Phone"),
    "address": gettext_lazy("Street address"),
    "city": gettext_lazy("City"),
    "postcode": gettext_lazy("Postcode"),
    "external_id": gettext_lazy("External id"),
}


@dataclass
class Row:
    """One line of the side-by-side table."""

    name: str  # a Person field, or "emails", "phones"... for lists
    label: str
    a: Any
    b: Any
    is_choosable: bool = False  # a merge may take either value
    default: str = "a"  # the side whose value a merge keeps unless told otherwise
    selected: str = ""  # the side chosen in the merge form

    @property
    def differs(self) -> bool:
        return self.a != self.b


@dataclass
class Bar:
    """One field's weight in the probability: green when the two agree, red when they differ."""

    field: str
    label: str
    level: str
    weight: float
    percent: int  # of the widest bar

    @property
    def signed(self) -> str:
        return f"{self.weight:+.1f}"

    @property
    def tone(self) -> str:
        if self.weight > 0.05:
            return "agree"
        if self.weight < -0.05:
            return "disagree"
        return "neutral"


@dataclass
class Comparison:
    rows: list[Row]
    bars: list[Bar]
    prior: Bar | None
    lists: list[Row] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # fields one of the two has no value for

    @property
    def choices(self) -> list[Row]:
        return [row for row in self.rows if row.is_choosable and row.differs]


def _shown(person: Person, name: str) -> Any:
    value = getattr(person, name)
    if name == "birth_date" and value:
        return date_format(value, "DATE_FORMAT")
    if name == "household":
        return value.name if value else ""
    if name in FLAG_FIELDS:
        return _("Yes") if value else ""
    if name == "custom":
        return "; ".join(
            f"{k}: {v}" for k, v in sorted((value or {}).items()) if v not in ("", None)
        )
    return "" if value is None else value


def _is_blank(value: Any) -> bool:
    return value in ("", None)


def _rows(a: Person, b: Person, hidden: set[str]) -> list[Row]:
    names = [
        "prefix", "first_name", "middle_name", "last_name", "suffix", "preferred_name",
        "salutation", "birth_date", "birth_year", "gender", "pronouns", "language", "household",
        *FLAG_FIELDS, "concern_reason", "custom",
    ]  # fmt: skip
    rows = []
    for name in names:
        if name in hidden:
            continue
        label = (
            _("Office fields")
            if name == "custom"
            else str(Person._meta.get_field(name).verbose_name)
        )
        va, vb = _shown(a, name), _shown(b, name)
        if _is_blank(va) and _is_blank(vb):
            continue
        default = "b" if _is_blank(va) and not _is_blank(vb) else "a"
        rows.append(
            Row(name, label[:1].upper() + label[1:], va, vb, name in CHOOSABLE_FIELDS, default)
        )
    return rows


def _lists(a: Person, b: Person) -> list[Row]:
    def emails(p: Person) -> list[str]:
        return [e.email for e in p.emails.all()]

    def phones(p: Person) -> list[str]:
        return [format_phone(x.number) for x in p.phones.all()]

    def addresses(p: Person) -> list[str]:
        return [str(x) for x in p.addresses.all()]

    def ids(p: Person) -> list[str]:
        return [str(x) for x in p.external_ids.all()]

    def tags(p: Person) -> list[str]:
        return [link.tag.path for link in p.tag_links.all()]

    found = []
    for name, label, values in (
        ("emails", _("Emails"), emails), ("phones", _("Phones"), phones),
        ("addresses", _("Addresses"), addresses), ("external_ids", _("External ids"), ids),
        ("tags", _("Tags"), tags),
    ):  # fmt: skip
        va, vb = values(a), values(b)
        if va or vb:
            found.append(Row(name, label, va, vb))
    return found


def _label(field_name: str) -> str:
    return str(FIELD_LABELS.get(field_name, field_name.replace("_", " ").capitalize()))


def _bars(explanation: list[dict]) -> tuple[list[Bar], Bar | None]:
    scores = [s for s in explanation if s.get("field") != "prior" and s.get("level") != "missing"]
    widest = max((abs(float(s.get("weight", 0))) for s in scores), default=0) or 1
    bars = [
        Bar(
            s["field"],
            _label(s["field"]),
            s.get("level", ""),
            float(s.get("weight", 0)),
            round(100 * abs(float(s.get("weight", 0))) / widest),
        )
        for s in scores
    ]
    prior = next((s for s in explanation if s.get("field") == "prior"), None)
    prior_bar = (
        Bar("prior", str(FIELD_LABELS["prior"]), prior.get("level", ""), float(prior["weight"]), 0)
        if prior
        else None
    )
    return bars, prior_bar


def compare_people(
    a: Person, b: Person, explanation: list[dict], *, hidden: set[str] | frozenset = frozenset()
) -> Comparison:
    """`a` and `b` need their emails, phones, addresses, external ids and tag links
    prefetched (queries.pair_people). Fields in `hidden` are left out (the merge keeps their
    default: the survivor's value, the other's where it has none)."""
    bars, prior = _bars(explanation)
    missing = [_label(s["field"]) for s in explanation if s.get("level") == "missing"]
    return Comparison(
        rows=_rows(a, b, set(hidden)), bars=bars, prior=prior, lists=_lists(a, b), missing=missing
    )
