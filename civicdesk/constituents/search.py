"""Finding people from one search box: a name (typos forgiven), an email, a phone number in any
format, an address, a postcode or an external id.

How it works, the same on both databases:

- Each person carries `search_text`: folded words in sections, " names | emails | phones |
  address words | postcodes | ids ", one space between words. A word matches as a whole word
  (`LIKE '% john %'`) or as part of one (`LIKE '%smi%'`). On PostgreSQL a GIN trigram index
  (pg_trgm, migration 0005) answers those LIKEs; on SQLite they scan the office's people:
  slower, same answers.
- Typos: the office's name and street words are kept in `SearchKey` under each spelling with one
  letter deleted (a symmetric-delete index). A typed word and a known word within one edit
  (insertion, deletion, substitution or swap of neighbours) share a key, so "jonh" finds "john"
  and "smtih" finds "smith" with one indexed lookup; the edit distance is then checked here.
- Exact contact points go straight to their own indexes: an email address, a phone number
  (normalized to E.164; failing that, its last 7 or 10 digits), a postcode, an external id.
- Candidates come in tiers, at most CANDIDATES each: people having every typed word whole;
  then every word whole, corrected or as a fragment; only if that finds nobody, some of the
  words. They are ranked here: whole words, then corrected spellings and prefixes, then
  fragments; names before other matches; then by name. Never an unbounded scan or sort.
"""

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q

from civicdesk.accounts.models import Office

from .models import Address, EmailAddress, ExternalId, Person, Phone, SearchKey
from .validation import STREET_WORDS, address_words, fold, normalize_phone, words

ABBREVIATIONS = set(STREET_WORDS.values())

CANDIDATES = 200
SECTIONS = ("name", "email", "phone", "address", "postcode", "external_id")
SEPARATOR = "|"
MIN_FUZZY_LENGTH = 4  # shorter words have too many neighbours one edit away
MAX_VARIANTS = 8
MAX_NAME_COMBOS = 30
PHONE_LIKE = re.compile(r"[\d\s().+\-/]+")
POSTCODE_LIKE = re.compile(r"\d{5}(-\d{4})?")


@dataclass(frozen=True)
class PersonHit:
    person: Person
    matched_on: str  # one of SECTIONS


# ---------------------------------------------------------------- what a person is found by


def sort_name_for(person: Person) -> str:
    """Folded "last first middle preferred": the order people lists sort in."""
    parts = (person.last_name, person.first_name, person.middle_name, person.preferred_name)
    return " ".join(word for part in parts for word in words(part))[:320]


def _phone_words(number: str) -> list[str]:
    digits = re.sub(r"\D", "", number)
    if number.startswith("+1") and len(digits) == 11:
        return [digits[1:], digits]  # national 2025550147 and 12025550147
    return [digits]


def search_text_for(
    person: Person,
    *,
    emails: Iterable[str],
    phones: Iterable[str],
    addresses: Iterable[tuple[str, str]],
    external_ids: Iterable[str],
) -> str:
    """The person's `search_text`: sections in the order of SECTIONS. `addresses` are
    (line1, postcode) pairs."""
    address_list = list(addresses)
    postcodes = []
    for _line1, postcode in address_list:
        folded = fold(postcode).strip().replace(" ", "")
        if folded:
            postcodes += [folded, *([folded[:5]] if POSTCODE_LIKE.fullmatch(folded) else [])]
    sections = [
        words(" ".join((person.first_name, person.middle_name, person.last_name)))
        + words(person.preferred_name),
        [fold(email).strip() for email in emails],
        [word for number in phones for word in _phone_words(number)],
        [word for line1, _postcode in address_list for word in address_words(line1)],
        postcodes,
        [fold(value).strip().replace(" ", "") for value in external_ids],
    ]
    unique = [list(dict.fromkeys(word for word in section if word)) for section in sections]
    return " " + f" {SEPARATOR} ".join(" ".join(section) for section in unique).strip() + " "


def vocabulary_words(search_text: str) -> set[str]:
    """The name and street words worth correcting typos towards: alphabetic, 3 letters or more."""
    sections = search_text.split(f" {SEPARATOR} ")
    chosen = sections[0].split() + (sections[3].split() if len(sections) > 3 else [])
    return {word for word in chosen if len(word) >= 3 and word.isalpha()}


def deletion_keys(word: str) -> set[str]:
    """The word and, from MIN_FUZZY_LENGTH letters, every spelling of it with one letter deleted."""
    if len(word) < MIN_FUZZY_LENGTH:
        return {word}
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def search_key_rows(office_id: int, vocabulary: Iterable[str]) -> list[SearchKey]:
    return [
        SearchKey(office_id=office_id, key=key[:100], word=word[:100])
        for word in vocabulary
        for key in deletion_keys(word)
    ]


def remember_words(office_id: int, vocabulary: Iterable[str]) -> None:
    """Add words to the office's typo index. Words are never removed: a word nobody carries any
    more only costs a lookup that finds no one."""
    rows = search_key_rows(office_id, vocabulary)
    if rows:
        SearchKey.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)


# ---------------------------------------------------------------- edit distance


def within_one_edit(a: str, b: str) -> bool:
    """True when b is a, or a with one letter inserted, deleted, replaced, or two neighbours
    swapped (optimal string alignment distance <= 1)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]


def corrections(office_id: int, query_words: Sequence[str]) -> dict[str, list[str]]:
    """For each typed word, the office's known words one edit away (itself excluded). A typed
    word of three letters is looked up as it is, which finds the words it is one letter short
    of ("own" -> "owen", "dun" -> "dunn")."""
    fuzzy = [word for word in query_words if len(word) >= 3 and word.isalpha()]
    keys = {key: word for word in fuzzy for key in deletion_keys(word)}
    found: dict[str, list[str]] = {word: [] for word in query_words}
    if not keys:
        return found
    rows = SearchKey.objects.filter(office_id=office_id, key__in=list(keys)).values_list(
        "word", flat=True
    )
    known = set(rows)
    for word in fuzzy:
        close = sorted(k for k in known if k != word and within_one_edit(word, k))
        found[word] = close[:MAX_VARIANTS]
    return found


# ---------------------------------------------------------------- the search itself


def _people(office: Office, ids: Iterable[int]) -> dict[int, Person]:
    people = Person.objects.for_office(office).filter(pk__in=list(ids)).defer("search_text")
    return {person.pk: person for person in people}


def starts_with(field: str, prefix: str) -> Q:
    """`field` starts with `prefix`, answered by an index on both databases: on PostgreSQL a
    LIKE served by the varchar_pattern_ops index of migration 0006 (the database's collation
    may not be C); on SQLite a range over the plain index (SQLite compares bytes)."""
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__startswith": prefix})
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\U0010ffff"})


def _exact_hits(office: Office, text: str, limit: int) -> list[tuple[int, str]]:
    """(person id, matched_on) from the contact-point indexes: an email address (or its
    beginning), a phone number, a postcode, an external id."""
    found: list[tuple[int, str]] = []
    compact = text.replace(" ", "")
    if "@" in text:
        emails = EmailAddress.objects.for_office(office)
        exact = emails.filter(email=compact.lower()).values_list("person_id", flat=True)
        found += [(pid, "email") for pid in exact[:limit]]
        if not found:
            begun = emails.filter(starts_with("email", compact.lower()))
            found += [(pid, "email") for pid in begun.values_list("person_id", flat=True)[:limit]]
        return found
    digits = re.sub(r"\D", "", text)
    if PHONE_LIKE.fullmatch(text) and len(digits) >= 7:
        try:
            number = normalize_phone(text)
        except ValidationError:
            number = None
        if number:
            phones = Phone.objects.for_office(office).filter(number=number)
            found += [(pid, "phone") for pid in phones.values_list("person_id", flat=True)[:limit]]
    if POSTCODE_LIKE.fullmatch(compact):
        postcodes = Address.objects.for_office(office).filter(
            Q(postcode=compact) | starts_with("postcode", compact + "-")
        )
        found += [
            (pid, "postcode") for pid in postcodes.values_list("person_id", flat=True)[:limit]
        ]
    if " " not in text and len(text) >= 3:
        ids = ExternalId.objects.for_office(office).filter(value=text)
        found += [(pid, "external_id") for pid in ids.values_list("person_id", flat=True)[:limit]]
    return found


def _name_prefixes(query: Sequence[str], fixes: dict[str, list[str]]) -> list[str]:
    """Beginnings of sort names ("last first middle") the typed name may be: each rotation of
    the words ("john smith" -> "smith john"), with corrected spellings, the original first."""
    options = [[word, *fixes.get(word, ())[:4]] for word in query]
    prefixes: list[str] = []
    for combo in itertools.islice(itertools.product(*options), MAX_NAME_COMBOS):
        for at in range(len(combo)):
            prefixes.append(" ".join(combo[at:] + combo[:at]))
    return list(dict.fromkeys(prefixes))


def _name_candidates(
    office: Office, query: Sequence[str], fixes: dict[str, list[str]]
) -> list[tuple]:
    """(id, search_text, sort_name) of people whose sort name begins like the typed name: a
    handful of index range scans, no trigram work."""
    if not query or len(query) > 4 or not all(word.isalpha() for word in query):
        return []
    condition = Q()
    for prefix in _name_prefixes(query, fixes):
        condition |= starts_with("sort_name", prefix)
    people = Person.objects.for_office(office).filter(condition)
    return list(people.values_list("pk", "search_text", "sort_name")[:CANDIDATES])


def _whole(word: str) -> Q:
    """The word as a whole word; a street word also in its short form ("street" -> "st")."""
    condition = Q(search_text__contains=f" {word} ")
    if word in STREET_WORDS:
        condition |= Q(search_text__contains=f" {STREET_WORDS[word]} ")
    return condition


def contains_word(word: str) -> Q:
    """The word anywhere in the search text (as the list filter looks); a street word also in
    the short form search_text stores ("street" -> "st"), as the search box matches it."""
    condition = Q(search_text__contains=word)
    if word in STREET_WORDS:
        condition |= Q(search_text__contains=f" {STREET_WORDS[word]} ")
    return condition


def _loose(word: str, variants: Sequence[str]) -> Q:
    condition = _whole(word)
    for variant in variants:
        condition |= Q(search_text__contains=f" {variant} ")
    # Fragments: from 3 characters anywhere in a word; shorter ones only at a word's start.
    fragment = word if len(word) >= 3 else f" {word}"
    return condition | Q(search_text__contains=fragment)


def _candidates(office: Office, query: Sequence[str], fixes: dict[str, list[str]]) -> list[tuple]:
    """(id, search_text, sort_name) of people having every word whole; if that leaves room,
    then of people having every word whole, corrected or as a fragment; if nobody has every
    word, of people having some."""
    people = Person.objects.for_office(office)
    # Words of one or two letters and street abbreviations ("u", "st", "nw") are in almost
    # every row: the trigram index cannot narrow by them. Rank by them, do not filter.
    query = [w for w in query if len(w) >= 3 and w not in ABBREVIATIONS] or list(query)
    whole = people
    for word in query:
        whole = whole.filter(_whole(word))
    fields = ("pk", "search_text", "sort_name")
    rows = list(whole.values_list(*fields)[:CANDIDATES])
    if len(rows) < CANDIDATES:
        loose = people
        for word in query:
            loose = loose.filter(_loose(word, fixes.get(word, ())))
        seen = {row[0] for row in rows}
        rows += [row for row in loose.values_list(*fields)[:CANDIDATES] if row[0] not in seen]
    if not rows and len(query) > 1:
        # Nobody has every word: offer those who have some of them whole (or corrected),
        # best first. Not fragments: an OR of fragments would match most of the office.
        some = Q()
        for word in query:
            some |= _whole(word)
            for variant in fixes.get(word, ())[:3]:  # each OR costs every row a LIKE
                some |= Q(search_text__contains=f" {variant} ")
        rows = list(people.filter(some).values_list(*fields)[:CANDIDATES])
    return rows


def query_words(text: str) -> list[str]:
    """The words to look for: an email stays whole; a phone number becomes its digits
    (without the US country code); anything else becomes folded words."""
    if "@" in text:
        return [fold(text).replace(" ", "")]
    digits = re.sub(r"\D", "", text)
    if PHONE_LIKE.fullmatch(text) and len(digits) >= 7:
        return [digits[1:] if len(digits) == 11 and digits.startswith("1") else digits]
    return list(dict.fromkeys(words(text)))


def _score(search_text: str, query: Sequence[str], fixes: dict[str, list[str]]) -> tuple:
    """(score, section of the best match) for one candidate."""
    sections = [section.split() for section in search_text.split(f" {SEPARATOR} ")]
    total, best_section, best_points = 0.0, len(SECTIONS) - 1, -1.0
    for word in query:
        points, section_at = 0.0, None
        variants = set(fixes.get(word, ())) | (
            {STREET_WORDS[word]} if word in STREET_WORDS else set()
        )
        for at, section in enumerate(sections):
            for known in section:
                if known == word:
                    found = 1.0
                elif known in variants:
                    found = 0.75
                elif known.startswith(word):
                    found = 0.7
                elif word in known:
                    found = 0.4
                else:
                    continue
                found += 0.05 if at == 0 else 0.0  # names first
                if found > points:
                    points, section_at = found, at
        total += points
        if section_at is not None and points > best_points:
            best_points, best_section = points, section_at
    return total, SECTIONS[min(best_section, len(SECTIONS) - 1)]


def search_people(office: Office, text: str, *, limit: int = 20) -> list[PersonHit]:
    """The office's people best matching `text`, best first. See the module docstring."""
    text = " ".join((text or "").split())
    if not text:
        return []
    ranked: dict[int, tuple[float, str]] = {}  # id -> (score, matched_on)
    sort_names: dict[int, str] = {}
    for person_id, matched_on in _exact_hits(office, text, limit):
        ranked.setdefault(person_id, (100.0, matched_on))
    query = query_words(text)
    if query and not ranked and "@" not in text:
        fixes = corrections(office.pk, query)
        rows = _name_candidates(office, query, fixes)
        named = [(row, _score(row[1], query, fixes)) for row in rows]
        # A full name found whole (or corrected) is the answer; one word may also be a first
        # name or a street, so it looks further, as does a name found only in part.
        if len(query) == 1 or not any(score >= 0.75 * len(query) for _row, (score, _m) in named):
            seen = {row[0] for row in rows}
            extra = [row for row in _candidates(office, query, fixes) if row[0] not in seen]
            named += [(row, _score(row[1], query, fixes)) for row in extra]
        for (person_id, _text, sort_name), score in named:
            sort_names[person_id] = sort_name
            ranked[person_id] = score
    unnamed = [pid for pid in ranked if pid not in sort_names]
    people = _people(office, unnamed)
    sort_names.update({pid: person.sort_name for pid, person in people.items()})
    order = sorted(ranked, key=lambda pid: (-ranked[pid][0], sort_names.get(pid, ""), pid))
    order = order[:limit]
    people.update(_people(office, [pid for pid in order if pid not in people]))
    return [PersonHit(people[pid], ranked[pid][1]) for pid in order if pid in people]
