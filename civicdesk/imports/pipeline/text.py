"""The sort name and search text of imported people, as constituents.search computes them
(`sort_name_for`, `search_text_for`: the same text, which test_pipeline checks), at import
speed: the words of a name or a street are worked out once per distinct value (a voter file
repeats its names and streets thousands of times), and ASCII text, nearly all of it, skips the
Unicode decomposition of `fold`.
"""

import re
from collections.abc import Callable, Iterable
from typing import Any

from civicdesk.constituents.search import POSTCODE_LIKE, SEPARATOR
from civicdesk.constituents.validation import address_words, fold, words
from civicdesk.geo.geocoding import normalize_address

CACHE_LIMIT = 500_000  # distinct values remembered (names, streets): a few tens of MB at most
NOT_DIGIT = re.compile(r"\D")


def _memo(function: Callable[[str], Any]) -> Callable[[str], Any]:
    cache: dict[str, Any] = {}

    def cached(text: str) -> Any:
        found = cache.get(text)
        if found is None:
            if len(cache) >= CACHE_LIMIT:
                cache.clear()
            found = cache[text] = function(text)
        return found

    return cached


name_words = _memo(words)
street_words = _memo(address_words)
usps_street = _memo(normalize_address)  # type: ignore[arg-type]  (str -> str)


def quick_fold(text: str) -> str:
    """fold(): lower case without accents; for ASCII text that is lower()."""
    return text.lower() if text.isascii() else fold(text)


def sort_name(last: str, first: str, middle: str, preferred: str) -> str:
    """constituents.search.sort_name_for."""
    return " ".join(
        [*name_words(last), *name_words(first), *name_words(middle), *name_words(preferred)]
    )[:320]


def _phone_words(number: str) -> list[str]:
    digits = NOT_DIGIT.sub("", number)
    if number.startswith("+1") and len(digits) == 11:
        return [digits[1:], digits]
    return [digits]


def search_text(
    first: str,
    middle: str,
    last: str,
    preferred: str,
    *,
    emails: Iterable[str],
    phones: Iterable[str],
    addresses: Iterable[tuple[str, str]],
    external_ids: Iterable[str],
) -> str:
    """constituents.search.search_text_for."""
    address_list = list(addresses)
    postcodes: list[str] = []
    for _line1, postcode in address_list:
        folded = quick_fold(postcode).strip().replace(" ", "")
        if folded:
            postcodes.append(folded)
            if POSTCODE_LIKE.fullmatch(folded):
                postcodes.append(folded[:5])
    sections = (
        [*name_words(first), *name_words(middle), *name_words(last), *name_words(preferred)],
        [quick_fold(email).strip() for email in emails],
        [word for number in phones for word in _phone_words(number)],
        [word for line1, _postcode in address_list for word in street_words(line1)],
        postcodes,
        [quick_fold(value).strip().replace(" ", "") for value in external_ids],
    )
    joined = f" {SEPARATOR} ".join(
        " ".join(dict.fromkeys(word for word in section if word)) for section in sections
    )
    return " " + joined.strip() + " "


def vocabulary(
    first: str, middle: str, last: str, preferred: str, streets: Iterable[str]
) -> set[str]:
    """constituents.search.vocabulary_words of the search text: the name and street words of
    three letters or more, letters only."""
    chosen = [*name_words(first), *name_words(middle), *name_words(last), *name_words(preferred)]
    for line1 in streets:
        chosen += street_words(line1)
    return {word for word in chosen if len(word) >= 3 and word.isalpha()}
