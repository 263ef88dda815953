"""Record types whose module does not exist yet wait in the staging table and come in when a
module registers a handler for them."""

import sys
import types

import pytest

from civicdesk.constituents.models import Person
from civicdesk.interchange import handlers, services
from civicdesk.interchange.bringing import bring_in_staged
from civicdesk.interchange.handlers import Result
from civicdesk.interchange.models import StagedRecord
from civicdesk.interchange.queries import staged_summary

from .conftest import line


@pytest.fixture
def events(write_export):
    return write_export(
        {
            "1A": [line("1A", 1, "", "", "Ann", "", "Lee")],
            "7A": [
                line("7A", "E1", "Town hall", "Ann", "", "", "20230401"),
                line("7A", "E2", "Coffee", "Ann", "", "", "20230402"),
            ],
            "7C": [line("7C", "E1", "ann")],
        }  # fmt: skip
    )


def test_types_without_a_module_wait_in_the_staging_table(ward1, events):
    services.import_folder(ward1, events, by=None)

    waiting = StagedRecord.objects.filter(office=ward1, brought_in_at__isnull=True)
    assert sorted(waiting.values_list("record_type", "key")) == [
        ("7A", "E1"), ("7A", "E2"), ("7C", "E1:ann"),
    ]  # fmt: skip
    assert waiting.get(key="E1").fields["Event Description"] == "Town hall"
    assert staged_summary(ward1) == [
        {
            "record_type": "7A",
            "label": "Events",
            "count": 2,
            "has_handler": False,
            "waiting_for": "events",
        },
        {
            "record_type": "7C",
            "label": "Event staff",
            "count": 1,
            "has_handler": False,
            "waiting_for": "events",
        },
    ]


def test_a_module_that_lands_brings_its_staged_records_in(ward1, events, monkeypatch):
    services.import_folder(ward1, events, by=None)
    seen = []

    def bring_in_event(context, record):
        seen.append((record.key, record.fields["Event Description"]))
        person = Person.objects.get(office=context.office)  # stands for the event made
        return Result.imported(person)

    monkeypatch.setitem(handlers.HANDLERS, "7A", bring_in_event)

    report = services.bring_in(ward1, by=None)

    assert seen == [("E1", "Town hall"), ("E2", "Coffee")]
    assert report.rows() == [("7A", [2, 0, 0]), ("7C", [0, 1, 0])]
    brought = StagedRecord.objects.filter(office=ward1, record_type="7A")
    assert all(r.brought_in_at and r.object_type == "constituents.person" for r in brought)
    # Once in, never twice.
    assert services.bring_in(ward1, by=None).totals()["imported"] == 0
    assert len(seen) == 2


def test_handlers_of_a_module_below_are_discovered(monkeypatch):
    module = types.ModuleType("civicdesk.tags.cms_handlers")

    def bring_in_code(context, record):
        return {"outcome": "skipped", "note": "not today"}

    module.HANDLERS = {"7B": bring_in_code}
    monkeypatch.setitem(sys.modules, "civicdesk.tags.cms_handlers", module)
    monkeypatch.setattr(handlers, "HANDLERS", dict(handlers.HANDLERS))

    handlers.discover()

    assert handlers.HANDLERS["7B"] is bring_in_code


def test_a_handler_answering_a_dict_is_understood(ward1, write_export, monkeypatch):
    monkeypatch.setitem(
        handlers.HANDLERS, "7B", lambda context, record: {"outcome": "skipped", "note": "no code"}
    )
    services.import_folder(ward1, write_export({"7B": [line("7B", "E1", "TOWN")]}), by=None)

    assert StagedRecord.objects.get(office=ward1).note == "no code"


def test_bringing_in_is_per_office(ward1, ward2, events, monkeypatch):
    services.import_folder(ward1, events, by=None)
    services.import_folder(ward2, events, by=None)
    monkeypatch.setitem(handlers.HANDLERS, "7A", lambda context, record: Result.imported())

    bring_in_staged(ward1, by=None)

    assert (
        StagedRecord.objects.filter(
            office=ward1, record_type="7A", brought_in_at__isnull=True
        ).count()
        == 0
    )
    assert (
        StagedRecord.objects.filter(
            office=ward2, record_type="7A", brought_in_at__isnull=True
        ).count()
        == 2
    )
