import io

import pytest

from civicdesk.constituents import services, tasks
from civicdesk.constituents.models import Address, AddressDistrict
from civicdesk.constituents.tests.conftest import make_person, square_layer
from civicdesk.core.errors import NotAllowed
from civicdesk.geo.models import AddressPoint, District
from civicdesk.jobs.models import JobState
from civicdesk.jobs.services import claim_job, run_claimed_job


def run(job):
    return run_claimed_job(claim_job(job.pk))


def place(person, lat: float, lon: float = -77.025) -> Address:
    """Move an address without going through the services (as an import would)."""
    address = person.addresses.get()
    Address.objects.filter(pk=address.pk).update(latitude=lat, longitude=lon)
    return address


@pytest.fixture
def residents(ward1):
    return [
        make_person(ward1, "In", "South", address={"line1": "1 A St"}),
        make_person(ward1, "In", "North", address={"line1": "2 A St"}),
        make_person(ward1, "Far", "Away", address={"line1": "3 A St"}),
        make_person(ward1, "No", "Position", address={"line1": "4 A St"}),
    ]


def test_the_job_puts_every_address_in_its_district(ward1, adam, residents, ward2, wren):
    layer, south, north = square_layer(ward1)
    place(residents[0], 38.905)
    place(residents[1], 38.915)
    place(residents[2], 39.5)
    other_layer, *_ = square_layer(ward2)

    job = run(services.start_district_assignment(ward1, by=adam, layer=layer))

    assert job.state == JobState.SUCCEEDED
    assert job.result == {"layers": ["Ward"], "addresses": 3, "in_a_district": 2, "outside": 1}
    assert (job.done, job.total) == (3, 3)
    links = dict(AddressDistrict.objects.values_list("address__person__last_name", "district"))
    assert links == {"South": south.pk, "North": north.pk}


def test_running_again_after_the_map_changes_reassigns(ward1, adam, residents):
    layer, south, north = square_layer(ward1)
    place(residents[0], 38.905)
    run(services.start_district_assignment(ward1, by=adam))
    # The map is redrawn: "North" now covers the south square too.
    District.objects.filter(pk=north.pk).update(
        geometry={"type": "Polygon", "coordinates": [[[-77.03, 38.9], [-77.02, 38.9],
                  [-77.02, 38.92], [-77.03, 38.92], [-77.03, 38.9]]]}
    )  # fmt: skip
    District.objects.filter(pk=south.pk).delete()
    layer.save()  # a new imported_at would come with a real import; forget the cached shapes
    from civicdesk.geo.services import forget_layer_shapes

    forget_layer_shapes(layer.pk)
    run(services.start_district_assignment(ward1, by=adam))

    assert list(AddressDistrict.objects.values_list("district", flat=True)) == [north.pk]


def test_an_address_that_lost_its_position_leaves_its_district(ward1, adam, residents):
    square_layer(ward1)
    address = place(residents[0], 38.905)
    run(services.start_district_assignment(ward1, by=adam))
    Address.objects.filter(pk=address.pk).update(latitude=None, longitude=None)

    run(services.start_district_assignment(ward1, by=adam))

    assert AddressDistrict.objects.count() == 0


def test_chunks_and_progress(ward1, adam, residents, monkeypatch):
    monkeypatch.setattr(tasks, "CHUNK", 1)
    square_layer(ward1)
    for person in residents[:3]:
        place(person, 38.905)

    job = run(services.start_district_assignment(ward1, by=adam))

    assert (job.done, job.total, job.result["in_a_district"]) == (3, 3, 3)


def test_only_admins_start_a_reassignment(ward1, alice):
    with pytest.raises(NotAllowed):
        services.start_district_assignment(ward1, by=alice)


def test_geocoding_job_positions_what_the_address_file_knows(ward1, manny, residents, settings):
    settings.GEOCODERS = ["local"]
    layer, south, _north = square_layer(ward1)
    AddressPoint.objects.create(office=ward1, normalized="1 A ST", label="1 A St",
                                latitude=38.905, longitude=-77.025)  # fmt: skip

    job = run(services.start_geocoding(ward1, by=manny))

    assert job.result == {"addresses": 4, "geocoded": 1, "not_found": 3}
    address = residents[0].addresses.get()
    assert (address.latitude, address.geocode_source) == (38.905, "local")
    assert address.district_links.get().district == south
    assert job.messages[-1]["text"] == "3 addresses were not found; drop their pins by hand."


def test_the_people_command_reindexes_and_assigns(ward1, residents, john):
    from django.core.management import call_command

    from civicdesk.constituents import queries
    from civicdesk.constituents.models import Person, SearchKey

    Person.objects.update(search_text="", sort_name="")
    SearchKey.objects.all().delete()
    call_command("people", "reindex", office="ward-1", stdout=io.StringIO())
    assert [hit.person for hit in queries.search_people(ward1, "Jonh Smtih")][:1] == [john]

    square_layer(ward1)
    place(residents[0], 38.905)
    out = io.StringIO()
    call_command("people", "assign-districts", office="ward-1", layer="ward", stdout=out)
    assert "'in_a_district': 1" in out.getvalue()
    assert AddressDistrict.objects.count() == 1


def test_the_demo_builds_the_same_people_on_the_dc_wards_for_the_same_seed(ward1, ward2):
    from civicdesk.constituents.demo import build_people
    from civicdesk.constituents.models import Interaction, Person

    def contents(office) -> list[tuple]:
        return list(
            Person.objects.for_office(office)
            .order_by("pk")
            .values_list("first_name", "last_name", "search_text", "household__name")
        )

    first = build_people(ward1, seed=5, count=120)
    build_people(ward2, seed=5, count=120)

    assert contents(ward1) == contents(ward2)
    assert (first.people, first.interactions) == (
        120,
        Interaction.objects.for_office(ward1).count(),
    )
    in_wards = AddressDistrict.objects.filter(office=ward1, layer_id=first.layer_id)
    assert in_wards.count() == 120  # every demo address falls in a ward
    assert in_wards.values("district").distinct().count() == 8


def test_the_people_command_takes_a_layer_by_name_or_slug_in_any_case(ward1, residents):
    from django.core.management import CommandError, call_command

    square_layer(ward1, name="City Wards")
    place(residents[0], 38.905)
    for given in ("City Wards", "city wards", "CITY WARDS"):
        out = io.StringIO()
        call_command("people", "assign-districts", office="ward-1", layer=given, stdout=out)
        assert "City Wards" in out.getvalue()
    assert AddressDistrict.objects.count() == 1

    with pytest.raises(CommandError) as caught:
        call_command(
            "people", "assign-districts", office="ward-1", layer="wards", stdout=io.StringIO()
        )
    assert "its layers: City Wards (city wards)" in str(caught.value)
