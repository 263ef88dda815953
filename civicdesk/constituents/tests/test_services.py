import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from civicdesk.audit.models import AuditEvent
from civicdesk.constituents import services
from civicdesk.constituents.models import (
    Address,
    AddressDistrict,
    CustomField,
    EmailAddress,
    Household,
    Person,
    PersonTag,
    Phone,
)
from civicdesk.constituents.tests.conftest import make_person, make_tag, square_layer
from civicdesk.constituents.validation import AddressIn, EmailIn, PhoneIn
from civicdesk.core.errors import DomainError, NotAllowed
from civicdesk.geo.models import AddressPoint


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


# ---------------------------------------------------------------- creating people


def test_create_person_normalizes_contact_points_and_makes_the_first_primary(ward1, alice):
    person = services.create_person(
        ward1,
        by=alice,
        fields={"first_name": " Ana ", "last_name": "Núñez", "language": "es"},
        emails=[EmailIn(" Ana@Example.ORG "), EmailIn("ana.work@example.org", kind="work")],
        phones=[PhoneIn("(202) 555-0147"), PhoneIn("+44 20 7946 0958", kind="work")],
        addresses=[AddressIn("1420 U St NW", city="Washington", region="DC", postcode="20009")],
    )

    assert person.first_name == "Ana"
    assert list(person.emails.order_by("id").values_list("email", "is_primary")) == [
        ("ana@example.org", True),
        ("ana.work@example.org", False),
    ]
    assert list(person.phones.order_by("id").values_list("number", "is_primary")) == [
        ("+12025550147", True),
        ("+442079460958", False),
    ]
    assert person.addresses.get().is_primary is True
    assert person.sort_name == "nunez ana"
    assert " ana@example.org " in person.search_text
    assert person.version == 1
    assert person.created_by == alice


def test_invalid_email_and_phone_get_a_message_naming_them_and_nothing_is_saved(ward1, alice):
    with pytest.raises(ValidationError) as caught:
        services.create_person(
            ward1,
            by=alice,
            fields={"first_name": "Ana", "last_name": "Núñez"},
            emails=[EmailIn("ana@@example")],
            phones=[PhoneIn("555-12")],
        )

    assert caught.value.message_dict == {
        "__all__": [
            "“ana@@example” is not a valid email address.",
            "“555-12” is not a valid phone number.",
        ]
    }
    assert Person.objects.count() == 0


def test_two_primary_emails_are_refused(ward1, alice):
    with pytest.raises(ValidationError) as caught:
        services.create_person(
            ward1,
            by=alice,
            fields={"last_name": "Okafor"},
            emails=[
                EmailIn("a@example.org", is_primary=True),
                EmailIn("b@example.org", is_primary=True),
            ],
        )

    assert caught.value.messages == ["Only one email address can be primary."]


def test_a_person_needs_a_name_and_a_plausible_birth_year(ward1, alice):
    with pytest.raises(ValidationError) as caught:
        services.create_person(ward1, by=alice, fields={"birth_year": 1700})

    assert caught.value.message_dict["last_name"] == ["Give at least a first or a last name."]
    assert "birth_year" in caught.value.message_dict or "__all__" in caught.value.message_dict


def test_birth_date_sets_birth_year_and_cannot_be_in_the_future(ward1, alice):
    person = make_person(ward1, "Mei", "Chen", by=alice, birth_date=dt.date(1980, 5, 17))
    assert person.birth_year == 1980

    with pytest.raises(ValidationError) as caught:
        make_person(
            ward1, "Mei", "Chen", by=alice, birth_date=timezone.localdate() + dt.timedelta(days=2)
        )
    assert caught.value.message_dict == {"birth_date": ["A date of birth cannot be in the future."]}


def test_create_person_is_audited_with_its_values(ward1, alice, john):
    person = make_person(ward1, "Omar", "Haddad", by=alice, email="omar@example.org")

    event = AuditEvent.objects.filter(action="person.created", object_id=str(person.pk)).get()
    assert event.actor == alice
    assert event.changes["first_name"] == [None, "Omar"]
    assert event.changes["emails"] == [None, ["omar@example.org (home, primary)"]]


def test_a_volunteer_cannot_create_people(ward1, victor):
    with pytest.raises(NotAllowed):
        make_person(ward1, "Omar", "Haddad", by=victor)
    assert Person.objects.count() == 0


# ---------------------------------------------------------------- editing people


def test_update_person_saves_bumps_the_version_and_audits_the_diff(john, alice):
    updated = services.update_person(
        john, by=alice, version=1, fields={"first_name": "Johnny", "is_vip": True}
    )

    assert (updated.first_name, updated.is_vip, updated.version) == ("Johnny", True, 2)
    assert updated.sort_name == "smith johnny"
    event = events("person.changed")[-1]
    assert event.changes == {"first_name": ["John", "Johnny"], "is_vip": [False, True]}
    assert event.actor == alice


def test_an_edit_on_an_old_version_is_refused_naming_who_changed_it(john, alice, manny):
    services.update_person(john, by=manny, version=1, fields={"first_name": "Jon"})

    with pytest.raises(services.EditConflict) as caught:
        services.update_person(john, by=alice, version=1, fields={"last_name": "Smyth"})

    assert caught.value.code == "edit_conflict"
    assert caught.value.changed_by == "Manny Moreno"
    assert caught.value.changed_at is not None
    assert caught.value.message.startswith("Manny Moreno changed this person (")
    john.refresh_from_db()
    assert (john.first_name, john.last_name, john.version) == ("Jon", "Smith", 2)


def test_lists_left_none_are_unchanged_and_given_lists_replace(john, alice):
    email_id = john.emails.get().pk
    services.update_person(john, by=alice, version=1, fields={}, phones=[PhoneIn("202.555.0199")])

    assert john.emails.get().pk == email_id
    assert list(john.phones.values_list("number", flat=True)) == ["+12025550199"]
    assert events("person.changed")[-1].changes == {
        "phones": [["+12025550147 (mobile, primary)"], ["+12025550199 (mobile, primary)"]]
    }


def test_an_unchanged_address_keeps_its_position_and_districts(ward1, alice):
    layer, inside, _outside = square_layer(ward1)
    person = make_person(
        ward1, "Ana", "Núñez", by=alice,
        address={"line1": "1 Main St", "latitude": 38.905, "longitude": -77.025},
    )  # fmt: skip
    address = person.addresses.get()
    assert address.district_links.get().district == inside

    services.update_person(
        person, by=alice, version=1, fields={},
        addresses=[AddressIn("1 Main St", kind="work"), AddressIn("9 Side St")],
    )  # fmt: skip

    kept = Address.objects.get(pk=address.pk)
    assert (kept.kind, kept.latitude, kept.is_primary) == ("work", 38.905, True)
    assert kept.district_links.get().district == inside
    assert person.addresses.count() == 2


def test_an_edit_that_changes_nothing_keeps_the_version(john, alice):
    updated = services.update_person(john, by=alice, version=1, fields={"first_name": "John"})
    assert updated.version == 1
    assert events("person.changed") == []


def test_only_managers_may_mark_a_person_of_concern(john, alice, manny):
    with pytest.raises(NotAllowed):
        services.update_person(john, by=alice, version=1, fields={"is_of_concern": True})

    updated = services.update_person(
        john, by=manny, version=1, fields={"is_of_concern": True, "concern_reason": "Threats."}
    )
    assert (updated.is_of_concern, updated.concern_reason) == (True, "Threats.")


def test_delete_person_needs_a_manager_and_is_audited(john, alice, manny, potholes):
    services.tag_people(john.office, person_ids=[john.pk], tag_ids=[potholes.pk], by=alice)
    with pytest.raises(NotAllowed):
        services.delete_person(john, by=alice)

    person_id = john.pk
    services.delete_person(john, by=manny)

    assert not Person.objects.filter(pk=person_id).exists()
    assert EmailAddress.objects.count() == 0
    event = events("person.deleted")[-1]
    assert event.object_id == str(person_id)
    assert event.changes["last_name"] == ["Smith", None]
    potholes.refresh_from_db()
    assert potholes.usage_count == 0


# ---------------------------------------------------------------- custom fields


@pytest.fixture
def custom_fields(ward1, adam):
    return [
        services.define_custom_field(ward1, by=adam, key="households", label="Households",
                                     field_type="number"),
        services.define_custom_field(ward1, by=adam, key="edition", label="Newsletter edition",
                                     field_type="choice", choices=["Print", "Email"]),
        services.define_custom_field(ward1, by=adam, key="captain", label="Block captain",
                                     field_type="yes_no"),
        services.define_custom_field(ward1, by=adam, key="since", label="Volunteer since",
                                     field_type="date"),
        services.define_custom_field(ward1, by=adam, key="interests", label="Interests",
                                     field_type="multi_choice", choices=["Parks", "Schools"]),
    ]  # fmt: skip


def test_custom_values_are_checked_and_stored_as_json(ward1, alice, custom_fields):
    person = make_person(
        ward1, "Ana", "Núñez", by=alice,
        custom={"households": "12", "edition": "Print", "captain": "yes", "since": "2020-03-01",
                "interests": ["Schools", "Parks"]},
    )  # fmt: skip

    assert person.custom == {
        "households": 12,
        "edition": "Print",
        "captain": True,
        "since": "2020-03-01",
        "interests": ["Parks", "Schools"],
    }


def test_bad_custom_values_get_a_message_per_field(ward1, alice, custom_fields):
    with pytest.raises(ValidationError) as caught:
        make_person(
            ward1, "Ana", "Núñez", by=alice,
            custom={"households": "abc", "edition": "Fax", "since": "01/03/2020", "shoe": "9"},
        )  # fmt: skip

    assert caught.value.message_dict == {
        "custom_households": ["Households: “abc” is not a number."],
        "custom_edition": ["Newsletter edition: “Fax” is not one of Print, Email."],
        "custom_since": ["Volunteer since: “01/03/2020” is not a date; write it as YYYY-MM-DD."],
        "custom_shoe": ["“shoe” is not a custom field of this office."],
    }


def test_custom_values_given_replace_the_old_ones(ward1, alice, adam, custom_fields):
    person = make_person(ward1, "Ana", "Núñez", by=alice, custom={"households": 2, "captain": True,
                                                                   "edition": "Print"})  # fmt: skip
    custom_fields[1].is_active = False  # "edition" is retired: its value stays, out of sight
    custom_fields[1].save()

    updated = services.update_person(
        person, by=alice, version=1, fields={"custom": {"households": 3, "captain": None}}
    )

    assert updated.custom == {"households": 3, "edition": "Print"}


def test_a_choice_field_needs_choices_and_keys_are_unique(ward1, adam, alice, custom_fields):
    with pytest.raises(ValidationError) as caught:
        services.define_custom_field(ward1, by=adam, key="edition", label="E", field_type="choice")
    assert caught.value.message_dict == {
        "key": ["The office already has a field “edition”."],
        "choices": ["A choice field needs at least two choices."],
    }
    with pytest.raises(NotAllowed):
        services.define_custom_field(ward1, by=alice, key="x", label="X", field_type="text")


# ---------------------------------------------------------------- tags


def test_bulk_tagging_counts_changes_keeps_usage_counts_and_audits_once(
    ward1, alice, potholes, parks
):
    people = [make_person(ward1, f"P{i}", "Lee") for i in range(3)]
    ids = [p.pk for p in people]

    assert (
        services.tag_people(ward1, person_ids=ids, tag_ids=[potholes.pk, parks.pk], by=alice) == 6
    )
    assert services.tag_people(ward1, person_ids=ids, tag_ids=[potholes.pk], by=alice) == 0
    potholes.refresh_from_db()
    assert potholes.usage_count == 3
    [event] = events("person.tagged")
    assert event.changes == {
        "person_ids": ids,
        "tag_ids": sorted([potholes.pk, parks.pk]),
        "added": 6,
    }

    assert services.untag_people(ward1, person_ids=ids[:2], tag_ids=[potholes.pk], by=alice) == 2
    potholes.refresh_from_db()
    assert potholes.usage_count == 1
    assert events("person.untagged")[0].changes["removed"] == 2


def test_tags_and_people_of_another_office_are_refused(ward1, ward2, alice, john, wren, potholes):
    other_tag = make_tag(ward2, "Noise")
    with pytest.raises(DomainError):
        services.tag_people(ward1, person_ids=[john.pk], tag_ids=[other_tag.pk], by=alice)
    # Another office's people are simply not found: nothing to tag.
    assert services.tag_people(ward1, person_ids=[wren.pk], tag_ids=[potholes.pk], by=alice) == 0
    assert PersonTag.objects.count() == 0


# ---------------------------------------------------------------- households, relationships


def test_households_group_people_and_every_move_is_audited(ward1, alice, john):
    ana = make_person(ward1, "Ana", "Smith")
    household = services.create_household(
        ward1,
        by=alice,
        name="The Smiths",
        joint_salutation="Dear John and Ana",
        member_ids=[john.pk, ana.pk],
    )

    assert set(household.members.values_list("pk", flat=True)) == {john.pk, ana.pk}
    services.remove_from_household(ana, by=alice)
    assert list(household.members.all()) == [john]
    assert [e.changes for e in events("person.household_changed")][-1] == {
        "household": [household.pk, None]
    }
    assert events("household.created")[0].changes["joint_salutation"] == [None, "Dear John and Ana"]


def test_a_household_cannot_take_another_offices_person(ward1, alice, wren):
    with pytest.raises(DomainError):
        services.create_household(ward1, by=alice, name="Mixed", member_ids=[wren.pk])
    assert Household.objects.count() == 0


def test_relationships_to_people_and_organizations(ward1, alice, john):
    ana = make_person(ward1, "Ana", "Smith")
    agency = services.create_organization(
        ward1, by=alice, fields={"name": "DC Water", "kind": "agency", "phone": "202 555 0100",
                                 "website": "dcwater.example.gov"}
    )  # fmt: skip
    assert (agency.phone, agency.website) == ("+12025550100", "https://dcwater.example.gov")

    spouse = services.add_relationship(john, by=alice, kind="spouse", other_person=ana)
    liaison = services.add_relationship(
        ana, by=alice, kind="employee", organization=agency, title="Liaison"
    )

    assert list(agency.contacts.all()) == [liaison]
    with pytest.raises(ValidationError):
        services.add_relationship(john, by=alice, kind="self", other_person=john)
    services.remove_relationship(spouse, by=alice)
    assert [e.action for e in AuditEvent.objects.filter(object_id=str(john.pk)).order_by("seq")][
        -2:
    ] == [
        "person.relationship_added",
        "person.relationship_removed",
    ]


def test_organization_email_is_checked(ward1, alice):
    with pytest.raises(ValidationError) as caught:
        services.create_organization(ward1, by=alice, fields={"name": "DPW", "email": "dpw@"})
    assert caught.value.message_dict == {"email": ["“dpw@” is not a valid email address."]}


# ---------------------------------------------------------------- ids, consent, positions, history


def test_an_external_id_belongs_to_one_person_and_is_searchable(ward1, alice, john):
    services.add_external_id(john, by=alice, system="voter", value="DC-0042")
    john.refresh_from_db()
    assert " dc-0042 " in john.search_text

    ana = make_person(ward1, "Ana", "Smith")
    with pytest.raises(DomainError) as caught:
        services.add_external_id(ana, by=alice, system="voter", value="DC-0042")
    assert caught.value.message == "voter id DC-0042 already belongs to John Smith."


def test_consent_is_recorded_per_channel_with_a_diff(john, alice):
    services.set_consent(john, by=alice, channel="email", is_granted=True, source="web form",
                         given_on=dt.date(2025, 1, 5))  # fmt: skip
    services.set_consent(john, by=alice, channel="email", is_granted=False, source="phone call",
                         given_on=dt.date(2025, 6, 1))  # fmt: skip

    assert john.consents.get().is_granted is False
    assert events("person.consent_set")[-1].changes == {
        "consent.email.is_granted": [True, False],
        "consent.email.source": ["web form", "phone call"],
        "consent.email.given_on": ["2025-01-05", "2025-06-01"],
    }


def test_a_position_needs_an_issue_or_a_bill(john, alice, potholes):
    with pytest.raises(ValidationError):
        services.add_position(john, by=alice, stance="support", noted_on=dt.date(2025, 1, 1))
    position = services.add_position(john, by=alice, stance="oppose", bill_number="b25-0101",
                                     noted_on=dt.date(2025, 1, 1))  # fmt: skip
    assert position.bill_number == "B25-0101"
    services.add_position(
        john, by=alice, stance="support", tag_id=potholes.pk, noted_on=dt.date(2025, 1, 1)
    )


def test_log_interaction_records_who_logged_it_and_refuses_the_future(john, alice):
    now = timezone.now()
    entry = services.log_interaction(
        john,
        by=alice,
        kind="call",
        occurred_at=now,
        subject="Pothole",
        script="Intake",
        outcome="Resolved",
    )
    assert (entry.logged_by, entry.kind, entry.outcome) == (alice, "call", "Resolved")
    assert events("person.interaction_logged")[0].object_id == str(john.pk)

    with pytest.raises(ValidationError) as caught:
        services.log_interaction(
            john, by=alice, kind="call", occurred_at=now + dt.timedelta(days=1)
        )
    assert caught.value.message_dict == {
        "occurred_at": ["That is in the future; log what already happened."]
    }


# ---------------------------------------------------------------- positions and districts


def test_a_new_address_with_a_position_gets_its_district(ward1, alice):
    layer, inside, _outside = square_layer(ward1)
    person = make_person(
        ward1, "Ana", "Núñez", by=alice,
        address={"line1": "1 Main St", "latitude": 38.905, "longitude": -77.025},
    )  # fmt: skip

    link = AddressDistrict.objects.get(address__person=person)
    assert (link.layer, link.district) == (layer, inside)


def test_a_new_address_is_geocoded_from_the_office_address_file(ward1, alice, settings):
    settings.GEOCODERS = ["local"]
    square_layer(ward1)
    AddressPoint.objects.create(office=ward1, normalized="1 MAIN ST", label="1 Main St",
                                postcode="20009", latitude=38.905, longitude=-77.025)  # fmt: skip

    person = make_person(ward1, "Ana", "Núñez", by=alice, address={"line1": "1 Main Street"})

    address = person.addresses.get()
    assert (address.latitude, address.longitude, address.geocode_source) == (
        38.905,
        -77.025,
        "local",
    )
    assert address.district_links.count() == 1


def test_pin_drop_moves_the_address_to_another_district(ward1, alice):
    _layer, inside, outside = square_layer(ward1)
    person = make_person(
        ward1, "Ana", "Núñez", by=alice,
        address={"line1": "1 Main St", "latitude": 38.905, "longitude": -77.025},
    )  # fmt: skip
    address = person.addresses.get()

    services.set_address_position(address, by=alice, latitude=38.915, longitude=-77.025)

    address.refresh_from_db()
    assert address.geocode_source == "manual"
    assert address.district_links.get().district == outside
    assert events("person.address_positioned")[0].changes["latitude"] == [38.905, 38.915]


def test_phones_are_stored_in_e164(john):
    assert Phone.objects.get(person=john).number == "+12025550147"


# ---------------------------------------------------------------- review fixes


def test_a_deprecated_tag_is_refused_by_name_and_a_merged_one_puts_its_target(
    ward1, alice, john, potholes, parks
):
    old = make_tag(ward1, "Old roads")
    old.is_deprecated = True
    old.save()
    merged = make_tag(ward1, "Pot holes")
    merged.is_deprecated, merged.merged_into = True, potholes
    merged.save()

    with pytest.raises(DomainError) as caught:
        services.tag_people(ward1, person_ids=[john.pk], tag_ids=[old.pk, parks.pk], by=alice)
    assert caught.value.code == "tag_deprecated"
    assert "Old roads" in caught.value.message
    assert not PersonTag.objects.exists()

    assert services.tag_people(ward1, person_ids=[john.pk], tag_ids=[merged.pk], by=alice) == 1
    assert list(john.tag_links.values_list("tag_id", flat=True)) == [potholes.pk]
    # Taking a deprecated tag off people stays possible.
    assert services.untag_people(ward1, person_ids=[john.pk], tag_ids=[old.pk], by=alice) == 0


def test_create_person_refuses_deprecated_and_other_office_tags(ward1, ward2, alice):
    old = make_tag(ward1, "Old roads")
    old.is_deprecated = True
    old.save()
    for tag in (old, make_tag(ward2, "Noise")):
        with pytest.raises(DomainError):
            services.create_person(
                ward1, by=alice, fields={"last_name": "Okafor"}, tag_ids=[tag.pk]
            )
    assert not Person.objects.filter(last_name="Okafor").exists()


def test_moving_an_address_pin_in_an_edit_is_audited_and_bumps_the_version(ward1, alice):
    _layer, south, north = square_layer(ward1)
    where = {"line1": "1 Main St", "latitude": 38.905, "longitude": -77.025}
    person = make_person(ward1, "Ana", "Núñez", by=alice, address=where)

    moved = services.update_person(
        person, by=alice, version=1, fields={},
        addresses=[AddressIn(**{**where, "latitude": 38.915})],
    )  # fmt: skip

    assert moved.version == 2
    assert person.addresses.get().district_links.get().district == north
    before, after = events("person.changed")[0].changes["addresses"]
    assert "38.905000,-77.025000" in before[0]
    assert "38.915000,-77.025000 (given)" in after[0]


def test_geocoding_happens_before_the_save_transaction_opens(ward1, alice, settings, monkeypatch):
    from types import SimpleNamespace

    from django.db import connection

    settings.GEOCODERS = ["census"]
    outer = len(connection.atomic_blocks)  # the test's own transaction
    depths = []

    def fake_geocode(office, **address):
        depths.append(len(connection.atomic_blocks) - outer)
        return SimpleNamespace(lat=38.905, lon=-77.025, source="census")

    monkeypatch.setattr(services.geocoding, "geocode", fake_geocode)
    person = make_person(ward1, "Ana", "Núñez", by=alice, address={"line1": "1 Main St"})
    services.update_person(
        person, by=alice, version=1, fields={},
        addresses=[AddressIn(line1="1 Main St"), AddressIn(line1="2 Oak Ave")],
    )  # fmt: skip

    assert depths == [0, 0]  # once per new address, never inside a transaction
    assert sorted(person.addresses.values_list("geocode_source", flat=True)) == [
        "census",
        "census",
    ]


def test_an_edit_conflict_carries_who_when_and_the_current_version(john, alice, manny):
    services.update_person(john, by=manny, version=1, fields={"first_name": "Jon"})
    with pytest.raises(services.EditConflict) as caught:
        services.update_person(john, by=alice, version=1, fields={"last_name": "Smyth"})
    details = caught.value.details
    assert (details["changed_by"], details["current_version"]) == ("Manny Moreno", 2)
    assert dt.datetime.fromisoformat(details["changed_at"]) == caught.value.changed_at


def test_update_custom_field_changes_label_choices_order_and_is_audited(
    ward1, adam, alice, custom_fields
):
    ward = CustomField.objects.get(office=ward1, key="edition")
    services.update_custom_field(
        ward, by=adam, label="Ward (2026)", choices=["1", "2", "3"], position=5, is_active=False
    )
    ward.refresh_from_db()
    assert (ward.label, ward.choices, ward.position, ward.is_active) == (
        "Ward (2026)", ["1", "2", "3"], 5, False,
    )  # fmt: skip
    assert events("customfield.changed")[0].changes["label"][1] == "Ward (2026)"

    with pytest.raises(ValidationError) as caught:
        services.update_custom_field(ward, by=adam, label=" ", choices=["only"])
    assert set(caught.value.message_dict) == {"label", "choices"}
    with pytest.raises(NotAllowed):
        services.update_custom_field(ward, by=alice, label="Mine")
    assert services.update_custom_field(ward, by=adam) == ward
    assert AuditEvent.objects.filter(action="customfield.changed").count() == 1
