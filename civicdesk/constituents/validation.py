"""What people type, made clean: contact points as given to the services, email and phone
normalization, and the office's custom fields. Bad input raises Django's ValidationError
with a sentence a person can act on ("“555-12” is not a valid phone number")."""

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from .models import ContactKind, CustomField, CustomFieldType

# ValidationError keys: Person field names; "custom_<key>" for a custom field (the form field of
# the same name); NON_FIELD_ERRORS ("__all__") for contact points, whose messages name the value.
CUSTOM_PREFIX = "custom_"


@dataclass
class EmailIn:
    email: str
    kind: str = ContactKind.HOME
    is_primary: bool = False


@dataclass
class PhoneIn:
    number: str
    kind: str = ContactKind.MOBILE
    is_primary: bool = False
    extension: str = ""


@dataclass
class AddressIn:
    line1: str
    line2: str = ""
    city: str = ""
    region: str = ""
    postcode: str = ""
    country: str = "US"
    kind: str = ContactKind.HOME
    is_primary: bool = False
    latitude: float | None = None
    longitude: float | None = None


# ---------------------------------------------------------------- email and phone


def normalize_email(text: str) -> str:
    """The address trimmed and in lower case; ValidationError if it is not an email address."""
    email = (text or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(
            _("“%(value)s” is not a valid email address."),
            code="invalid_email",
            params={"value": text.strip()},
        ) from None
    return email


def normalize_phone(text: str, *, region: str = "US") -> str:
    """The number in E.164 (+12025550147); ValidationError if it cannot be a real number.
    A number without a country code is read as one of `region` (ISO 3166 code)."""
    try:
        parsed = phonenumbers.parse((text or "").strip(), region)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            _("“%(value)s” is not a valid phone number."),
            code="invalid_phone",
            params={"value": (text or "").strip()},
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """A stored number as people write it: national format at home, international abroad."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if parsed.country_code == 1:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def check_kind(kind: str, field: str) -> str:
    """`field` names the contact point in the message: "email", "phone", "address"."""
    if kind not in ContactKind.values:
        raise ValidationError(
            _("“%(kind)s” is not a type of %(field)s; use one of %(kinds)s.")
            % {"kind": kind, "field": field, "kinds": ", ".join(ContactKind.values)}
        )
    return kind


def check_one_primary(items: list, noun: str) -> None:
    """When any are given, exactly one is primary: the first if none is marked."""
    if not items:
        return
    primaries = [item for item in items if item.is_primary]
    if len(primaries) > 1:
        raise ValidationError(_("Only one %(noun)s can be primary.") % {"noun": noun})
    if not primaries:
        items[0].is_primary = True


# ---------------------------------------------------------------- text for search and sort


def fold(text: str) -> str:
    """Lower case without accents: "Tomás Ñúñez" -> "tomas nunez"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


WORD = re.compile(r"[a-z0-9]+")
# USPS street suffixes and directionals, so "1420 U Street Northwest" finds "1420 U St NW".
STREET_WORDS = {
    "street": "st", "avenue": "ave", "av": "ave", "road": "rd", "drive": "dr", "place": "pl",
    "court": "ct", "terrace": "ter", "boulevard": "blvd", "lane": "ln", "circle": "cir",
    "parkway": "pkwy", "highway": "hwy", "square": "sq", "apartment": "apt", "suite": "ste",
    "northwest": "nw", "northeast": "ne", "southwest": "sw", "southeast": "se",
    "north": "n", "south": "s", "east": "e", "west": "w",
}  # fmt: skip


def words(text: str) -> list[str]:
    """Folded alphanumeric words of a text."""
    return WORD.findall(fold(text))


def address_words(text: str) -> list[str]:
    return [STREET_WORDS.get(word, word) for word in words(text)]


# ---------------------------------------------------------------- custom fields

YES = {"yes", "y", "true", "1", "on"}
NO = {"no", "n", "false", "0", "off"}


def clean_custom_value(definition: CustomField, value: Any) -> Any:
    """One custom field's value as stored in Person.custom (JSON), or ValidationError."""
    label, kind = definition.label, definition.field_type

    def refuse(message: str, **params: Any) -> ValidationError:
        return ValidationError(
            {CUSTOM_PREFIX + definition.key: f"{label}: " + message % {"value": value, **params}}
        )

    if kind == CustomFieldType.TEXT:
        text = str(value).strip()
        if len(text) > 1000:
            raise refuse(_("keep it under 1,000 characters."))
        return text
    if kind == CustomFieldType.NUMBER:
        if isinstance(value, bool):
            raise refuse(_("“%(value)s” is not a number."))
        try:
            number = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation:
            raise refuse(_("“%(value)s” is not a number.")) from None
        if not number.is_finite():
            raise refuse(_("“%(value)s” is not a number."))
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == CustomFieldType.DATE:
        if isinstance(value, dt.date):
            return value.isoformat()
        try:
            return dt.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise refuse(_("“%(value)s” is not a date; write it as YYYY-MM-DD.")) from None
    if kind == CustomFieldType.YES_NO:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in YES | NO:
            return text in YES
        raise refuse(_("answer yes or no, not “%(value)s”."))
    choices = [str(choice) for choice in definition.choices]
    if kind == CustomFieldType.CHOICE:
        if str(value) not in choices:
            raise refuse(_("“%(value)s” is not one of %(choices)s."), choices=", ".join(choices))
        return str(value)
    if kind == CustomFieldType.MULTI_CHOICE:
        picked = [value] if isinstance(value, str) else list(value)
        unknown = [str(item) for item in picked if str(item) not in choices]
        if unknown:
            raise refuse(
                _("“%(unknown)s” is not one of %(choices)s."),
                unknown=", ".join(unknown),
                choices=", ".join(choices),
            )
        return [choice for choice in choices if choice in {str(item) for item in picked}]
    raise ValueError(f"Unknown custom field type {kind!r}.")


def clean_custom(
    definitions: Iterable[CustomField], given: dict[str, Any], *, current: dict[str, Any]
) -> dict[str, Any]:
    """The person's custom values: `given` replaces the values of the office's active fields
    (a None or empty value leaves a field empty); values of fields since deactivated are kept
    from `current`. Every problem is reported at once, keyed "custom_<key>" (the form's field)."""
    by_key = {definition.key: definition for definition in definitions}
    active = {key for key, definition in by_key.items() if definition.is_active}
    result = {key: value for key, value in current.items() if key not in active}
    errors: dict[str, list] = {}
    for key, value in given.items():
        if key not in active:
            errors[CUSTOM_PREFIX + key] = [
                _("“%(key)s” is not a custom field of this office.") % {"key": key}
            ]
            continue
        if value is None or value == "" or value == []:
            continue
        try:
            result[key] = clean_custom_value(by_key[key], value)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return result
