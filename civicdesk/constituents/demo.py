"""Demo constituents: a sample city on the Washington, DC wards with thousands of people,
their households, contact points, tags, positions, organizations and years of history.

Deterministic: the same seed gives the same people (dates count back from today). Rows are
bulk-created in batches (STACK.md: per-row saves and per-row audit events would take minutes);
one audit event records the load. Contact points are fictional: emails at example domains,
phone numbers in the 555-01XX range reserved for fiction.
"""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone
from shapely.geometry import shape

from civicdesk import audit
from civicdesk.accounts.models import Membership, Office
from civicdesk.geo import services as geo_services
from civicdesk.jobs.services import claim_job, run_claimed_job
from civicdesk.tags.models import Tag

from . import search
from .models import (
    Address,
    Channel,
    Consent,
    ContactKind,
    CustomField,
    CustomFieldType,
    Direction,
    EmailAddress,
    ExternalId,
    Household,
    Interaction,
    InteractionKind,
    Organization,
    OrganizationKind,
    Person,
    PersonTag,
    Phone,
    Position,
    Relationship,
    Stance,
)

# In a checkout of the repository; an installed package has no tests/ and falls back to the box.
WARD_FILE = Path(settings.BASE_DIR).parent / "tests" / "data" / "geo" / "ward-2012.geojson"
DC_BOX = (-77.1198, 38.7916, -76.9094, 38.9955)  # lon/lat bounds of the District
CAPITOL = (-77.0090, 38.8899)  # where DC's quadrants (NW, NE, SE, SW) meet
BATCH = 2000

# Long lists read better as text: ruff's SIM905 would put one name on each line.
FIRST_NAMES = {
    "female": (  # noqa: SIM905
        "Maria Aisha Priya Grace Mei Hannah Keisha Nadia Olivia Emma Ava Sophia Isabella Mia "
        "Amelia Harper Evelyn Abigail Emily Ella Elizabeth Camila Luna Sofia Avery Scarlett "
        "Victoria Madison Aria Chloe Layla Penelope Riley Zoey Nora Lily Eleanor Hazel Aurora "
        "Violet Savannah Audrey Brooklyn Bella Claire Skylar Lucy Paisley Anna Caroline "
        "Genesis Aaliyah Kennedy Kinsley Allison Maya Sarah Madelyn Adeline Alexa Ariana "
        "Elena Gabriella Naomi Alice Sadie Hailey Eva Emilia Autumn Quinn Nevaeh Piper Ruby "
        "Serenity Willow Everly Cora Kaylee Lydia Aubrey Arianna Eliana Peyton Melanie Gianna "
        "Isabelle Julia Valentina Nova Clara Vivian Reagan Mackenzie Madeline Brielle Delilah "
        "Isla Rylee Katherine Sophie Josephine Ivy Liliana Jade Maria Taylor Hadley Kylie "
        "Emery Adalynn Natalie Annabelle Faith Alexandra Ximena Ashley Brianna Raelynn Bailey "
        "Mary Athena Andrea Leah Audrina Lucía Fatima Amara Zainab Yetunde Chiamaka Ngozi "
        "Tigist Selam Hiwot Linh Thu Hoa Mai Ji-woo Seo-yeon Yuki Haruka Ananya Deepika "
        "Latoya Tanisha Shanice Ebony Imani Jasmine"
    ).split(),
    "male": (  # noqa: SIM905
        "James Daniel Samuel Omar Robert Luis Viktor Tomás Liam Noah Oliver Elijah William "
        "Lucas Benjamin Henry Alexander Mason Michael Ethan Jacob Logan Jackson Sebastian "
        "Jack Aiden Owen Matthew Wyatt Carter Jayden John Luke Anthony Isaac Dylan Grayson "
        "Levi Julian Gabriel Lincoln Joshua Christopher Andrew Theodore Caleb Ryan Asher "
        "Nathan Thomas Leo Isaiah Charles Josiah Hudson Christian Hunter Connor Eli Ezra "
        "Aaron Landon Adrian Jonathan Nolan Jeremiah Easton Elias Colton Cameron Carson "
        "Robert Angel Maverick Nicholas Dominic Jaxson Greyson Adam Ian Austin Santiago "
        "Jordan Cooper Brayden Roman Evan Ezekiel Xavier Jose Jace Jameson Leonardo Bryson "
        "Axel Everett Parker Kayden Miles Sawyer Jason Mateo Diego Carlos Miguel Alejandro "
        "Javier Kwame Kofi Chinedu Emeka Tariq Yusuf Abebe Dawit Tesfaye Minh Tuan Huy "
        "Min-jun Seo-jun Hiroshi Kenji Arjun Rohan Vikram DeShawn Tyrone Marcus Andre Darnell "
        "Malik Jamal Terrence Reginald Cedric Maurice"
    ).split(),
}
LAST_NAMES = (  # noqa: SIM905
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott "
    "Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter "
    "Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart "
    "Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed "
    "Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray "
    "Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez "
    "Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales "
    "Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds "
    "Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar "
    "Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington "
    "Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson "
    "Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer "
    "Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza "
    "Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley "
    "Spencer Hawkins Arnold Pierce Vazquez Hansen Peters Santos Hart Bradley Knight Okafor "
    "Okonkwo Adeyemi Mensah Asante Tesfaye Haile Bekele Gebremedhin Alemu Wolde Kebede Pham "
    "Le Hoang Vu Dang Park Choi Jung Kang Cho Yoon Tanaka Sato Suzuki Sharma Gupta Singh "
    "Kumar Shah Haddad Khoury Nasser Ibrahim Hassan Ali Kowalski Nowak Dubois Moreau O'Brien "
    "O'Connor Fitzgerald Brennan MacKenzie Delacroix Ñúñez Peña Muñoz-Rivera"
).split()
SUFFIXES = ["Jr.", "Sr.", "II", "III"]
LANGUAGES = [("en", 80), ("es", 11), ("am", 3), ("zh", 2), ("vi", 1.5), ("fr", 1.5), ("ko", 1)]
EMAIL_DOMAINS = ["example.com", "example.org", "example.net", "mail.example", "post.example"]
AREA_CODES = ["202", "202", "202", "771", "301", "240", "703", "571"]
STREETS = (
    [f"{letter} St" for letter in "ABCDEFGHIKLMNOPQRSTUVW"]
    + [
        f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')} St"
        for n in range(1, 51)
    ]  # fmt: skip
    + [
        f"{name} Ave"
        for name in (
            "Massachusetts",
            "Pennsylvania",
            "Connecticut",
            "Wisconsin",
            "Georgia",
            "New Hampshire",
            "Rhode Island",
            "Florida",
            "Vermont",
            "Maryland",
            "Minnesota",
            "Nebraska",
            "Alabama",
            "Benning",
            "Kenilworth",
            "Nannie Helen Burroughs",
            "Good Hope",
            "Martin Luther King Jr",
            "Mississippi",
            "South Dakota",
            "New York",
        )
    ]
    + [
        "Columbia Rd",
        "Park Rd",
        "Kenyon St",
        "Irving St",
        "Harvard St",
        "Newton St",
        "Quincy St",
        "Upshur St",
        "Tuckerman St",
        "Military Rd",
        "Reservoir Rd",
        "Foxhall Rd",
        "Brandywine St",
        "Hayes St",
        "Savannah St",
    ]  # fmt: skip
)
WARD_ZIPS = {
    "1": ["20009", "20010", "20001"],
    "2": ["20005", "20036", "20037", "20006", "20001"],
    "3": ["20008", "20016", "20015"],
    "4": ["20011", "20012"],
    "5": ["20002", "20017", "20018"],
    "6": ["20003", "20024", "20002"],
    "7": ["20019"],
    "8": ["20032", "20020"],
}
INTERACTION_KINDS = [
    (InteractionKind.CALL, 35), (InteractionKind.EMAIL, 25), (InteractionKind.WALK_IN, 10),
    (InteractionKind.LETTER, 10), (InteractionKind.MEETING, 8), (InteractionKind.NOTE, 12),
]  # fmt: skip
SUBJECTS = [
    "Pothole on {street}", "Missed trash pickup on {street}", "Streetlight out near {street}",
    "Question about rent relief", "Noise complaint", "Tree box needs care on {street}",
    "Parking enforcement on {street}", "Rat sightings in the alley", "Bus stop shelter damaged",
    "School enrollment question", "Senior services referral", "Property tax assessment",
    "Invitation to a community meeting", "Thank-you note", "Bike lane on {street}",
    "Speeding on {street}", "Housing inspection request", "DMV appointment help",
    "Water bill dispute", "Snow removal on {street}", "Recreation center hours",
    "Support for the budget amendment", "Opposes the zoning change", "Food assistance",
]  # fmt: skip
NOTES = [
    "Constituent called in; explained the next steps and promised a follow-up.",
    "Referred to the agency liaison. Asked to be kept informed.",
    "Came to the office with neighbours; took photos and a written statement.",
    "Left a voicemail with the agency contact.",
    "Sent the form letter and the agency's fact sheet.",
    "Resolved: the agency confirmed the work was done.",
    "Wants to testify at the next hearing.",
    "",
]
SCRIPTS = ["Constituent intake", "Service request", "Event RSVP", ""]
OUTCOMES = [
    "Resolved",
    "Referred to agency",
    "Left voicemail",
    "Follow-up needed",
    "Information given",
]
BILLS = ["B25-0101", "B25-0230", "B25-0345", "B25-0417", "B25-0512", "PR25-0088"]
ORGANIZATIONS = [
    ("District Department of Transportation", OrganizationKind.AGENCY, "ddot.example.gov"),
    ("Department of Public Works", OrganizationKind.AGENCY, "dpw.example.gov"),
    ("DC Water", OrganizationKind.AGENCY, "dcwater.example.gov"),
    ("Metropolitan Police Department", OrganizationKind.AGENCY, "mpd.example.gov"),
    ("Department of Housing and Community Development", OrganizationKind.AGENCY, "dhcd.example.gov"),
    ("Department of Energy and Environment", OrganizationKind.AGENCY, "doee.example.gov"),
    ("Department of Motor Vehicles", OrganizationKind.AGENCY, "dmv.example.gov"),
    ("DC Public Schools", OrganizationKind.AGENCY, "dcps.example.gov"),
    ("Department of Parks and Recreation", OrganizationKind.AGENCY, "dpr.example.gov"),
    ("Office of Tax and Revenue", OrganizationKind.AGENCY, "otr.example.gov"),
    ("Department of Aging and Community Living", OrganizationKind.AGENCY, "dacl.example.gov"),
    ("Columbia Heights Main Street", OrganizationKind.BUSINESS, "chms.example.org"),
    ("Anacostia Hardware", OrganizationKind.BUSINESS, "anacostiahardware.example.com"),
    ("Eastern Market Merchants Association", OrganizationKind.BUSINESS, "emma.example.org"),
    ("Cardozo Education Campus", OrganizationKind.SCHOOL, "cardozo.example.edu"),
    ("Ballou High School", OrganizationKind.SCHOOL, "ballou.example.edu"),
    ("Wilson Senior High PTA", OrganizationKind.SCHOOL, "wilsonpta.example.org"),
    ("Petworth Community Association", OrganizationKind.COMMUNITY, "petworth.example.org"),
    ("Ward 8 Tenants Union", OrganizationKind.COMMUNITY, "w8tenants.example.org"),
    ("Friends of Rock Creek", OrganizationKind.COMMUNITY, "rockcreekfriends.example.org"),
    ("ANC 1B", OrganizationKind.COMMUNITY, "anc1b.example.org"),
    ("Bread for the City", OrganizationKind.NONPROFIT, "breadforthecity.example.org"),
    ("So Others Might Eat", OrganizationKind.NONPROFIT, "some.example.org"),
    ("Shiloh Baptist Church", OrganizationKind.FAITH, "shiloh.example.org"),
    ("Masjid Muhammad", OrganizationKind.FAITH, "masjid.example.org"),
]  # fmt: skip
AGENCY_TITLES = [
    "Constituent liaison",
    "Ward coordinator",
    "Director",
    "Program manager",
    "Principal",
]


@dataclass
class PeopleDemo:
    people: int
    households: int
    interactions: int
    organizations: int
    layer_id: int | None


def _weighted(rng: random.Random, pairs: list[tuple[Any, float]]) -> Any:
    return rng.choices([value for value, _ in pairs], weights=[weight for _, weight in pairs])[0]


def _ward_shapes() -> list[tuple[str, Any]]:
    """[(ward number, polygon)] from the DC ward file, or [] when it is not there."""
    if not WARD_FILE.exists():
        return []
    import json

    collection = json.loads(WARD_FILE.read_text())
    return sorted(
        (str(feature["properties"]["WARD"]), shape(feature["geometry"]))
        for feature in collection["features"]
    )


def sample_points(seed: int, count: int) -> list[tuple[float, float, str]]:
    """`count` (lon, lat, ward) points: inside the DC wards when the ward file is there (each
    ward gets its share), else anywhere in the District's box (ward "")."""
    generator = np.random.default_rng(seed)
    wards = _ward_shapes()
    if not wards:
        lons = generator.uniform(DC_BOX[0], DC_BOX[2], count)
        lats = generator.uniform(DC_BOX[1], DC_BOX[3], count)
        return [(float(x), float(y), "") for x, y in zip(lons, lats, strict=True)]
    points: list[tuple[float, float, str]] = []
    for at, (ward, polygon) in enumerate(wards):
        wanted = count // len(wards) + (1 if at < count % len(wards) else 0)
        shapely.prepare(polygon)
        x0, y0, x1, y1 = polygon.bounds
        found: list[tuple[float, float, str]] = []
        while len(found) < wanted:
            xs = generator.uniform(x0, x1, wanted * 3)
            ys = generator.uniform(y0, y1, wanted * 3)
            inside = shapely.contains_xy(polygon, xs, ys)
            found += [
                (float(x), float(y), ward) for x, y in zip(xs[inside], ys[inside], strict=True)
            ]
        points += found[:wanted]
    random.Random(seed).shuffle(points)  # noqa: S311  (repeatable demo data)
    return points


def _quadrant(lon: float, lat: float) -> str:
    return ("N" if lat >= CAPITOL[1] else "S") + ("W" if lon <= CAPITOL[0] else "E")


def _phone(rng: random.Random) -> str:
    return f"+1{rng.choice(AREA_CODES)}5550{rng.randint(100, 199)}"


def _email(rng: random.Random, first: str, last: str) -> str:
    local = search.fold(f"{first}.{last}").replace(" ", "").replace("'", "")
    local = "".join(c for c in local if c.isalnum() or c in ".-")
    style = rng.randint(0, 3)
    if style == 1:
        local = f"{local[0]}{local.split('.')[-1]}"
    elif style == 2:
        local = f"{local}{rng.randint(1, 99)}"
    return f"{local}@{rng.choice(EMAIL_DOMAINS)}"


def _converter(field: models.Field) -> Any:
    """None when the column takes the Python value as it is; else a (remembering) converter."""
    if isinstance(field, models.JSONField):
        return lambda value: field.get_db_prep_save(value, connection)
    if isinstance(field, models.DateField):  # and DateTimeField: the same few values repeat
        seen: dict[Any, Any] = {}

        def convert(value: Any) -> Any:
            if value not in seen:
                seen[value] = field.get_db_prep_save(value, connection)
            return seen[value]

        return convert
    return None


def _bulk(model: type, rows: list) -> list:
    """Insert model instances fast: ids given here, values converted only where a column needs
    it, then COPY (PostgreSQL) or executemany (SQLite) — Django's bulk_create spends most of
    its time preparing each value of each row. Meant for a demo office nobody else writes to."""
    if not rows:
        return rows
    table = model._meta.db_table
    fields = model._meta.concrete_fields
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        next_id = (cursor.fetchone()[0] or 0) + 1
    for row in rows:
        row.pk, next_id = next_id, next_id + 1
        for name in ("created_at", "updated_at", "added_at"):
            if hasattr(row, name) and getattr(row, name) is None:
                setattr(row, name, now)
    converters = [_converter(f) for f in fields]
    values = [
        tuple(
            getattr(row, f.attname) if convert is None else convert(getattr(row, f.attname))
            for f, convert in zip(fields, converters, strict=True)
        )
        for row in rows
    ]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)
            for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
                cursor.execute(sql)
        else:
            marks = ", ".join(["%s"] * len(fields))
            insert = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
            for start in range(0, len(values), BATCH):
                cursor.executemany(insert, values[start : start + BATCH])
    for row in rows:
        row._state.adding, row._state.db = False, connection.alias
    return rows


def _when(rng: random.Random, today: date, *, days: int) -> datetime:
    day = today - timedelta(days=rng.randint(0, days))
    moment = time(rng.randint(8, 18), rng.choice((0, 10, 15, 20, 30, 40, 45, 50)))
    return datetime.combine(day, moment, tzinfo=UTC)


def _custom_fields(office: Office) -> list[CustomField]:
    return _bulk(
        CustomField,
        [
            CustomField(office=office, key="block_captain", label="Block captain",
                        field_type=CustomFieldType.YES_NO, position=0),
            CustomField(office=office, key="newsletter_edition", label="Newsletter edition",
                        field_type=CustomFieldType.CHOICE, choices=["Print", "Email", "Both"],
                        position=1),
            CustomField(office=office, key="volunteer_since", label="Volunteer since",
                        field_type=CustomFieldType.DATE, position=2),
            CustomField(office=office, key="interests", label="Interests",
                        field_type=CustomFieldType.MULTI_CHOICE,
                        choices=["Parks", "Schools", "Transit", "Housing", "Safety"], position=3),
        ],
    )  # fmt: skip


def _vocabulary(office: Office) -> list[Tag]:
    from civicdesk.tags.demo import seed_vocabulary

    tags = seed_vocabulary(office)
    leaves = [tag for tag in tags if tag.parent_id is not None]
    return leaves or tags


def _import_wards(office: Office) -> int | None:
    """Import the ward map as the "Ward" layer and run its assignment job at once."""
    if not WARD_FILE.exists():
        return None
    imported = geo_services.import_layer(
        office,
        name="Ward",
        source=WARD_FILE.read_bytes(),
        name_property="NAME",
        code_property="WARD_ID",
        filename=WARD_FILE.name,
        by=None,
    )
    if imported.job is not None:
        claimed = claim_job(imported.job.pk)
        if claimed is not None:
            run_claimed_job(claimed)
    return imported.layer.pk


@transaction.atomic
def build_people(office: Office, *, seed: int, count: int = 20000) -> PeopleDemo:
    """`count` people of a sample city on the DC wards, with everything around them."""
    rng = random.Random(seed)  # noqa: S311  (repeatable demo data, not secrets)
    today = timezone.now().date()  # history counts back from the day the demo is built
    staff = list(Membership.objects.for_office(office).order_by("pk"))
    tags = _vocabulary(office)
    _custom_fields(office)
    points = sample_points(seed, count)

    # People, grouped into households that share a last name and an address.
    people: list[Person] = []
    homes: list[tuple] = []  # per person: lon, lat, line1, zip, street
    groups: list[list[int]] = []
    at = 0
    while at < count:
        size = min(count - at, _weighted(rng, [(1, 62), (2, 24), (3, 9), (4, 5)]))
        last = rng.choice(LAST_NAMES)
        lon, lat, ward = points[at]
        street = f"{rng.choice(STREETS)} {_quadrant(lon, lat)}"
        line1 = f"{rng.randint(100, 5999)} {street}"
        if rng.random() < 0.3:
            line1 += f" Apt {rng.randint(1, 12)}{rng.choice('ABCD')}"
        postcode = rng.choice(WARD_ZIPS.get(ward, ["20001"]))
        members = []
        for _ in range(size):
            gender = rng.choice(("female", "male"))
            first = rng.choice(FIRST_NAMES[gender])
            person = Person(
                office=office,
                first_name=first,
                middle_name=rng.choice(FIRST_NAMES[gender])[0] if rng.random() < 0.2 else "",
                last_name=last,
                suffix=rng.choice(SUFFIXES) if gender == "male" and rng.random() < 0.03 else "",
                birth_year=rng.randint(1935, 2006) if rng.random() < 0.6 else None,
                language=_weighted(rng, LANGUAGES),
                gender=("Female" if gender == "female" else "Male") if rng.random() < 0.5 else "",
                pronouns=("she/her" if gender == "female" else "he/him")
                if rng.random() < 0.25
                else "",
                do_not_email=rng.random() < 0.03,
                do_not_mail=rng.random() < 0.02,
                do_not_call=rng.random() < 0.04,
                do_not_text=rng.random() < 0.05,
                is_deceased=rng.random() < 0.005,
                is_vip=rng.random() < 0.01,
                is_out_of_district=rng.random() < 0.01,
                custom=_custom_values(rng),
            )
            if rng.random() < 0.002:
                person.is_of_concern = True
                person.concern_reason = "Repeated threatening voicemails to staff (see notes)."
            members.append(len(people))
            people.append(person)
            homes.append((lon, lat, line1, postcode, street))
        groups.append(members)
        at += size
    for person in people:
        person.preferred_name = "" if rng.random() > 0.04 else person.first_name[:3]
    households = []
    for members in groups:
        if len(members) < 2:
            continue
        last = people[members[0]].last_name
        firsts = [people[i].first_name for i in members[:2]]
        households.append(
            Household(
                office=office,
                name=f"The {last} household",
                joint_salutation=f"Dear {firsts[0]} and {firsts[1]} {last}",
            )
        )
    _bulk(Household, households)
    multi = iter(households)
    for members in groups:
        if len(members) >= 2:
            household = next(multi)
            for i in members:
                people[i].household = household

    # Contact points.
    emails, phones, addresses, external_ids = [], [], [], []
    contact: list[dict[str, list]] = [
        {"emails": [], "phones": [], "addresses": [], "ids": []} for _ in people
    ]
    for i, person in enumerate(people):
        lon, lat, line1, postcode, _street = homes[i]
        if rng.random() < 0.75:
            contact[i]["emails"].append(_email(rng, person.first_name, person.last_name))
            if rng.random() < 0.1:
                contact[i]["emails"].append(_email(rng, person.first_name, person.last_name))
        if rng.random() < 0.7:
            contact[i]["phones"].append(_phone(rng))
            if rng.random() < 0.15:
                contact[i]["phones"].append(_phone(rng))
        contact[i]["addresses"].append((line1, postcode, lon, lat))
        if rng.random() < 0.6:
            contact[i]["ids"].append(f"DC{seed:02d}{i:07d}")
        person.sort_name = search.sort_name_for(person)
        person.search_text = search.search_text_for(
            person,
            emails=contact[i]["emails"],
            phones=contact[i]["phones"],
            addresses=[(a[0], a[1]) for a in contact[i]["addresses"]],
            external_ids=contact[i]["ids"],
        )
    _bulk(Person, people)
    for i, person in enumerate(people):
        for n, email in enumerate(contact[i]["emails"]):
            kind = ContactKind.HOME if n == 0 else ContactKind.WORK
            emails.append(EmailAddress(office=office, person=person, email=email, kind=kind,
                                       is_primary=n == 0))  # fmt: skip
        for n, number in enumerate(contact[i]["phones"]):
            kind = ContactKind.MOBILE if n == 0 else ContactKind.HOME
            phones.append(Phone(office=office, person=person, number=number, kind=kind,
                                is_primary=n == 0))  # fmt: skip
        for line1, postcode, lon, lat in contact[i]["addresses"]:
            addresses.append(
                Address(office=office, person=person, is_primary=True, line1=line1,
                        city="Washington", region="DC", postcode=postcode, latitude=lat,
                        longitude=lon, geocode_source="demo")
            )  # fmt: skip
        for value in contact[i]["ids"]:
            external_ids.append(ExternalId(office=office, person=person, system="voter",
                                           value=value))  # fmt: skip
    _bulk(EmailAddress, emails)
    _bulk(Phone, phones)
    _bulk(Address, addresses)
    _bulk(ExternalId, external_ids)
    vocabulary = set().union(*(search.vocabulary_words(p.search_text) for p in people))
    search.remember_words(office.pk, vocabulary)

    consents = [
        Consent(office=office, person=people[i], channel=Channel.EMAIL,
                is_granted=rng.random() < 0.8, source=rng.choice(("web form", "sign-up sheet")),
                given_on=today - timedelta(days=rng.randint(10, 1500)))
        for i in range(len(people)) if contact[i]["emails"] and rng.random() < 0.6
    ]  # fmt: skip
    _bulk(Consent, consents)

    # Tags, positions and relationships.
    links = []
    for person in people:
        for tag in rng.sample(
            tags, k=min(len(tags), _weighted(rng, [(0, 30), (1, 40), (2, 20), (3, 10)]))
        ):
            links.append(PersonTag(office=office, person=person, tag=tag,
                                   added_by=rng.choice(staff) if staff else None))  # fmt: skip
    _bulk(PersonTag, links)
    positions = []
    for person in people:
        if rng.random() < 0.1:
            on_bill = rng.random() < 0.4
            positions.append(
                Position(office=office, person=person, stance=_weighted(rng, [
                    (Stance.SUPPORT, 45), (Stance.OPPOSE, 35), (Stance.NEUTRAL, 10),
                    (Stance.UNDECIDED, 10)]),
                    tag=None if on_bill else rng.choice(tags),
                    bill_number=rng.choice(BILLS) if on_bill else "",
                    noted_on=today - timedelta(days=rng.randint(0, 700)),
                    source=rng.choice(("letter", "call", "town hall", "email")))
            )  # fmt: skip
    _bulk(Position, positions)
    organizations = _bulk(
        Organization,
        [
            Organization(office=office, name=name, kind=kind, email=f"info@{domain}",
                         phone=_phone(rng), website=f"https://{domain}/",
                         address=f"{rng.randint(100, 2000)} {rng.choice(STREETS)} NW\nWashington, DC")
            for name, kind, domain in ORGANIZATIONS
        ],
    )  # fmt: skip
    relationships = []
    for members in groups:
        if len(members) >= 2:
            a, b = people[members[0]], people[members[1]]
            relationships += [
                Relationship(office=office, person=a, other_person=b, kind="spouse"),
                Relationship(office=office, person=b, other_person=a, kind="spouse"),
            ]
    for person in rng.sample(people, k=min(len(people), len(organizations) * 3)):
        org = rng.choice(organizations)
        relationships.append(
            Relationship(office=office, person=person, organization=org,
                         kind="employee" if org.kind == OrganizationKind.AGENCY else "member",
                         title=rng.choice(AGENCY_TITLES) if org.kind == OrganizationKind.AGENCY else "")
        )  # fmt: skip
    _bulk(Relationship, relationships)

    # History.
    interactions = []
    for i, person in enumerate(people):
        street = homes[i][4]
        for _ in range(
            _weighted(rng, [(0, 25), (1, 25), (2, 20), (3, 12), (4, 8), (6, 6), (10, 4)])
        ):
            kind = _weighted(rng, INTERACTION_KINDS)
            interactions.append(
                Interaction(
                    office=office, person=person, kind=kind,
                    direction=Direction.OUTBOUND if rng.random() < 0.3 else Direction.INBOUND,
                    occurred_at=_when(rng, today, days=1100),
                    subject=rng.choice(SUBJECTS).format(street=street),
                    notes=rng.choice(NOTES),
                    script=rng.choice(SCRIPTS) if kind == InteractionKind.CALL else "",
                    outcome=rng.choice(OUTCOMES) if kind in (InteractionKind.CALL, InteractionKind.WALK_IN) else "",
                    logged_by=rng.choice(staff) if staff else None,
                )
            )  # fmt: skip
    _bulk(Interaction, interactions)

    layer_id = _import_wards(office)
    from civicdesk.tags.services import refresh_usage_counts

    refresh_usage_counts(office)
    audit.record(
        None,
        "demo.people_loaded",
        None,
        office=office,
        changes={"people": [None, len(people)], "interactions": [None, len(interactions)]},
        object_repr=f"{len(people)} demo people",
    )
    return PeopleDemo(
        people=len(people),
        households=len(households),
        interactions=len(interactions),
        organizations=len(organizations),
        layer_id=layer_id,
    )


def _custom_values(rng: random.Random) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if rng.random() < 0.05:
        values["block_captain"] = True
    if rng.random() < 0.2:
        values["newsletter_edition"] = rng.choice(["Print", "Email", "Both"])
    if rng.random() < 0.03:
        values["volunteer_since"] = f"{rng.randint(2010, 2024)}-0{rng.randint(1, 9)}-15"
    if rng.random() < 0.1:
        values["interests"] = sorted(
            rng.sample(["Parks", "Schools", "Transit", "Housing", "Safety"], 2)
        )
    return values
