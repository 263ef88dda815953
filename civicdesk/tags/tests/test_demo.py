from django.core.management import call_command

from civicdesk.tags.demo import VOCABULARY, seed_vocabulary
from civicdesk.tags.models import Tag
from civicdesk.tags.queries import resolve_tag
from civicdesk.tags.tasks import refresh_all_usage_counts

from .factories import make_person, tag_person


def test_the_demo_vocabulary_has_two_levels_and_aliases(ward1):
    tags = seed_vocabulary(ward1)

    expected = sum(1 + len(children) for _, _, children in VOCABULARY)
    assert len(tags) == expected == Tag.objects.for_office(ward1).count()
    assert resolve_tag(ward1, "potholes").path == "Transportation › Street repair"
    assert resolve_tag(ward1, "eviction").path == "Housing › Tenant rights"
    assert resolve_tag(ward1, "Environment › Illegal dumping").name == "Illegal dumping"
    assert {t.path.count("›") for t in tags} == {0, 1}


def test_seeding_twice_adds_nothing(ward1):
    seed_vocabulary(ward1)
    count = Tag.objects.for_office(ward1).count()

    seed_vocabulary(ward1)

    assert Tag.objects.for_office(ward1).count() == count


def test_the_command_seeds_and_recounts(ward1, capsys):
    call_command("tags", "seed", "--office", "ward-1")
    tag_person(make_person(ward1), resolve_tag(ward1, "Parks"))
    call_command("tags", "recount", "--office", "ward-1")

    out = capsys.readouterr().out
    assert f"ward-1: {len(seed_vocabulary(ward1))} tags in the starter vocabulary" in out
    assert "ward-1: 1 usage counts corrected" in out
    assert resolve_tag(ward1, "Parks").usage_count == 1


def test_the_periodic_recount_covers_every_office(ward1, ward2, street_repair, ward2_tag):
    tag_person(make_person(ward1), street_repair)
    tag_person(make_person(ward2), ward2_tag)

    assert refresh_all_usage_counts() == 2
    assert refresh_all_usage_counts() == 0
