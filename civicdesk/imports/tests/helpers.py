"""What the pipeline's tests share: the state voter-file samples, files written on the fly,
a batch run to the end through the services, a map of square districts, and a dump of an
office's people that leaves out ids and timestamps (two imports compare equal)."""

import json
from pathlib import Path
from typing import Any

from civicdesk.accounts.models import Office
from civicdesk.constituents.models import (
    Address,
    AddressDistrict,
    EmailAddress,
    ExternalId,
    Person,
    PersonTag,
    Phone,
)
from civicdesk.geo import services as geo_services
from civicdesk.imports import services
from civicdesk.imports.models import ImportBatch
from civicdesk.tabular.mapping import PRESETS, load_mapping

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO / "tests" / "data" / "voter-files" / "synthetic-samples"
STATES = ("nc", "fl", "oh", "ny", "nj", "de", "ut", "ok")


def sample(state: str) -> Path:
    return SAMPLES / f"{state}.csv"


def write_file(folder: Path, name: str, rows: list[list[str]], *, delimiter: str = ",",
               encoding: str = "utf-8") -> Path:  # fmt: skip
    path = folder / name
    text = "".join(delimiter.join(row) + "\n" for row in rows)
    path.write_bytes(text.encode(encoding))
    return path


def prepared_batch(office: Office, path: Path, *, by: Any = None, mapping: Any = "nc",
                   match_rules: list[str] | None = None, tag_name: str = "") -> ImportBatch:  # fmt: skip
    """A batch uploaded, its shape set as the preset says, mapped: ready to start."""
    batch = services.create_batch(office, by=by, uploaded=path)
    if isinstance(mapping, str) and mapping in PRESETS:
        hint = PRESETS[mapping].shape_hint
        batch = services.change_shape(
            batch, by=by, has_header=hint.get("header"), delimiter=hint.get("delimiter")
        )
        mapping = load_mapping(mapping)
    return services.set_mapping(
        batch, by=by, mapping=mapping, match_rules=match_rules, tag_name=tag_name
    )


def import_file(office: Office, path: Path, **options: Any) -> ImportBatch:
    """Upload, map, start and run a file to the end (in this process); the finished batch."""
    chunk_size = options.pop("chunk_size", None)
    by = options.get("by")
    batch = prepared_batch(office, path, **options)
    services.start_import(batch, by=by)
    batch.refresh_from_db()
    return services.run_here(batch, chunk_size=chunk_size)


def counts(batch: ImportBatch) -> tuple[int, int, int, int]:
    batch.refresh_from_db()
    return (batch.created, batch.updated, batch.unchanged, batch.failed)


def square(x: float, y: float, size: float = 1.0) -> dict:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def make_layer(office: Office, name: str, districts: list[tuple[str, str, dict]]) -> Any:
    """A layer of districts (name, code, geometry), imported as an admin would."""
    features = [
        {"type": "Feature", "properties": {"name": n, "code": c}, "geometry": g}
        for n, c, g in districts
    ]
    source = json.dumps({"type": "FeatureCollection", "features": features})
    return geo_services.import_layer(
        office, name=name, source=source, name_property="name", code_property="code", by=None
    ).layer


def dump(office_id: int) -> list[dict]:
    """The office's people with their contact points, addresses, districts, ids and tags,
    without ids or timestamps, sorted: equal for two imports that ended the same."""
    people = []
    for person in Person.objects.filter(office_id=office_id).order_by("pk"):
        addresses = Address.objects.filter(person=person).order_by("-is_primary", "line1")
        people.append({
            "name": [person.prefix, person.first_name, person.middle_name, person.last_name,
                     person.suffix],
            "born": [str(person.birth_date), person.birth_year],
            "gender": person.gender,
            "custom": person.custom,
            "sort_name": person.sort_name,
            "search_text": person.search_text,
            "version": person.version,
            "emails": sorted(EmailAddress.objects.filter(person=person).values_list(
                "email", "is_primary")),
            "phones": sorted(Phone.objects.filter(person=person).values_list(
                "number", "is_primary")),
            "ids": sorted(ExternalId.objects.filter(person=person).values_list("system", "value")),
            "addresses": [
                [a.line1, a.line2, a.city, a.region, a.postcode, a.country, a.is_primary,
                 a.latitude, a.longitude, a.geocode_source,
                 sorted(AddressDistrict.objects.filter(address=a).values_list(
                     "layer__slug", "district__name"))]
                for a in addresses
            ],
            "tags": sorted(PersonTag.objects.filter(person=person).values_list(
                "tag__name", flat=True)),
        })  # fmt: skip
    return sorted(people, key=lambda p: json.dumps(p, sort_keys=True, default=str))
