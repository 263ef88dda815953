"""From the columns of a file to the fields of a person: the targets a column can map to, the
Mapping an import uses (presets for state voter files, guessed ones, saved ones), and the
RowMapper that turns one row's cells into a normalized PersonRecord and the row's problems.

Normalization: blank cells are empty; names and addresses in ALL CAPS become Title Case
(McDonald, O'Brien, Smith-Jones, 1st, NE); dates MM/DD/YYYY, M/D/YY, YYYYMMDD, YYYY-MM-DD;
emails lower case and checked; phones in E.164 (a phone that cannot be one is dropped with a
warning, not a failure: a voter is worth more than a bad number); US ZIP codes 12345-6789.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any

import phonenumbers

from civicdesk.tabular.presets import PRESET_DATA, SYNONYMS
from civicdesk.tabular.reading import FileShape, normalize_header

__all__ = [
    "CUSTOM_PREFIX",
    "DISTRICT_PREFIX",
    "PRESETS",
    "TARGETS",
    "Mapping",
    "MappingError",
    "PersonRecord",
    "Preset",
    "RowMapper",
    "guess_mapping",
    "is_target",
    "load_mapping",
    "parse_date",
    "split_full_name",
    "target_label",
]

DISTRICT_PREFIX = "district:"
CUSTOM_PREFIX = "custom:"

TARGETS: dict[str, str] = {
    "external_id": "External id (voter id)",
    "prefix": "Prefix (Mr., Dr.)",
    "first_name": "First name",
    "middle_name": "Middle name",
    "last_name": "Last name",
    "suffix": "Suffix (Jr., III)",
    "full_name": "Full name (split into first, middle, last)",
    "birth_date": "Date of birth",
    "birth_year": "Birth year",
    "gender": "Gender",
    "language": "Preferred language",
    "email": "Email",
    "phone": "Phone",
    "line1": "Street address",
    "line2": "Address line 2 (apartment, suite)",
    "city": "City",
    "region": "State",
    "postcode": "ZIP code",
    "country": "Country",
    "district:ward": "District: ward",
    "district:precinct": "District: precinct",
    "district:congressional": "District: congressional",
    "district:state_senate": "District: state senate",
    "district:state_house": "District: state house (assembly)",
    "district:county": "District: county",
    "district:municipality": "District: municipality",
    "district:county_commission": "District: county commission",
    "district:school": "District: school board",
    "custom:party": "Party",
    "custom:registration_date": "Registration date",
    "custom:voter_status": "Voter status",
}

# Longest values the Person, Address, contact and ExternalId models hold.
MAX_LENGTHS = {
    "external_id": 100, "prefix": 20, "first_name": 100, "middle_name": 100,
    "last_name": 100, "suffix": 20, "gender": 40, "language": 10, "email": 254,
    "line1": 200, "line2": 200, "city": 100, "region": 100, "postcode": 20,
}  # fmt: skip
MAX_DISTRICT_LENGTH = 200  # geo.District.name
MAX_CUSTOM_LENGTH = 1000
DATE_ORDERS = ("", "MDY", "YMD", "DMY")
_KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,49}")


class MappingError(ValueError):
    """A mapping that cannot be used: an unknown target, a malformed file; for people."""


def is_target(target: str) -> bool:
    """A known target, or "district:<layer slug>" / "custom:<key>" with a slug-like name."""
    if target in TARGETS:
        return True
    for prefix in (DISTRICT_PREFIX, CUSTOM_PREFIX):
        if target.startswith(prefix):
            return bool(_KEY.fullmatch(target[len(prefix) :]))
    return False


def target_label(target: str) -> str:
    if target in TARGETS:
        return TARGETS[target]
    if target.startswith(DISTRICT_PREFIX):
        return "District: " + target[len(DISTRICT_PREFIX) :].replace("_", " ")
    if target.startswith(CUSTOM_PREFIX):
        return "Custom field: " + target[len(CUSTOM_PREFIX) :].replace("_", " ")
    return target


# ---------------------------------------------------------------- Mapping and presets


@dataclass
class Mapping:
    """Which source columns feed each target. Several sources are joined with a space (house
    number + street name). `optional` names sources that may be absent from a file without
    failing its rows (a preset covering two versions of a layout)."""

    columns: dict[str, list[str]] = field(default_factory=dict)
    id_system: str = "import"  # ExternalId.system of the external_id target
    date_order: str = ""  # "" = detect per value; else "MDY" | "YMD" | "DMY"
    optional: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        data: dict[str, Any] = {
            "columns": {target: list(sources) for target, sources in self.columns.items()},
            "id_system": self.id_system,
            "date_order": self.date_order,
        }
        if self.optional:
            data["optional"] = list(self.optional)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Mapping:
        """A Mapping from to_dict()'s shape; MappingError says what is wrong."""
        if not isinstance(data, dict):
            raise MappingError("A mapping must be an object with a “columns” object.")
        raw = data.get("columns", {})
        if not isinstance(raw, dict):
            raise MappingError("“columns” must map each field to a list of column names.")
        columns: dict[str, list[str]] = {}
        for target, sources in raw.items():
            if not is_target(str(target)):
                raise MappingError(f"“{target}” is not a field people can be imported into.")
            if isinstance(sources, str):
                sources = [sources]
            if not isinstance(sources, list | tuple) or not all(
                isinstance(s, str) for s in sources
            ):
                raise MappingError(f"The columns of “{target}” must be a list of names.")
            cleaned = [s for s in sources if s.strip()]
            if cleaned:
                columns[str(target)] = cleaned
        id_system = str(data.get("id_system") or "import").strip()
        if len(id_system) > 50:
            raise MappingError("The id system name is longer than 50 characters.")
        date_order = str(data.get("date_order") or "").upper()
        if date_order not in DATE_ORDERS:
            raise MappingError(f"“{date_order}” is not a date order; use MDY, YMD or DMY.")
        optional = data.get("optional") or []
        if not isinstance(optional, list) or not all(isinstance(s, str) for s in optional):
            raise MappingError("“optional” must be a list of column names.")
        return cls(columns, id_system, date_order, list(optional))

    @property
    def sources(self) -> list[str]:
        """Every source column named, once, in order."""
        return list(dict.fromkeys(s for sources in self.columns.values() for s in sources))


@dataclass
class Preset:
    """A ready mapping for a known file layout (a state's voter file)."""

    key: str
    label: str
    description: str
    mapping: Mapping
    shape_hint: dict  # {"delimiter": "\t", "header": True, "columns": 38 (headerless only)}


def _build_presets() -> dict[str, Preset]:
    presets = {}
    for key, data in PRESET_DATA.items():
        mapping = Mapping(
            columns={t: list(s) for t, s in data["columns"].items()},
            id_system=data["id_system"],
            date_order=data["date_order"],
            optional=list(data.get("optional", [])),
        )
        hint = {"delimiter": data["delimiter"], "header": data["header"]}
        if "columns_count" in data:
            hint["columns"] = data["columns_count"]
        presets[key] = Preset(key, data["label"], data["description"], mapping, hint)
    presets["generic"] = Preset(
        "generic",
        "Generic (map the columns yourself)",
        "Any CSV, tab-delimited or XLSX file: columns are matched by common header names "
        "(First Name, ZIP, Email...) and can be changed before importing.",
        Mapping(),
        {},
    )
    return presets


PRESETS: dict[str, Preset] = _build_presets()


def load_mapping(name_or_path: str) -> Mapping:
    """A preset's mapping by key ("nc"), or a JSON file holding Mapping.to_dict()."""
    if name_or_path in PRESETS:
        return Mapping.from_dict(PRESETS[name_or_path].mapping.to_dict())
    path = Path(name_or_path)
    if not path.is_file():
        keys = ", ".join(PRESETS)
        raise MappingError(f"“{name_or_path}” is neither a preset ({keys}) nor a mapping file.")
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MappingError(f"The mapping file could not be read ({exc}).") from None
    return Mapping.from_dict(data)


@lru_cache(maxsize=1)
def known_header_names() -> frozenset[str]:
    """Normalized header names that mean something here: synonyms and presets' column names.
    reading.looks_like_header() counts them."""
    names = {n for names in SYNONYMS.values() for n in names}
    for preset in PRESETS.values():
        if preset.shape_hint.get("header"):
            names.update(normalize_header(s) for s in preset.mapping.sources)
    names.update(normalize_header(t) for t in TARGETS if ":" not in t)
    return frozenset(n for n in names if n)


def guess_mapping(shape: FileShape) -> Mapping:
    """The mapping that best fits a file: the preset whose header names match best (headered
    files) or whose column count and delimiter match (headerless); else one made from common
    header names ("ZIP" -> postcode). The result names only columns the file has."""
    if shape.has_header:
        by_norm = {}
        for name in shape.columns:
            by_norm.setdefault(normalize_header(name), name)
        best, best_score = None, 0.0
        for preset in PRESETS.values():
            if not preset.shape_hint.get("header"):
                continue
            required = [s for s in preset.mapping.sources if s not in preset.mapping.optional]
            if not required:
                continue
            found = sum(1 for s in required if normalize_header(s) in by_norm)
            score = found / len(required)
            if score > best_score:
                best, best_score = preset, score
        if best is not None and best_score >= 0.7:
            return _fit(best.mapping, by_norm, positional=False)
        return _from_synonyms(shape.columns)
    for preset in PRESETS.values():
        hint = preset.shape_hint
        same_width = hint.get("header") is False and hint.get("columns") == len(shape.columns)
        if same_width and (shape.format == "xlsx" or hint.get("delimiter") == shape.delimiter):
            return _fit(preset.mapping, set(shape.columns), positional=True)
    for preset in PRESETS.values():
        if preset.shape_hint.get("columns") == len(shape.columns):
            return _fit(preset.mapping, set(shape.columns), positional=True)
    return Mapping()


def _fit(mapping: Mapping, names: dict[str, str] | set[str], *, positional: bool) -> Mapping:
    """The mapping with its sources renamed to the file's spelling and absent ones dropped.
    `names`: normalized header -> the file's name; or the "Column N" names (positional)."""
    columns = {}
    for target, sources in mapping.columns.items():
        if positional:
            kept = [s for s in sources if s in names]
        else:
            assert isinstance(names, dict)
            kept = [names[n] for n in map(normalize_header, sources) if n in names]
        if kept:
            columns[target] = kept
    return Mapping(columns, mapping.id_system, mapping.date_order)


def _from_synonyms(columns: list[str]) -> Mapping:
    lookup = {name: target for target, names in SYNONYMS.items() for name in names}
    mapped: dict[str, list[str]] = {}
    for column in columns:
        target = lookup.get(normalize_header(column))
        if target and target not in mapped:
            mapped[target] = [column]
    if "full_name" in mapped and ("first_name" in mapped or "last_name" in mapped):
        del mapped["full_name"]  # "Name" beside "First name" is not a full name
    number = mapped.pop("house_number", None)
    if number and "line1" in mapped:
        mapped["line1"] = number + mapped["line1"]
    return Mapping(mapped)


# ---------------------------------------------------------------- PersonRecord


@dataclass(slots=True)
class PersonRecord:
    """One person as read from a row, normalized. `warnings` are values dropped or changed
    for people to see (a phone that cannot be one); they do not fail the row."""

    external_id: str = ""
    prefix: str = ""
    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    suffix: str = ""
    birth_date: date | None = None
    birth_year: int | None = None
    gender: str = ""
    language: str = ""
    email: str = ""  # lower case, checked
    phone: str = ""  # E.164, "+12025550123"
    line1: str = ""
    line2: str = ""
    city: str = ""
    region: str = ""
    postcode: str = ""
    country: str = ""  # ISO 3166 two letters, or ""
    districts: dict[str, str] = field(default_factory=dict)  # layer slug -> name or code
    custom: dict[str, str] = field(default_factory=dict)  # custom field key -> value
    warnings: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- value normalization

_CACHE_LIMIT = 200_000


def _cached(fn: Callable[[str], Any]) -> Callable[[str], Any]:
    """Memoize a one-string normalizer; names, cities and dates repeat across a voter file."""
    cache: dict[str, Any] = {}

    def wrapper(value: str) -> Any:
        try:
            return cache[value]
        except KeyError:
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            result = cache[value] = fn(value)
            return result

    wrapper.__wrapped__ = fn  # type: ignore[attr-defined]
    return wrapper


_MC = re.compile(r"\b(Mc)([a-z])")
_POSSESSIVE = re.compile(r"(?<=\w\w)'S\b")
_ROMAN = re.compile(r"\b(?:Ii|Iii|Iv|Vi|Vii|Viii|Ix)\b")


def _needs_case(value: str) -> bool:
    return value.isupper() or value.islower()


@_cached
def normalize_name(value: str) -> str:
    """ALL CAPS or all lower case -> Title Case (McDonald, O'Brien, Smith-Jones, III); mixed
    case is kept as written."""
    value = " ".join(value.split())
    if not _needs_case(value):
        return value
    title = value.title()
    if "Mc" in title:
        title = _MC.sub(lambda m: m.group(1) + m.group(2).upper(), title)
    if "'" in title:
        title = _POSSESSIVE.sub("'s", title)
    if "I" in title or "V" in title:
        title = _ROMAN.sub(lambda m: m.group(0).upper(), title)
    return title


_SUFFIXES = {"JR": "Jr.", "JR.": "Jr.", "SR": "Sr.", "SR.": "Sr.", "PHD": "PhD", "ESQ": "Esq."}


@_cached
def normalize_suffix(value: str) -> str:
    """JR -> Jr., SR -> Sr.; numerals and degrees (III, MD) stay in capitals."""
    value = " ".join(value.split())
    known = _SUFFIXES.get(value.upper())
    if known:
        return known
    if value.isupper() and len(value) <= 5:
        return value
    return normalize_name(value)


_ORDINAL = re.compile(r"\b(\d+)(St|Nd|Rd|Th)\b")
_ADDRESS_UPPER = re.compile(r"\b(Ne|Nw|Se|Sw|Po|Us|Rr|Hc|Pmb)\b")


def normalize_address(value: str) -> str:
    """A street line in ALL CAPS -> Title Case with 1st, NE, PO kept right."""
    value = " ".join(value.split())
    if not _needs_case(value):
        return value
    title = value.title()
    if "Mc" in title:
        title = _MC.sub(lambda m: m.group(1) + m.group(2).upper(), title)
    title = _ORDINAL.sub(lambda m: m.group(1) + m.group(2).lower(), title)
    return _ADDRESS_UPPER.sub(lambda m: m.group(1).upper(), title)


normalize_city = _cached(normalize_address)

_PREFIXES = {"mr", "mrs", "ms", "miss", "mx", "dr", "rev", "hon", "prof", "sir", "fr", "sr"}
_NAME_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "v", "md", "phd", "esq", "dds", "dvm", "cpa"}
_PARTICLES = {"van", "von", "de", "da", "del", "della", "di", "la", "le", "du", "dos", "das"}
_PARTICLES |= {"bin", "ibn", "al", "el", "st", "st.", "ter", "ten", "der", "den", "mac"}


def split_full_name(value: str) -> tuple[str, str, str, str, str]:
    """(prefix, first, middle, last, suffix) of "Dr. Ana María de la Cruz Jr." or of
    "Cruz, Ana M."; a lone word is a last name."""
    value = " ".join(value.split())
    if not value:
        return "", "", "", "", ""
    prefix = suffix = ""
    if "," in value:
        last, _, rest = value.partition(",")
        words = rest.replace(",", " ").split()
        if words and words[-1].lower().rstrip(".") in _NAME_SUFFIXES:
            suffix = words.pop()
        if words and words[0].lower().rstrip(".") in _PREFIXES and len(words) > 1:
            prefix = words.pop(0)
        if not words:
            return prefix, "", "", last.strip(), suffix
        return prefix, words[0], " ".join(words[1:]), last.strip(), suffix
    words = value.split()
    if len(words) > 1 and words[0].lower().rstrip(".") in _PREFIXES:
        prefix = words.pop(0)
    if len(words) > 1 and words[-1].lower().rstrip(".") in _NAME_SUFFIXES:
        suffix = words.pop()
    if len(words) == 1:
        return prefix, "", "", words[0], suffix
    start = len(words) - 1
    while start > 1 and words[start - 1].lower() in _PARTICLES:
        start -= 1
    return prefix, words[0], " ".join(words[1:start]), " ".join(words[start:]), suffix


_SLASHED = re.compile(r"(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})")
_TIME_ONLY = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?\s*(?:[AaPp][Mm])?")


def parse_date(value: str, order: str = "", *, today: date | None = None) -> date | None:
    """A date from YYYY-MM-DD, YYYYMMDD, MM/DD/YYYY, M/D/YY (also with - or .), with a time
    after it or not. `order` ("MDY", "DMY", "YMD") settles 1/2/2000; without it a first number
    over 12 means day first, else month first (US). Two-digit years are the latest year not
    after today. A bare time ("12:00:00 AM", an export's empty date) is None. Raises
    ValueError when the value is not a date."""
    text = value.strip()
    if not text or _TIME_ONLY.fullmatch(text):
        return None
    head = text.split(" ", 1)[0].split("T", 1)[0] if len(text) > 10 else text
    if head.isascii() and head.isdigit() and len(head) == 8:
        if order in ("MDY", "DMY") and not head.startswith(("19", "20")):
            a, b, y = int(head[:2]), int(head[2:4]), int(head[4:])
            return _ymd(y, a, b) if order == "MDY" else _ymd(y, b, a)
        return _ymd(int(head[:4]), int(head[4:6]), int(head[6:]))
    match = _SLASHED.fullmatch(head)
    if not match:
        raise ValueError(value)
    first, second, third = match.groups()
    if len(first) == 4:
        return _ymd(int(first), int(second), int(third))
    if len(third) not in (2, 4):
        raise ValueError(value)
    year = int(third)
    if len(third) == 2:
        today = today or _today()
        year += 2000 if 2000 + year <= today.year else 1900
    a, b = int(first), int(second)
    if order == "DMY" or (order != "MDY" and a > 12):
        return _ymd(year, b, a)
    return _ymd(year, a, b)


def _today() -> date:
    return datetime.now(UTC).date()


def _ymd(year: int, month: int, day: int) -> date:
    return date(year, month, day)  # ValueError for 2001-02-30


_DIGITS = re.compile(r"\D")
_NANP = re.compile(r"[2-9]\d\d[2-9]\d{6}")
_EXTENSION = re.compile(r"\s*(?:x|ext\.?|extension|#)\s*\d{1,6}\s*$", re.IGNORECASE)


def normalize_phone(value: str, region: str = "US") -> str:
    """The number in E.164, or "" when it cannot be a phone number. Ten US digits take a fast
    path; anything else goes through phonenumbers, read as a number of `region`."""
    text = _EXTENSION.sub("", value)
    digits = _DIGITS.sub("", text)
    if region == "US" and not text.startswith("+") or text.startswith("+1"):
        if len(digits) == 10 and _NANP.fullmatch(digits):
            return "+1" + digits
        if len(digits) == 11 and digits[0] == "1" and _NANP.fullmatch(digits, 1):
            return "+" + digits
    if len(digits) < 7 or len(digits) > 15:
        return ""
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(parsed):
        return ""
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


_EMAIL = re.compile(
    r"[-!#$%&'*+/=?^_`{}|~0-9a-z]+(?:\.[-!#$%&'*+/=?^_`{}|~0-9a-z]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}(?<!-)"
)


def check_email(value: str) -> bool:
    return len(value) <= 254 and _EMAIL.fullmatch(value) is not None


_GENDERS = {
    "m": "Male", "male": "Male", "man": "Male",
    "f": "Female", "female": "Female", "woman": "Female",
    "u": "", "unknown": "", "unk": "", "n/a": "", "na": "", "not stated": "",
}  # fmt: skip

_LANGUAGES = {
    "english": "en", "eng": "en", "spanish": "es", "spa": "es", "español": "es",
    "espanol": "es", "chinese": "zh", "mandarin": "zh", "cantonese": "yue", "vietnamese": "vi",
    "tagalog": "tl", "filipino": "tl", "korean": "ko", "russian": "ru", "arabic": "ar",
    "haitian creole": "ht", "creole": "ht", "french": "fr", "portuguese": "pt", "polish": "pl",
    "somali": "so", "amharic": "am", "bengali": "bn", "hindi": "hi", "urdu": "ur",
    "japanese": "ja", "german": "de", "italian": "it", "asl": "asl",
    "american sign language": "asl",
}  # fmt: skip

_COUNTRIES = {
    "us": "US", "usa": "US", "u.s.": "US", "u.s.a.": "US", "united states": "US",
    "united states of america": "US", "america": "US", "ca": "CA", "can": "CA",
    "canada": "CA", "mx": "MX", "mex": "MX", "mexico": "MX", "méxico": "MX",
    "uk": "GB", "united kingdom": "GB", "great britain": "GB", "england": "GB",
    "puerto rico": "PR", "pri": "PR",
}  # fmt: skip

_STATES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "district of columbia": "DC",
    "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID", "illinois": "IL",
    "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA",
    "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI",
    "minnesota": "MN", "mississippi": "MS", "missouri": "MO", "montana": "MT",
    "nebraska": "NE", "nevada": "NV", "new hampshire": "NH", "new jersey": "NJ",
    "new mexico": "NM", "new york": "NY", "north carolina": "NC", "north dakota": "ND",
    "ohio": "OH", "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA",
    "rhode island": "RI", "south carolina": "SC", "south dakota": "SD", "tennessee": "TN",
    "texas": "TX", "utah": "UT", "vermont": "VT", "virginia": "VA", "washington": "WA",
    "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY", "puerto rico": "PR",
    "guam": "GU", "american samoa": "AS", "u.s. virgin islands": "VI",
    "northern mariana islands": "MP",
}  # fmt: skip

_ZIP9 = re.compile(r"(\d{5})[ -]?(\d{4})")


def normalize_postcode(value: str, country: str = "") -> str:
    """US ZIP codes as 12345 or 12345-6789; a 3- or 4-digit ZIP (a spreadsheet dropped its
    zeros) is padded. Other countries' codes are kept, in capitals."""
    value = " ".join(value.split())
    if country in ("", "US"):
        if value.isascii() and value.isdigit():
            if 3 <= len(value) <= 5:
                return value.zfill(5)
            if len(value) in (8, 9):
                value = value.zfill(9)
                return f"{value[:5]}-{value[5:]}" if value[5:] != "0000" else value[:5]
        match = _ZIP9.fullmatch(value)
        if match:
            return match.group(1) if match.group(2) == "0000" else f"{match[1]}-{match[2]}"
    return value.upper()


# ---------------------------------------------------------------- RowMapper

# Targets whose value is set on the record through one normalizer.
_SIMPLE: dict[str, Callable[[str], str]] = {
    "prefix": normalize_name, "first_name": normalize_name, "middle_name": normalize_name,
    "last_name": normalize_name, "suffix": normalize_suffix, "line1": normalize_address,
    "line2": normalize_address, "city": normalize_city,
}  # fmt: skip
_LABELS = {
    "external_id": "id", "prefix": "prefix", "first_name": "first name",
    "middle_name": "middle name", "last_name": "last name", "suffix": "suffix",
    "gender": "gender", "language": "language", "email": "email", "line1": "street address",
    "line2": "address line 2", "city": "city", "region": "state", "postcode": "ZIP code",
}  # fmt: skip


def _getter(indexes: list[int]) -> Callable[[list[str]], str]:
    if len(indexes) == 1:
        return itemgetter(indexes[0])
    several = itemgetter(*indexes)

    def joined(cells: list[str]) -> str:
        return " ".join([part for part in several(cells) if part and not part.isspace()])

    return joined


class RowMapper:
    """Turns one row's cells into (PersonRecord, problems). Column positions are resolved
    once; a row with problems is a failed row. `region` is the default country of phone
    numbers written without one."""

    def __init__(self, mapping: Mapping, shape: FileShape, *, region: str = "US") -> None:
        self.mapping = mapping
        self.shape = shape
        self.region = region.upper() or "US"
        self.width = len(shape.columns)
        positions = {name: i for i, name in reversed(list(enumerate(shape.columns)))}
        folded = {name.strip().lower(): i for name, i in positions.items()}
        self.missing: list[str] = []  # sources the file lacks (not optional ones)
        self.absent_optional: list[str] = []
        getters: dict[str, Callable[[list[str]], str]] = {}
        need = 0
        for target, sources in mapping.columns.items():
            indexes = []
            for source in sources:
                i = positions.get(source)
                if i is None:
                    i = folded.get(source.strip().lower())
                if i is None:
                    i = _position(source)
                    if i is not None and shape.has_header and i >= self.width:
                        i = None
                if i is None:
                    bucket = self.absent_optional if source in mapping.optional else self.missing
                    if source not in bucket:
                        bucket.append(source)
                    continue
                indexes.append(i)
                need = max(need, i + 1)
            if indexes:
                getters[target] = _getter(indexes)
        self.need = need
        self._get = getters
        self._simple = [(t, getters[t], _SIMPLE[t]) for t in _SIMPLE if t in getters]
        self._districts = [
            (t[len(DISTRICT_PREFIX) :], g)
            for t, g in getters.items()
            if t.startswith(DISTRICT_PREFIX)
        ]
        self._custom = [
            (t[len(CUSTOM_PREFIX) :], g, t.endswith("_date"))
            for t, g in getters.items()
            if t.startswith(CUSTOM_PREFIX)
        ]
        self._missing_problem = ""
        if self.missing:
            names = ", ".join(f"“{m}”" for m in self.missing)
            self._missing_problem = f"The file has no column {names}, which the mapping names."
        self._date_cache: dict[str, date | None | str] = {}
        self._today = _today()
        # Only mapped fields can be too long (full_name fills the name parts).
        filled = set(getters) | ({"prefix", "first_name", "middle_name", "last_name", "suffix"}
                                 if "full_name" in getters else set())  # fmt: skip
        self._limits = [(t, n) for t, n in MAX_LENGTHS.items() if t in filled]

    @property
    def mapped_targets(self) -> list[str]:
        return list(self._get)

    def __call__(self, cells: list[str]) -> tuple[PersonRecord, list[str]]:
        problems: list[str] = []
        if self._missing_problem:
            problems.append(self._missing_problem)
        count = len(cells)
        if count != self.width:
            if count < self.need:
                problems.append(
                    f"This row has {count} columns; the mapping reads column {self.need}."
                )
                cells = [*cells, *[""] * (self.need - count)]
            elif count > self.width and any(c.strip() for c in cells[self.width :]):
                problems.append(
                    f"This row has {count} values where the file has {self.width} columns "
                    "(a delimiter inside a value?)."
                )
        record = PersonRecord()
        for target, getter, normalize in self._simple:
            value = getter(cells).strip()
            if value:
                setattr(record, target, normalize(value))
        get = self._get.get
        if (g := get("full_name")) and not (record.first_name or record.last_name):
            self._full_name(record, g(cells).strip())
        if g := get("external_id"):
            record.external_id = g(cells).strip()
        if g := get("birth_date"):
            self._birth_date(record, g(cells).strip(), problems)
        if g := get("birth_year"):
            self._birth_year(record, g(cells).strip(), problems)
        if (g := get("gender")) and (value := g(cells).strip()):
            record.gender = _GENDERS.get(value.lower(), value)
        if (g := get("language")) and (value := g(cells).strip()):
            record.language = _LANGUAGES.get(value.lower(), value.lower())
        if g := get("email"):
            self._email(record, g(cells).strip(), problems)
        if (g := get("phone")) and (value := g(cells).strip()):
            record.phone = normalize_phone(value, self.region)
            if not record.phone:
                record.warnings.append(f"Phone “{value}” is not a phone number; left out.")
        if g := get("country"):
            self._country(record, g(cells).strip())
        if (g := get("region")) and (value := g(cells).strip()):
            record.region = value.upper() if len(value) <= 3 else _STATES.get(value.lower(), value)
        if (g := get("postcode")) and (value := g(cells).strip()):
            record.postcode = normalize_postcode(value, record.country)
        for slug, getter in self._districts:
            value = getter(cells).strip()
            if value:
                if len(value) > MAX_DISTRICT_LENGTH:
                    problems.append(
                        f"The {slug.replace('_', ' ')} district is longer than "
                        f"{MAX_DISTRICT_LENGTH} characters."
                    )
                record.districts[slug] = value
        for key, getter, is_date in self._custom:
            value = getter(cells).strip()
            if value:
                if is_date:
                    value = self._iso_or_raw(value)
                    if not value:
                        continue
                if len(value) > MAX_CUSTOM_LENGTH:
                    problems.append(f"“{key}” is longer than {MAX_CUSTOM_LENGTH} characters.")
                record.custom[key] = value
        self._check(record, problems)
        return record, problems

    # -- the parts of a row that need more than a normalizer

    def _full_name(self, record: PersonRecord, value: str) -> None:
        prefix, first, middle, last, suffix = split_full_name(value)
        record.first_name = normalize_name(first) if first else ""
        record.middle_name = record.middle_name or (normalize_name(middle) if middle else "")
        record.last_name = normalize_name(last) if last else ""
        record.prefix = record.prefix or (normalize_name(prefix) if prefix else "")
        record.suffix = record.suffix or (normalize_suffix(suffix) if suffix else "")

    def _parse_date(self, value: str) -> date | None | str:
        """The date, None for an empty one, or the problem's wording as a str."""
        cache = self._date_cache
        try:
            return cache[value]
        except KeyError:
            pass
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        try:
            result: date | None | str = parse_date(value, self.mapping.date_order)
        except (ValueError, OverflowError):
            result = "not a date"
        cache[value] = result
        return result

    def _birth_date(self, record: PersonRecord, value: str, problems: list[str]) -> None:
        if not value:
            return
        result = self._parse_date(value)
        if isinstance(result, str):
            problems.append(f"Date of birth “{value}” is not a date.")
        elif result is not None:
            if result.year < 1880 or result > self._today:
                problems.append(f"Date of birth “{value}” is not a possible date of birth.")
            else:
                record.birth_date = result
                record.birth_year = result.year

    def _birth_year(self, record: PersonRecord, value: str, problems: list[str]) -> None:
        if not value or record.birth_date is not None:
            return
        if value.isascii() and value.isdigit() and len(value) == 4:
            year = int(value)
            if 1880 <= year <= self._today.year:
                record.birth_year = year
                return
        if value.isascii() and value.isdigit() and int(value) == 0:
            return  # some files write 0000 for unknown
        problems.append(f"Birth year “{value}” is not a year between 1880 and today.")

    def _email(self, record: PersonRecord, value: str, problems: list[str]) -> None:
        if not value:
            return
        email = value.lower()
        if email.startswith("mailto:"):
            email = email[7:]
        parts = re.split(r"[;,\s]+", email) if any(c in email for c in ";, \t") else [email]
        parts = [p for p in parts if p]
        if not parts or not check_email(parts[0]):
            problems.append(f"Email “{value}” is not an email address.")
            return
        record.email = parts[0]
        if len(parts) > 1:
            record.warnings.append(f"Only the first email of “{value}” was kept.")

    def _country(self, record: PersonRecord, value: str) -> None:
        if not value:
            return
        code = _COUNTRIES.get(value.lower())
        if code is None and len(value) == 2 and value.isalpha():
            code = value.upper()
        if code is None:
            record.warnings.append(f"Country “{value}” is not a two-letter code; left out.")
            return
        record.country = code

    def _iso_or_raw(self, value: str) -> str:
        """A date in ISO format when it reads as one; "" for an export's empty date (a bare
        time); else the value as written."""
        result = self._parse_date(value)
        if result is None:
            return ""
        return result.isoformat() if isinstance(result, date) else value

    def _check(self, record: PersonRecord, problems: list[str]) -> None:
        if not (record.last_name or record.first_name or record.external_id or record.email):
            problems.append("The row has no name, id or email.")
        for target, limit in self._limits:
            if len(getattr(record, target)) > limit:
                problems.append(f"The {_LABELS[target]} is longer than {limit} characters.")


def _position(source: str) -> int | None:
    """ "Column 7" -> 6."""
    if source.startswith("Column "):
        number = source[7:].strip()
        if number.isascii() and number.isdigit() and int(number) >= 1:
            return int(number) - 1
    return None


def describe_mapping(mapping: Mapping) -> Iterable[tuple[str, str]]:
    """(target label, "source + source") pairs, for showing a mapping to people."""
    for target, sources in mapping.columns.items():
        yield target_label(target), " + ".join(sources)
