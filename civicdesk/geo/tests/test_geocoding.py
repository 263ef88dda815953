"""Geocoding without a network: the local provider reads address points; the remote ones get
stubbed answers through `http_get_json`, the only function that would touch the network."""

import io
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from civicdesk.geo import geocoding
from civicdesk.geo.geocoding import GeocodeResult, geocode, normalize_address, without_unit
from civicdesk.geo.models import AddressPoint, GeocodeCache
from civicdesk.geo.services import import_address_points
from civicdesk.settings import GEOCODER_NAMES, checked_geocoders

CENSUS_MATCH = {
    "result": {
        "addressMatches": [
            {
                "matchedAddress": "1350 PENNSYLVANIA AVE NW, WASHINGTON, DC, 20004",
                "coordinates": {"x": -77.0313, "y": 38.8951},
            }
        ]
    }
}
CENSUS_NO_MATCH = {"result": {"addressMatches": []}}
NOMINATIM_MATCH = [{"lat": "38.8950", "lon": "-77.0312", "display_name": "John A. Wilson Building"}]


class StubHttp:
    """Answers `http_get_json` calls from a list, and remembers them."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls: list[tuple[str, dict]] = []

    def __call__(self, url, params, **options):
        self.calls.append((url, params))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to reach the network")

    monkeypatch.setattr(geocoding, "urlopen", refuse)
    monkeypatch.setattr(geocoding.NominatimProvider, "MIN_INTERVAL", 0)


@pytest.fixture
def stub(monkeypatch):
    def install(*answers) -> StubHttp:
        fake = StubHttp(*answers)
        monkeypatch.setattr(geocoding, "http_get_json", fake)
        return fake

    return install


@pytest.fixture
def address_file(ward1):
    rows = (
        "ADDRESS,LAT,LON,ZIP\n"
        "1350 PENNSYLVANIA AVENUE NW,38.8951,-77.0313,20004\n"
        "100 MAIN STREET,38.90,-77.00,20001\n"
        "100 MAIN STREET,38.95,-77.10,20016\n"
        "12 FIRST STREET NE,38.89,-77.005,20002\n"
    )
    return import_address_points(
        ward1, io.StringIO(rows), address_column="ADDRESS", lat_column="LAT", lon_column="LON",
        postcode_column="ZIP", by=None,
    )  # fmt: skip


# ---------------------------------------------------------------- normalization


@pytest.mark.parametrize(
    "typed",
    [
        "1350 Pennsylvania Ave NW",
        "1350 PENNSYLVANIA AVENUE NW",
        "1350 pennsylvania ave., n.w.",
        "1350  Pennsylvania   Av  Northwest",
    ],
)
def test_spellings_of_one_address_normalize_alike(typed):
    assert normalize_address(typed) == "1350 PENNSYLVANIA AVE NW"


def test_normalization_of_ordinals_units_and_accents():
    assert normalize_address("12 First Street N.E., Apartment 4") == "12 1ST ST NE APT 4"
    assert normalize_address("5 Calle Peña #2") == "5 CALLE PENA # 2"
    assert without_unit("1350 PENNSYLVANIA AVE NW STE 400") == "1350 PENNSYLVANIA AVE NW"
    assert without_unit("12 1ST ST NE") == "12 1ST ST NE"


# ---------------------------------------------------------------- the local provider


def test_the_local_provider_matches_a_differently_written_address(ward1, address_file):
    assert address_file.count == 4

    found = geocode(ward1, line1="1350 Pennsylvania Ave NW", city="Washington", region="DC")

    assert found == GeocodeResult(38.8951, -77.0313, "local", "1350 PENNSYLVANIA AVENUE NW")


def test_a_unit_falls_back_to_the_building(ward1, address_file):
    found = geocode(ward1, line1="12 First St. NE, Suite 300")

    assert (found.lat, found.lon) == (38.89, -77.005)


def test_an_address_in_two_places_needs_its_postcode(ward1, address_file):
    assert geocode(ward1, line1="100 Main St") is None
    assert geocode(ward1, line1="100 Main St", postcode="20016-1234").lat == 38.95


def test_another_offices_address_points_are_not_used(ward2, address_file):
    assert geocode(ward2, line1="1350 Pennsylvania Ave NW") is None


def test_importing_points_again_replaces_them(ward1, address_file):
    result = import_address_points(
        ward1, io.StringIO("A,Y,X\n1 Elm St,38.9,-77\n,38.9,-77\n"), address_column="A",
        lat_column="Y", lon_column="X", by=None,
    )  # fmt: skip

    assert (result.count, result.skipped, result.replaced) == (1, 1, 4)
    assert list(AddressPoint.objects.values_list("normalized", flat=True)) == ["1 ELM ST"]


# ---------------------------------------------------------------- remote providers, stubbed


def test_census_is_asked_when_configured_and_its_answer_cached(ward1, settings, stub):
    settings.GEOCODERS = ["local", "census"]
    http = stub(CENSUS_MATCH)

    first = geocode(ward1, line1="1350 Pennsylvania Ave NW", city="Washington", region="DC",
                    postcode="20004")  # fmt: skip
    again = geocode(ward1, line1="1350 PENNSYLVANIA AVENUE NW", city="Washington", region="DC",
                    postcode="20004")  # fmt: skip

    assert (
        first
        == again
        == GeocodeResult(
            38.8951, -77.0313, "census", "1350 PENNSYLVANIA AVE NW, WASHINGTON, DC, 20004"
        )
    )
    assert len(http.calls) == 1  # the second answer came from the cache
    url, params = http.calls[0]
    assert url == geocoding.CENSUS_URL
    assert params["address"] == "1350 Pennsylvania Ave NW, Washington, DC 20004"
    assert GeocodeCache.objects.get().provider == "census"


def test_a_not_found_answer_is_cached_too(ward1, settings, stub):
    settings.GEOCODERS = ["census"]
    http = stub(CENSUS_NO_MATCH)

    assert geocode(ward1, line1="1 Nowhere Ln") is None
    assert geocode(ward1, line1="1 Nowhere Ln") is None
    assert len(http.calls) == 1
    assert GeocodeCache.objects.get().latitude is None


def test_a_network_failure_is_not_cached_and_the_next_provider_is_asked(ward1, settings, stub):
    settings.GEOCODERS = ["census", "nominatim"]
    http = stub(geocoding.GeocoderUnavailable("timed out"), NOMINATIM_MATCH)

    found = geocode(ward1, line1="1350 Pennsylvania Ave NW", city="Washington", region="DC")

    assert found == GeocodeResult(38.895, -77.0312, "nominatim", "John A. Wilson Building")
    assert [call[0] for call in http.calls] == [
        geocoding.CENSUS_URL,
        "https://nominatim.openstreetmap.org/search",
    ]
    assert http.calls[1][1] == {
        "street": "1350 Pennsylvania Ave NW",
        "format": "jsonv2",
        "limit": "1",
        "city": "Washington",
        "state": "DC",
        "countrycodes": "us",
    }
    assert list(GeocodeCache.objects.values_list("provider", flat=True)) == ["nominatim"]


def test_local_answers_before_remote_providers_are_asked(ward1, address_file, settings, stub):
    settings.GEOCODERS = ["local", "census"]
    http = stub()

    assert geocode(ward1, line1="1350 Pennsylvania Avenue NW").source == "local"
    assert http.calls == []


def test_census_only_answers_for_the_united_states(ward1, settings, stub):
    settings.GEOCODERS = ["census"]
    http = stub()

    assert geocode(ward1, line1="1 Grey Street", city="Newcastle", country="GB") is None
    assert http.calls == []


def test_an_unknown_provider_is_a_configuration_error(ward1, settings):
    settings.GEOCODERS = ["local", "google"]

    with pytest.raises(ImproperlyConfigured, match="CIVICDESK_GEOCODERS names google"):
        geocode(ward1, line1="1 Main St")


def test_settings_refuse_a_misspelt_provider_listing_the_valid_names():
    with pytest.raises(ImproperlyConfigured) as refused:
        checked_geocoders(["local", "nominatum"])

    assert str(refused.value) == (
        "CIVICDESK_GEOCODERS names 'nominatum', which is not a geocoder; "
        "use some of local, census, nominatim."
    )
    assert checked_geocoders(["census", "local"]) == ["census", "local"]


def test_the_settings_know_every_provider_and_no_other():
    assert set(GEOCODER_NAMES) == set(geocoding.PROVIDERS)


@pytest.mark.django_db(False)
def test_a_misspelt_provider_stops_the_start(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "civicdesk.settings",
           "CIVICDESK_VAR_DIR": str(tmp_path), "CIVICDESK_GEOCODERS": "local,censsus"}  # fmt: skip
    started = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "civicdesk", "check"], env=env, capture_output=True, timeout=60
    )

    assert started.returncode != 0
    assert b"CIVICDESK_GEOCODERS names 'censsus'" in started.stderr


def test_http_is_only_http(ward1):
    with pytest.raises(geocoding.GeocoderUnavailable, match="Only http"):
        geocoding.http_get_json("file:///etc/passwd", {})


def test_http_asks_with_a_timeout_and_an_identifying_user_agent(monkeypatch, settings):
    settings.GEOCODER_TIMEOUT = 7
    seen = {}

    def fake_urlopen(request, timeout):
        seen.update(url=request.full_url, timeout=timeout, agent=request.get_header("User-agent"))
        return io.BytesIO(b'{"ok": true}')

    monkeypatch.setattr(geocoding, "urlopen", fake_urlopen)

    assert geocoding.http_get_json("https://geocoder.example/search", {"q": "1 Main St"}) == {
        "ok": True
    }
    assert seen == {
        "url": "https://geocoder.example/search?q=1+Main+St",
        "timeout": 7,
        "agent": geocoding.USER_AGENT,
    }


def test_http_failures_become_geocoder_unavailable(monkeypatch):
    def timing_out(request, timeout):
        raise TimeoutError("timed out")

    monkeypatch.setattr(geocoding, "urlopen", timing_out)

    with pytest.raises(geocoding.GeocoderUnavailable, match="TimeoutError: timed out"):
        geocoding.http_get_json("https://geocoder.example/search", {})


@pytest.mark.parametrize(
    ("url", "sleeps"),
    [("https://nominatim.openstreetmap.org", 1), ("https://nominatim.office.example", 0)],
)
def test_only_the_public_nominatim_server_is_paced(ward1, settings, stub, monkeypatch, url, sleeps):
    settings.GEOCODERS, settings.NOMINATIM_URL = ["nominatim"], url
    slept = []
    monkeypatch.setattr(geocoding.time, "sleep", slept.append)
    monkeypatch.setattr(geocoding.NominatimProvider, "MIN_INTERVAL", 1.0)
    monkeypatch.setattr(geocoding.NominatimProvider, "_last_request", geocoding.time.monotonic())
    stub(NOMINATIM_MATCH)

    assert geocode(ward1, line1="1350 Pennsylvania Ave NW").source == "nominatim"
    assert len(slept) == sleeps
    assert all(0 < seconds <= 1 for seconds in slept)
