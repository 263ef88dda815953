"""Geocoding: an address to a position, asking the configured providers in order.

    geocode(office, line1="1350 Pennsylvania Ave NW", city="Washington", region="DC")

Providers, listed in settings.GEOCODERS (env CIVICDESK_GEOCODERS, default "local"):
- `local`: the office's own address points (`civicdesk geocode import-points`); no network;
- `census`: the US Census Bureau geocoder (US addresses only);
- `nominatim`: OpenStreetMap Nominatim at settings.NOMINATIM_URL (the public server allows
  one request a second and needs an identifying User-Agent; both are respected here).

Remote answers, found or not found, are remembered in GeocodeCache; a network failure is
logged and not remembered, and `geocode` then tries the next provider. Batch geocoding of
addresses is a job of the constituents app, which owns addresses and calls `geocode`.
"""

import json
import logging
import re
import threading
import time
import unicodedata
from abc import ABC, abstractmethod
from dataclasses import dataclass
from hashlib import sha256
from typing import Any, Protocol
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .models import AddressPoint, GeocodeCache

logger = logging.getLogger(__name__)

PUBLIC_NOMINATIM = "nominatim.openstreetmap.org"
CENSUS_URL = "https://geocoding.geo.census.gov/geocoder/locations/onelineaddress"
USER_AGENT = "CivicDesk/0.1 (constituent services; https://github.com/civicdesk)"


@dataclass(frozen=True)
class GeocodeResult:
    lat: float
    lon: float
    source: str  # the provider's name: what Address.geocode_source records
    matched_label: str  # the address as the provider knows it


@dataclass(frozen=True)
class AddressQuery:
    line1: str
    city: str = ""
    region: str = ""
    postcode: str = ""
    country: str = "US"

    def one_line(self) -> str:
        place = " ".join(part for part in (self.region, self.postcode) if part)
        return ", ".join(part for part in (self.line1, self.city, place) if part)

    def cache_key(self) -> str:
        parts = (normalize_address(self.line1), self.city, self.region, self.postcode, self.country)
        key = "|".join(re.sub(r"\s+", " ", part.strip().upper()) for part in parts)
        return key if len(key) <= 300 else "sha256:" + sha256(key.encode()).hexdigest()


# ---------------------------------------------------------------- address normalization

# USPS Publication 28 abbreviations (street suffixes, directions, unit designators).
SUFFIXES = {
    "ALLEY": "ALY", "ALLY": "ALY", "AVENUE": "AVE", "AVEN": "AVE", "AVN": "AVE", "AV": "AVE",
    "BOULEVARD": "BLVD", "BOUL": "BLVD", "BRIDGE": "BRG", "CAUSEWAY": "CSWY", "CENTER": "CTR",
    "CIRCLE": "CIR", "CIRC": "CIR", "COURT": "CT", "COVE": "CV", "CRESCENT": "CRES",
    "CROSSING": "XING", "DRIVE": "DR", "DRV": "DR", "EXPRESSWAY": "EXPY", "FREEWAY": "FWY",
    "GARDENS": "GDNS", "GROVE": "GRV", "HEIGHTS": "HTS", "HIGHWAY": "HWY", "HIWAY": "HWY",
    "LANE": "LN", "LANDING": "LNDG", "MEADOWS": "MDWS", "PARKWAY": "PKWY", "PKY": "PKWY",
    "PLACE": "PL", "PLAZA": "PLZ", "POINT": "PT", "ROAD": "RD", "ROUTE": "RTE", "SQUARE": "SQ",
    "STREET": "ST", "STR": "ST", "STRT": "ST", "TERRACE": "TER", "TERR": "TER", "TRAIL": "TRL",
    "TURNPIKE": "TPKE", "VIEW": "VW", "VILLAGE": "VLG",
}  # fmt: skip
DIRECTIONS = {
    "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W",
    "NORTHEAST": "NE", "NORTHWEST": "NW", "SOUTHEAST": "SE", "SOUTHWEST": "SW",
}  # fmt: skip
UNITS = {"APARTMENT": "APT", "SUITE": "STE", "FLOOR": "FL", "ROOM": "RM", "BUILDING": "BLDG"}
UNIT_DESIGNATORS = {"APT", "STE", "UNIT", "FL", "RM", "BLDG", "#"}
ORDINAL_WORDS = (
    "FIRST", "SECOND", "THIRD", "FOURTH", "FIFTH", "SIXTH", "SEVENTH", "EIGHTH", "NINTH", "TENTH",
    "ELEVENTH", "TWELFTH", "THIRTEENTH", "FOURTEENTH", "FIFTEENTH", "SIXTEENTH", "SEVENTEENTH",
    "EIGHTEENTH", "NINETEENTH", "TWENTIETH",
)  # fmt: skip
ORDINALS = {
    word: f"{n}{'TH' if 10 <= n % 100 <= 20 else {1: 'ST', 2: 'ND', 3: 'RD'}.get(n % 10, 'TH')}"
    for n, word in enumerate(ORDINAL_WORDS, start=1)
}
TOKEN_MAP = {**SUFFIXES, **DIRECTIONS, **UNITS, **ORDINALS}


def normalize_address(text: str) -> str:
    """One spelling per street address, so that "1350 Pennsylvania Ave., N.W." and
    "1350 PENNSYLVANIA AVENUE NW" compare equal: upper case, no accents or punctuation,
    USPS abbreviations for suffixes, directions, units and ordinal street names."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(char for char in text if not unicodedata.combining(char)).upper()
    text = re.sub(r"[.'’]", "", text).replace("#", " # ")
    text = re.sub(r"[^\w\s#/-]|_", " ", text)
    return " ".join(TOKEN_MAP.get(token, token) for token in text.split())


def without_unit(normalized: str) -> str:
    """The building's address: "1350 PENNSYLVANIA AVE NW STE 400" -> "1350 PENNSYLVANIA AVE NW"."""
    tokens = normalized.split()
    for at, token in enumerate(tokens[1:], start=1):
        if token in UNIT_DESIGNATORS:
            return " ".join(tokens[:at])
    return normalized


def _postcode(text: str) -> str:
    return re.sub(r"\s", "", text or "").upper().split("-")[0]


# ---------------------------------------------------------------- providers


class Provider(Protocol):
    name: str

    def lookup(self, office: Any, query: AddressQuery) -> GeocodeResult | None: ...


class LocalProvider:
    """The office's own address file. An address that matches points at different places
    (the same street address in two towns) is only answered when the postcode tells them apart."""

    name = "local"

    def lookup(self, office: Any, query: AddressQuery) -> GeocodeResult | None:
        full = normalize_address(query.line1)
        for normalized in dict.fromkeys(filter(None, (full, without_unit(full)))):
            points = list(
                AddressPoint.objects.for_office(office).filter(normalized=normalized)[:50]
            )
            if points:
                point = self._pick(points, query.postcode)
                if point is None:
                    return None
                return GeocodeResult(point.latitude, point.longitude, self.name, point.label)
        return None

    @staticmethod
    def _pick(points: list[AddressPoint], postcode: str) -> AddressPoint | None:
        wanted = _postcode(postcode)
        same = [point for point in points if wanted and _postcode(point.postcode) == wanted]
        candidates = same or points
        places = {(round(p.latitude, 6), round(p.longitude, 6)) for p in candidates}
        return candidates[0] if len(places) == 1 else None


class GeocoderUnavailable(Exception):
    """The provider could not be asked (network, timeout, an answer that is not JSON)."""


def http_get_json(url: str, params: dict[str, str], *, timeout: float | None = None) -> Any:
    """GET `url?params` and parse the JSON answer. The one place geocoders touch the network
    (tests replace this function)."""
    if not url.startswith(("https://", "http://")):
        raise GeocoderUnavailable(f"Only http(s) geocoder URLs are allowed, not {url!r}.")
    request = Request(  # noqa: S310  (the scheme is checked above)
        f"{url}?{urlencode(params)}",
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
    )
    try:
        with urlopen(request, timeout=timeout or settings.GEOCODER_TIMEOUT) as response:  # noqa: S310
            return json.loads(response.read(5_000_000))
    except (URLError, TimeoutError, OSError, ValueError) as exc:
        raise GeocoderUnavailable(f"{type(exc).__name__}: {exc}") from exc


class RemoteProvider(ABC):
    """A provider over the network; its answers are cached in GeocodeCache. Each service
    (Census, Nominatim) implements `fetch`."""

    name = ""

    @abstractmethod
    def fetch(self, query: AddressQuery) -> GeocodeResult | None:
        """Ask the service; None when it knows no such address."""

    def accepts(self, query: AddressQuery) -> bool:
        return True

    def lookup(self, office: Any, query: AddressQuery) -> GeocodeResult | None:
        if not self.accepts(query):
            return None
        key = query.cache_key()
        cached = GeocodeCache.objects.filter(provider=self.name, query=key).first()
        if cached is not None:
            if cached.latitude is None or cached.longitude is None:
                return None
            return GeocodeResult(cached.latitude, cached.longitude, self.name, cached.matched_label)
        try:
            result = self.fetch(query)
        except (GeocoderUnavailable, KeyError, TypeError, ValueError, IndexError) as exc:
            logger.warning("geocoder %s unavailable: %s", self.name, exc)
            return None
        GeocodeCache.objects.update_or_create(
            provider=self.name,
            query=key,
            defaults={
                "latitude": result.lat if result else None,
                "longitude": result.lon if result else None,
                "matched_label": result.matched_label[:300] if result else "",
            },
        )
        return result


class CensusProvider(RemoteProvider):
    """https://geocoding.geo.census.gov: free, no key, US addresses only."""

    name = "census"

    def accepts(self, query: AddressQuery) -> bool:
        return query.country.upper() in {"", "US"}

    def fetch(self, query: AddressQuery) -> GeocodeResult | None:
        answer = http_get_json(
            CENSUS_URL,
            {"address": query.one_line(), "benchmark": "Public_AR_Current", "format": "json"},
        )
        matches = answer["result"]["addressMatches"]
        if not matches:
            return None
        best = matches[0]
        coordinates = best["coordinates"]
        return GeocodeResult(
            float(coordinates["y"]), float(coordinates["x"]), self.name, best["matchedAddress"]
        )


class NominatimProvider(RemoteProvider):
    """OpenStreetMap Nominatim: the public server or an office's own (settings.NOMINATIM_URL)."""

    name = "nominatim"
    MIN_INTERVAL = 1.0  # seconds between requests: the public server's usage policy
    _lock = threading.Lock()
    _last_request = 0.0

    def fetch(self, query: AddressQuery) -> GeocodeResult | None:
        params = {"street": query.line1, "format": "jsonv2", "limit": "1"}
        for key, value in (
            ("city", query.city),
            ("state", query.region),
            ("postalcode", query.postcode),
            ("countrycodes", query.country.lower()),
        ):
            if value:
                params[key] = value
        if PUBLIC_NOMINATIM in settings.NOMINATIM_URL:  # an office's own server sets its pace
            with NominatimProvider._lock:
                wait = NominatimProvider._last_request + self.MIN_INTERVAL - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                NominatimProvider._last_request = time.monotonic()
        answer = http_get_json(settings.NOMINATIM_URL.rstrip("/") + "/search", params)
        if not answer:
            return None
        best = answer[0]
        return GeocodeResult(
            float(best["lat"]), float(best["lon"]), self.name, best["display_name"]
        )


PROVIDERS: dict[str, Provider] = {
    provider.name: provider for provider in (LocalProvider(), CensusProvider(), NominatimProvider())
}


def configured_providers() -> list[Provider]:
    unknown = [name for name in settings.GEOCODERS if name not in PROVIDERS]
    if unknown:
        raise ImproperlyConfigured(
            f"CIVICDESK_GEOCODERS names {', '.join(unknown)}; use some of {', '.join(PROVIDERS)}."
        )
    return [PROVIDERS[name] for name in settings.GEOCODERS]


def geocode(
    office: Any,
    *,
    line1: str,
    city: str = "",
    region: str = "",
    postcode: str = "",
    country: str = "US",
) -> GeocodeResult | None:
    """The position of an address from the first provider that knows it, or None."""
    if not (line1 or "").strip():
        return None
    query = AddressQuery(line1.strip(), city.strip(), region.strip(), postcode.strip(), country)
    for provider in configured_providers():
        result = provider.lookup(office, query)
        if result is not None:
            return result
    return None
