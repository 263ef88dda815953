"""vCard 4.0: a person's card read back with a small RFC 6350 parser (unfold, split the
property line, unescape), through the page and the API; folding and escaping on their own."""

import re

import pytest

from civicdesk.audit.models import AuditEvent
from civicdesk.exports import vcard

# ---------------------------------------------------------------- a tiny RFC 6350 reader


def unfold(text: str) -> list[str]:
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")  # every line ends with CRLF
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def split_unescaped(value: str, separator: str) -> list[str]:
    parts, current, escaped = [], "", False
    for char in value:
        if escaped:
            current += "\\" + char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m[1] in "nN" else m[1], value)


def parse_cards(text: str) -> list[list[tuple[str, dict[str, str], str]]]:
    """[(NAME, {PARAM: value}, raw value)] per card."""
    cards, card = [], None
    for line in unfold(text):
        head, _sep, value = line.partition(":")
        # A quoted parameter value may hold a colon (GEO="geo:..."): split after the quotes.
        if head.count('"') % 2:
            rest, _sep, value = value.partition('"')
            head += ":" + rest + '"'
            value = value.removeprefix(":")
        name, *params = head.split(";")
        param_map = dict(p.split("=", 1) for p in params)
        if name == "BEGIN":
            card = []
        elif name == "END":
            cards.append(card)
        else:
            card.append((name, param_map, value))
    return cards


def props(card, name: str) -> list[tuple[dict[str, str], str]]:
    return [(params, value) for prop, params, value in card if prop == name]


# ---------------------------------------------------------------- escaping and folding


def test_escaping_of_text_values():
    assert vcard.escape("Smith, Jr.; \\ the\nsecond\r\nline") == (
        "Smith\\, Jr.\\; \\\\ the\\nsecond\\nline"
    )


def test_a_long_line_folds_at_75_octets_without_cutting_a_character():
    line = "NOTE:" + "é" * 100  # two octets each: a fold must not land inside one
    folded = vcard.fold(line)
    physical = folded.split("\r\n")

    assert all(len(part.encode()) <= 75 for part in physical)
    assert all(part.startswith(" ") for part in physical[1:])
    assert "".join([physical[0], *(p[1:] for p in physical[1:])]) == line


def test_a_short_line_is_not_folded():
    assert vcard.fold("FN:Jo") == "FN:Jo"


# ---------------------------------------------------------------- one person's card


def test_a_persons_vcard_holds_their_names_contacts_and_address(web, alice, john):
    response = web(alice).get(f"/exports/people/{john.pk}/vcard/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/vcard; charset=utf-8"
    assert 'filename="jack-smith-jr.vcf"' in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    [card] = parse_cards(text)
    assert props(card, "VERSION") == [({}, "4.0")]
    assert props(card, "FN") == [({}, "Mr. John Quincy Smith Jr.")]
    assert props(card, "N") == [({}, "Smith;John;Quincy;Mr.;Jr.")]
    assert props(card, "NICKNAME") == [({}, "Jack")]
    assert props(card, "BDAY") == [({}, "19610412")]
    assert props(card, "GENDER") == [({}, "M")]
    assert props(card, "EMAIL") == [
        ({"TYPE": "work", "PREF": "1"}, "john.smith@example.org"),
        ({"TYPE": "home"}, "jack@example.net"),
    ]
    assert props(card, "TEL") == [
        ({"VALUE": "uri", "TYPE": "cell", "PREF": "1"}, "tel:+12025550147")
    ]
    [(params, value)] = props(card, "ADR")
    assert params == {"TYPE": "home", "PREF": "1", "GEO": '"geo:38.905000,-77.025000"'}
    assert [unescape(c) for c in split_unescaped(value, ";")] == [
        "", "", "1420 U Street NW,Apt 4", "Washington", "DC", "20009", "US",
    ]  # fmt: skip
    [(_p, uid)] = props(card, "UID")
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", uid)
    assert uid == vcard.person_uid(john.office_id, john.pk)
    [(_p, rev)] = props(card, "REV")
    assert rev == john.updated_at.strftime("%Y%m%dT%H%M%SZ")
    assert props(card, "NOTE") == []


def test_the_uid_is_stable_and_differs_between_people_and_offices():
    assert vcard.person_uid(1, 7) == vcard.person_uid(1, 7)
    assert len({vcard.person_uid(1, 7), vcard.person_uid(1, 8), vcard.person_uid(2, 7)}) == 3


def test_special_characters_are_escaped_and_read_back(web, alice, ward1):
    from civicdesk.constituents import services

    person = services.create_person(
        ward1, by=None,
        fields={"first_name": "Ann; Marie", "last_name": "O'Neil, \\Esq", "gender": "non-binary",
                "preferred_name": "Annie " + "x" * 90},
    )  # fmt: skip

    text = b"".join(web(alice).get(f"/exports/people/{person.pk}/vcard/").streaming_content)
    [card] = parse_cards(text.decode())

    [(_p, n)] = props(card, "N")
    assert [unescape(c) for c in split_unescaped(n, ";")] == [
        "O'Neil, \\Esq", "Ann; Marie", "", "", "",
    ]  # fmt: skip
    assert unescape(props(card, "NICKNAME")[0][1]) == "Annie " + "x" * 90
    assert props(card, "GENDER") == [({}, "O;non-binary")]
    assert all(len(line.encode()) <= 75 for line in text.decode().split("\r\n"))


def test_the_vcard_is_audited(web, alice, john):
    web(alice).get(f"/exports/people/{john.pk}/vcard/")

    event = AuditEvent.objects.get(action="person.exported")
    assert (event.object_id, event.changes, event.actor_id) == (
        str(john.pk), {"format": "vcard"}, alice.pk,
    )  # fmt: skip


def test_another_offices_person_has_no_vcard(web, api, alice, wren):
    assert web(alice).get(f"/exports/people/{wren.pk}/vcard/").status_code == 404
    assert api(alice).get(f"/api/v1/people/{wren.pk}/vcard").status_code == 404
    assert not AuditEvent.objects.filter(action="person.exported").exists()


def test_a_volunteer_may_not_read_a_vcard(web, victor, john):
    assert web(victor).get(f"/exports/people/{john.pk}/vcard/").status_code == 403


def test_the_api_sends_the_vcard(api, alice, john):
    response = api(alice).get(f"/api/v1/people/{john.pk}/vcard")

    assert response.status_code == 200
    [card] = parse_cards(b"".join(response.streaming_content).decode())
    assert props(card, "FN") == [({}, "Mr. John Quincy Smith Jr.")]


@pytest.mark.parametrize(
    ("gender", "expected"),
    [("Female", "F"), ("m", "M"), ("unknown", "U"), ("", None), ("two-spirit", "O;two-spirit")],
)
def test_gender_maps_to_the_sex_component(gender, expected):
    assert (vcard._gender(gender) or None) == expected
