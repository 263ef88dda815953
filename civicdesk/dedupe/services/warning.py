"""People who look like someone about to be added: the warning of the person form and of import
rows. Candidates come from indexed lookups only (the exact email, the exact phone number, the
sort name's beginning, the street address with its postcode), at most CANDIDATES of them; the
engine ranks them with the office's learned weights. A few milliseconds at a million people."""

import math
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.urls import reverse

from civicdesk.accounts.models import Office
from civicdesk.constituents.validation import words
from civicdesk.dedupe import engine, queries
from civicdesk.dedupe.models import DedupeSettings

__all__ = ["CANDIDATES", "check_draft", "office_model", "similar_people"]

CANDIDATES = 200
SHOWN = 5
DRAFT_ID = 0  # the record about to be added: no person has id 0
# Per lookup: how many people it may bring (the total stays under CANDIDATES).
PER_EMAIL, PER_PHONE, PER_NAME, PER_SWAPPED, PER_INITIAL, PER_ADDRESS = 20, 20, 60, 20, 40, 10

# (office id, created_at) -> (read at, learned_at, model): the stored model is read again after
# a scan has learned a new one, checked at most every MODEL_CHECK_SECONDS (a warning must stay
# fast). created_at tells an office from a later one given the same id (tests roll back).
_MODELS: dict[tuple, tuple[float, datetime | None, Any]] = {}
MODEL_CHECK_SECONDS = 30.0


def office_model(office: Office) -> Any:
    """The office's learned engine.Model (the engine's defaults before its first scan)."""
    key = (office.pk, office.created_at)
    cached = _MODELS.get(key)
    now = time.monotonic()
    if cached is not None and now - cached[0] < MODEL_CHECK_SECONDS:
        return cached[2]
    settings = DedupeSettings.objects.filter(office=office)
    learned_at = settings.values_list("learned_at", flat=True).first()
    if cached is not None and cached[1] == learned_at:
        _MODELS[key] = (now, learned_at, cached[2])
        return cached[2]
    stored = settings.values_list("model", flat=True).first()
    model = engine.Model.from_dict(stored) if stored else engine.Model.default()
    _MODELS[key] = (now, learned_at, model)
    return model


def _folded(text: str) -> str:
    return " ".join(words(text or ""))


def _lookups(
    *,
    first_name: str,
    last_name: str,
    emails: Sequence[str],
    phones: Sequence[str],
    addresses: Sequence[Sequence[str]],
) -> list[queries.Lookup]:
    found = []
    emails = [e.strip().lower() for e in emails[:5] if e and e.strip()]
    if emails:
        found.append(queries.Lookup("email", tuple(emails), PER_EMAIL))
    phones = [p.strip() for p in phones[:5] if p and p.strip()]
    if phones:
        found.append(queries.Lookup("phone", tuple(phones), PER_PHONE))
    first, last = _folded(first_name), _folded(last_name)
    if last:
        found.append(queries.Lookup("name", (f"{last} {first}".strip(),), PER_NAME))
        if first:
            found.append(queries.Lookup("name", (f"{last} {first[0]}",), PER_INITIAL))
    if first and last:  # first and last name typed the wrong way round
        found.append(queries.Lookup("name", (f"{first} {last}",), PER_SWAPPED))
    for line1, _city, postcode in list(addresses)[:3]:
        if line1 and line1.strip():
            found.append(
                queries.Lookup("address", (line1.strip(), (postcode or "").strip()), PER_ADDRESS)
            )
    return found


def _address_line(values: dict[str, Any]) -> str:
    if not values["addresses"]:
        return ""
    line1, city, postcode = values["addresses"][0]
    return ", ".join(part for part in (line1, city, postcode) if part)


def _ranked(office: Office, record: Any, ids: list[int], limit: int) -> list[dict]:
    if not ids:
        return []
    values = queries.few_person_values(office, ids)
    candidates = [engine.record_from_values(v) for v in values.values()]
    pairs = engine.rank_candidates(record, candidates, office_model(office))
    found = []
    for pair in pairs[:limit]:
        pk = pair.b if pair.a == DRAFT_ID else pair.a
        person = values.get(int(pk))
        if person is None:
            continue
        name = " ".join(
            part for part in (person["preferred_name"] or person["first_name"],
                              person["last_name"]) if part
        )  # fmt: skip
        found.append({
            "id": person["id"],
            "name": name,
            "address": _address_line(person),
            "probability": round(float(pair.probability), 4),
            "percent": math.floor(100 * float(pair.probability)),
            "url": reverse("constituents:person-detail", args=[person["id"]]),
        })  # fmt: skip
    return found


def check_draft(office: Office, draft: dict[str, Any]) -> list[dict]:
    """The check of constituents' person form (registered in panels.DUPLICATE_CHECKS): the
    office's people most like `draft` (names, birth_date, birth_year, gender, emails, phones in
    E.164, addresses as (line1, city, postcode)), best first, each {"id", "name", "address",
    "probability", "percent", "url"}."""
    values = {
        "id": DRAFT_ID, "first_name": "", "middle_name": "", "last_name": "", "preferred_name": "",
        "birth_date": None, "birth_year": None, "gender": "", "emails": [], "phones": [],
        "addresses": [], "external_ids": [],
    }  # fmt: skip
    values.update({key: draft[key] for key in values if key in draft and draft[key] is not None})
    record = engine.record_from_values(values)
    ids = queries.candidate_ids(office, _lookups(
        first_name=values["first_name"],
        last_name=values["last_name"],
        emails=values["emails"],
        phones=values["phones"],
        addresses=values["addresses"],
    ))  # fmt: skip
    return _ranked(office, record, ids, SHOWN)


def similar_people(office: Office, record: Any, *, limit: int = SHOWN) -> list[dict]:
    """The office's people most like an import row (a tabular.mapping.PersonRecord), best
    first; the same dicts as `check_draft`."""
    compared = engine.record_from_person_record(DRAFT_ID, record)
    ids = queries.candidate_ids(office, _lookups(
        first_name=record.first_name,
        last_name=record.last_name,
        emails=[record.email] if record.email else [],
        phones=[record.phone] if record.phone else [],
        addresses=[(record.line1, record.city, record.postcode)] if record.line1 else [],
    ))  # fmt: skip
    return _ranked(office, compared, ids, limit)
