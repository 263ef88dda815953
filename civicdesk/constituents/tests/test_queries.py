import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from civicdesk.audit.models import AuditEvent
from civicdesk.constituents import queries, services
from civicdesk.constituents.models import Person
from civicdesk.constituents.queries import PersonFilter
from civicdesk.constituents.tests.conftest import make_person, square_layer


def names(page) -> list[str]:
    return [person.display_name for person in page.items]


# ---------------------------------------------------------------- one person


def test_get_person_prefetches_everything_and_audits_the_view(
    alice, john, django_assert_max_num_queries
):
    with django_assert_max_num_queries(16):
        person = queries.get_person(alice, john.pk)
        emails = [e.email for e in person.emails.all()]
        districts = [
            link.district for a in person.addresses.all() for link in a.district_links.all()
        ]
        tags = [link.tag for link in person.tag_links.all()]
        household = person.household

    assert (emails, districts, tags, household) == (["john.smith@example.org"], [], [], None)
    event = AuditEvent.objects.get(action="person.viewed")
    assert (event.actor, event.object_id) == (alice, str(john.pk))


def test_another_offices_person_is_404_like_a_missing_one(alice, wren):
    with pytest.raises(Http404):
        queries.get_person(alice, wren.pk)
    with pytest.raises(Http404):
        queries.get_person(alice, 999_999)
    assert not AuditEvent.objects.filter(action="person.viewed").exists()


def test_a_volunteer_cannot_open_a_person(victor, john):
    with pytest.raises(PermissionDenied):
        queries.get_person(victor, john.pk)


def test_the_timeline_pages_newest_first_without_gaps(alice, john):
    start = timezone.now() - dt.timedelta(days=10)
    for i in range(7):
        # Two entries share each moment: the id breaks the tie.
        services.log_interaction(john, by=alice, kind="call", occurred_at=start + dt.timedelta(days=i // 2),
                                 subject=f"call {i}")  # fmt: skip

    seen, before = [], None
    while True:
        page = queries.person_timeline(john, limit=3, before=before)
        if not page:
            break
        seen += [entry.subject for entry in page]
        before = (page[-1].occurred_at, page[-1].pk)

    assert seen == ["call 6", "call 5", "call 4", "call 3", "call 2", "call 1", "call 0"]


# ---------------------------------------------------------------- lists


@pytest.fixture
def people(ward1, alice, potholes, parks, john, wren):
    layer, south, north = square_layer(ward1)
    made = {
        "ana": make_person(ward1, "Ana", "Alvarez", language="es", is_vip=True,
                           address={"line1": "1 Main St", "latitude": 38.905, "longitude": -77.025}),
        "ben": make_person(ward1, "Ben", "Brown", do_not_call=True,
                           address={"line1": "2 Main St", "latitude": 38.915, "longitude": -77.025}),
        "cy": make_person(ward1, "Cy", "Chen", language="es"),
        "john": john,
    }  # fmt: skip
    services.tag_people(
        ward1, person_ids=[made["ana"].pk, made["ben"].pk], tag_ids=[potholes.pk], by=alice
    )
    services.tag_people(ward1, person_ids=[made["ana"].pk], tag_ids=[parks.pk], by=alice)
    made["south"], made["north"] = south, north
    return made


def test_filters_combine(ward1, people, potholes, parks):
    def listed(**given) -> list[str]:
        return names(queries.person_list(ward1, filter=PersonFilter(**given)))

    assert listed() == ["Ana Alvarez", "Ben Brown", "Cy Chen", "John Smith"]
    assert listed(language="es") == ["Ana Alvarez", "Cy Chen"]
    assert listed(flags=["is_vip"]) == ["Ana Alvarez"]
    assert listed(flags=["do_not_call"], language="es") == []
    assert listed(district_id=people["north"].pk) == ["Ben Brown"]
    assert listed(tag_ids=[potholes.pk, parks.pk]) == ["Ana Alvarez", "Ben Brown"]
    assert listed(tag_ids=[potholes.pk, parks.pk], tag_mode="all") == ["Ana Alvarez"]
    assert listed(tag_ids=[potholes.pk], tag_mode="none") == ["Cy Chen", "John Smith"]
    assert listed(text="alv") == ["Ana Alvarez"]
    assert listed(text="(202) 555-0147") == ["John Smith"]


def test_an_unknown_flag_is_a_programming_error(ward1, people):
    with pytest.raises(ValueError, match="is_famous"):
        queries.person_list(ward1, filter=PersonFilter(flags=["is_famous"]))


@pytest.mark.parametrize("order", ["name", "-name", "updated", "-updated"])
def test_keyset_pages_cover_everyone_once_in_order(ward1, ward2, order):
    for i in range(11):
        make_person(ward1, f"P{i:02d}", "Same" if i % 3 else "Other")
    make_person(ward2, "Never", "Shown")
    everyone = names(queries.person_list(ward1, filter=PersonFilter(), order=order, limit=100))

    seen, cursor, pages = [], None, 0
    while True:
        page = queries.person_list(ward1, filter=PersonFilter(), order=order, after=cursor, limit=4)
        seen += names(page)
        pages += 1
        assert page.total_count == 11
        cursor = page.next_cursor
        if cursor is None:
            break

    assert seen == everyone
    assert (len(set(seen)), pages) == (11, 3)
    assert "Never Shown" not in seen


def test_a_cursor_of_another_order_is_refused(ward1):
    for i in range(3):
        make_person(ward1, f"P{i}", "Lee")
    page = queries.person_list(ward1, filter=PersonFilter(), order="name", limit=1)
    with pytest.raises(queries.BadCursor):
        queries.person_list(ward1, filter=PersonFilter(), order="-updated", after=page.next_cursor)
    with pytest.raises(queries.BadCursor):
        queries.person_list(ward1, filter=PersonFilter(), after="not-a-cursor")


def test_a_list_page_costs_a_fixed_number_of_queries(ward1, people, django_assert_num_queries):
    for i in range(20):
        make_person(ward1, f"P{i}", "Lee", email=f"p{i}@example.org")
    with django_assert_num_queries(6):  # count, page, emails, phones, addresses, tags
        page = queries.person_list(ward1, filter=PersonFilter(), limit=10)
        [(list(p.emails.all()), list(p.tag_links.all())) for p in page.items]


def test_organizations_and_households_stay_in_their_office(ward1, ward2, alice, carol, john, wren):
    services.create_organization(ward1, by=alice, fields={"name": "DC Water", "kind": "agency"})
    services.create_organization(ward2, by=carol, fields={"name": "Ward 2 Water", "kind": "agency"})
    services.create_household(ward2, by=carol, name="The Smiths", member_ids=[wren.pk])

    assert [o.name for o in queries.organization_list(ward1, kind="agency")] == ["DC Water"]
    assert list(queries.household_list(ward1)) == []
    with pytest.raises(Http404):
        queries.get_organization(alice, queries.organization_list(ward2).get().pk)
    assert Person.objects.for_office(ward1).count() == 1


def test_the_text_filter_matches_street_words_like_the_search_box(ward1, john):
    neighbours = [
        make_person(ward1, "Nia", f"Neighbour {n}", address={"line1": f"{n} U Street NW"})
        for n in range(1, 6)
    ]
    make_person(ward1, "Far", "Away", address={"line1": "9 Oak Avenue"})
    wanted = PersonFilter(text="u street")
    assert john in [hit.person for hit in queries.search_people(ward1, "u street")]

    seen, cursor = [], None
    while True:  # keyset pages of two: every match once, in order
        page = queries.person_list(ward1, filter=wanted, order="name", after=cursor, limit=2)
        seen += page.items
        cursor = page.next_cursor
        if cursor is None:
            break
    assert page.total_count == 6
    assert seen == sorted([john, *neighbours], key=lambda p: (p.sort_name, p.pk))
    assert queries.person_list(ward1, filter=PersonFilter(text="oak avenue")).total_count == 1
