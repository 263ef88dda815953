"""The warning before a duplicate is added: staff creating a person see the people who look
alike and confirm with "Create anyway"; import rows get the same answer from similar_people."""

import datetime as dt

from django.urls import reverse

from civicdesk.constituents import panels
from civicdesk.constituents.models import Person
from civicdesk.constituents.tests.test_views import person_form_data
from civicdesk.dedupe import services
from civicdesk.tabular.mapping import PersonRecord

from .conftest import make_person


def john_again(**overrides) -> dict:
    return person_form_data(
        **{
            "first_name": "John",
            "last_name": "Smith",
            "emails-0-email": "john.smith@example.org",
            "phones-0-number": "(202) 555-0147",
            "addresses-0-line1": "1420 U Street NW",
            **overrides,
        }
    )


def test_the_form_warns_about_a_likely_duplicate_and_saves_nothing(web, alice, john):
    response = web(alice).post(reverse("constituents:person-create"), john_again())

    assert response.status_code == 200
    similar = response.context["similar"]
    assert [hit["id"] for hit in similar] == [john.pk]
    assert similar[0]["url"] == reverse("constituents:person-detail", args=[john.pk])
    assert similar[0]["address"] == "1420 U Street NW, Washington, 20009"
    assert "This person may already be here" in response.text
    assert 'name="confirm_new" value="1"' in response.text
    assert "Some fields need a look" not in response.text
    assert Person.objects.count() == 1


def test_create_anyway_adds_the_person(web, alice, john):
    response = web(alice).post(reverse("constituents:person-create"), john_again(confirm_new="1"))

    assert response.status_code == 302
    assert Person.objects.filter(first_name="John", last_name="Smith").count() == 2


def test_someone_new_is_added_without_a_warning(web, alice, john):
    response = web(alice).post(reverse("constituents:person-create"), person_form_data())

    assert response.status_code == 302
    assert Person.objects.filter(last_name="Chen").count() == 1


def test_another_offices_people_never_show(web, carol, john):
    response = web(carol).post(reverse("constituents:person-create"), john_again())

    assert response.status_code == 302  # Ward 2 had nobody like him: added at once
    assert Person.objects.filter(office=carol.office).count() == 1


def test_a_typo_in_the_name_at_the_same_address_is_found(ward1, john):
    draft = {
        "first_name": "Jon", "last_name": "Smith", "birth_date": dt.date(1970, 5, 4),
        "addresses": [("1420 U Street NW", "Washington", "20009")],
    }  # fmt: skip

    assert [hit["id"] for hit in panels.similar_people(ward1, draft)] == [john.pk]


def test_a_name_alone_shared_by_strangers_is_not_a_duplicate(ward1, john):
    draft = {"first_name": "John", "last_name": "Smith", "birth_date": dt.date(1990, 1, 1),
             "emails": ["other.john@example.org"],
             "addresses": [("77 Main Street", "Springfield", "62701")]}  # fmt: skip

    assert panels.similar_people(ward1, draft) == []


def test_an_import_row_gets_the_same_answer(ward1, ward2, john):
    make_person(ward2, "John", "Smith", emails=["john.smith@example.org"])
    row = PersonRecord(first_name="John", last_name="Smith", email="john.smith@example.org",
                       phone="+12025550147")  # fmt: skip

    found = services.similar_people(ward1, row)

    assert [hit["id"] for hit in found] == [john.pk]
    assert found[0]["percent"] >= 90
