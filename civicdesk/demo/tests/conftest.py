from functools import partial

import pytest

from civicdesk.demo.management.commands import demo
from civicdesk.demo.services import build_demo_office

DEMO_PEOPLE = 40


@pytest.fixture(autouse=True)
def small_demo_city(monkeypatch):
    """The command's demo city of 20,000 people takes minutes; the same code with 40 does not."""
    monkeypatch.setattr(demo, "build_demo_office", partial(build_demo_office, people=DEMO_PEOPLE))
