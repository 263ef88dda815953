"""People and everything attached to them: contact points, addresses (with their districts),
households, organizations, relationships, positions, tags, consent and interaction history."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicdesk.core.models import OfficeOwned

# ---------------------------------------------------------------- choices


class ContactKind(models.TextChoices):
    HOME = "home", _("Home")
    WORK = "work", _("Work")
    MOBILE = "mobile", _("Mobile")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    MAIL = "mail", _("Mail")
    PHONE = "phone", _("Phone")
    TEXT = "text", _("Text message")


class OrganizationKind(models.TextChoices):
    AGENCY = "agency", _("Government agency")
    BUSINESS = "business", _("Business")
    SCHOOL = "school", _("School")
    COMMUNITY = "community", _("Community group")
    NONPROFIT = "nonprofit", _("Nonprofit")
    FAITH = "faith", _("Faith organization")
    OTHER = "other", _("Other")


class InteractionKind(models.TextChoices):
    CALL = "call", _("Phone call")
    WALK_IN = "walk_in", _("Walk-in")
    EMAIL = "email", _("Email")
    LETTER = "letter", _("Letter")
    MEETING = "meeting", _("Meeting")
    NOTE = "note", _("Note")
    CASE = "case", _("Case")
    # Later issues add their own kinds (survey answer, event attendance, problem report).
    OTHER = "other", _("Other")


class Direction(models.TextChoices):
    INBOUND = "in", _("From the constituent")
    OUTBOUND = "out", _("To the constituent")


class Stance(models.TextChoices):
    SUPPORT = "support", _("Support")
    OPPOSE = "oppose", _("Oppose")
    NEUTRAL = "neutral", _("Neutral")
    UNDECIDED = "undecided", _("Undecided")


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    MULTI_CHOICE = "multi_choice", _("Several choices")
    YES_NO = "yes_no", _("Yes / no")


# The yes/no flags of a person that lists filter by.
PERSON_FLAGS = (
    "do_not_email", "do_not_mail", "do_not_call", "do_not_text",
    "is_deceased", "is_vip", "is_out_of_district", "is_of_concern",
)  # fmt: skip


# ---------------------------------------------------------------- households and organizations


class Household(OfficeOwned):
    """People who live together at one address, addressed together ("Mr. and Mrs. Okafor")."""

    name = models.CharField(_("name"), max_length=200)
    joint_salutation = models.CharField(_("joint salutation"), max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["office", "name"], name="household_office_name")]

    def __str__(self) -> str:
        return self.name


class Organization(OfficeOwned):
    """An agency, business, school or group: the agency directory caseworkers write to."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=20, choices=OrganizationKind.choices, default=OrganizationKind.OTHER
    )
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)
    address = models.TextField(_("address"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        indexes = [models.Index(fields=["office", "kind", "name"], name="organization_office_kind")]

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------- people


class Person(OfficeOwned):
    """A constituent: everything gathered about them feeds back to this record."""

    prefix = models.CharField(_("prefix"), max_length=20, blank=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    middle_name = models.CharField(_("middle name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    suffix = models.CharField(_("suffix"), max_length=20, blank=True)
    preferred_name = models.CharField(_("preferred name"), max_length=100, blank=True)
    salutation = models.CharField(_("salutation"), max_length=150, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    language = models.CharField(_("preferred language"), max_length=10, blank=True)
    gender = models.CharField(_("gender"), max_length=40, blank=True)
    pronouns = models.CharField(_("pronouns"), max_length=40, blank=True)

    do_not_email = models.BooleanField(_("do not email"), default=False)
    do_not_mail = models.BooleanField(_("do not mail"), default=False)
    do_not_call = models.BooleanField(_("do not call"), default=False)
    do_not_text = models.BooleanField(_("do not text"), default=False)
    is_deceased = models.BooleanField(_("deceased"), default=False)
    is_vip = models.BooleanField(_("VIP"), default=False)
    is_out_of_district = models.BooleanField(_("out of district"), default=False)
    is_of_concern = models.BooleanField(_("person of concern"), default=False)
    concern_reason = models.TextField(_("reason for concern"), blank=True)  # managers only

    household = models.ForeignKey(
        Household, models.SET_NULL, null=True, blank=True, related_name="members"
    )
    custom = models.JSONField(
        _("custom fields"), default=dict, blank=True
    )  # {CustomField.key: value}
    # Normalized "last first middle preferred" in lower case without accents: search and sort.
    sort_name = models.CharField(max_length=320, blank=True)
    search_text = models.TextField(blank=True)  # names, emails, phone digits, addresses, ids
    # Optimistic locking: an edit based on an older version is refused with a clear message.
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        "accounts.Membership", models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["office", "sort_name", "id"], name="person_office_sort"),
            # Keyset pages in either direction of (updated_at, id); the filters people lists
            # offer: a language, a flag (partial indexes hold only the few flagged people).
            models.Index(fields=["office", "updated_at", "id"], name="person_office_updated"),
            models.Index(
                fields=["office", "language", "sort_name", "id"], name="person_office_lang"
            ),
            *(
                models.Index(
                    fields=["office", "sort_name", "id"],
                    condition=Q(**{flag: True}),
                    name=f"person_flag_{flag.removeprefix('is_')}"[:30],
                )
                for flag in PERSON_FLAGS
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(birth_year__isnull=True)
                | Q(birth_year__gte=1880, birth_year__lte=2100),
                name="person_birth_year_range",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.first_name
        return " ".join(part for part in (first, self.last_name, self.suffix) if part) or _(
            "(no name)"
        )

    @property
    def full_name(self) -> str:
        parts = (self.prefix, self.first_name, self.middle_name, self.last_name, self.suffix)
        return " ".join(part for part in parts if part)


class EmailAddress(OfficeOwned):
    """One of a person's email addresses."""

    person = models.ForeignKey(Person, models.CASCADE, related_name="emails")
    email = models.EmailField(_("email"))
    kind = models.CharField(
        _("type"), max_length=10, choices=ContactKind.choices, default=ContactKind.HOME
    )
    is_primary = models.BooleanField(_("primary"), default=False)
    is_held = models.BooleanField(default=False)  # bounced hard: no mail goes here

    class Meta:
        indexes = [models.Index(fields=["office", "email"], name="email_office_email")]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(is_primary=True), name="email_one_primary"
            ),
        ]

    def __str__(self) -> str:
        return self.email


class Phone(OfficeOwned):
    """One of a person's phone numbers, stored in E.164 (+12025550123)."""

    person = models.ForeignKey(Person, models.CASCADE, related_name="phones")
    number = models.CharField(_("number"), max_length=20)  # E.164
    extension = models.CharField(_("extension"), max_length=10, blank=True)
    kind = models.CharField(
        _("type"), max_length=10, choices=ContactKind.choices, default=ContactKind.MOBILE
    )
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        indexes = [models.Index(fields=["office", "number"], name="phone_office_number")]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(is_primary=True), name="phone_one_primary"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class Address(OfficeOwned):
    """A postal address of a person, with its position and the districts it falls in."""

    person = models.ForeignKey(Person, models.CASCADE, related_name="addresses")
    kind = models.CharField(
        _("type"), max_length=10, choices=ContactKind.choices, default=ContactKind.HOME
    )
    is_primary = models.BooleanField(_("primary"), default=False)
    line1 = models.CharField(_("address line 1"), max_length=200)
    line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("state or region"), max_length=100, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, default="US")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    geocode_source = models.CharField(max_length=30, blank=True)  # local, census, nominatim, manual
    districts = models.ManyToManyField(
        "geo.District", through="AddressDistrict", related_name="+", blank=True
    )

    class Meta:
        indexes = [
            models.Index(fields=["office", "postcode"], name="address_office_postcode"),
            models.Index(fields=["office", "line1"], name="address_office_line1"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(is_primary=True), name="address_one_primary"
            ),
        ]

    def __str__(self) -> str:
        return ", ".join(
            part for part in (self.line1, self.line2, self.city, self.region, self.postcode) if part
        )

    @property
    def has_position(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class AddressDistrict(models.Model):
    """Which district of a layer an address falls in: at most one per layer."""

    office = models.ForeignKey("accounts.Office", models.CASCADE, related_name="+")
    address = models.ForeignKey(Address, models.CASCADE, related_name="district_links")
    layer = models.ForeignKey("geo.DistrictLayer", models.CASCADE, related_name="+")
    district = models.ForeignKey("geo.District", models.CASCADE, related_name="address_links")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["address", "layer"], name="address_one_district_per_layer"
            )
        ]
        indexes = [models.Index(fields=["district", "address"], name="addressdistrict_district")]

    def __str__(self) -> str:
        return f"{self.address_id} in {self.district_id}"


class Consent(OfficeOwned):
    """A person's yes or no to being contacted on one channel, where it came from and when."""

    person = models.ForeignKey(Person, models.CASCADE, related_name="consents")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    is_granted = models.BooleanField()
    source = models.CharField(_("source"), max_length=200)  # "web form", "signed card at town hall"
    given_on = models.DateField(_("date"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "channel"], name="consent_one_per_channel")
        ]

    def __str__(self) -> str:
        return f"{self.channel}: {'yes' if self.is_granted else 'no'}"


class ExternalId(OfficeOwned):
    """The person's id in another system: a voter file, a previous CRM."""

    person = models.ForeignKey(Person, models.CASCADE, related_name="external_ids")
    system = models.CharField(_("system"), max_length=50)  # "voter", "iq", "civicrm"
    value = models.CharField(_("id"), max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["office", "system", "value"], name="external_id_unique_per_office"
            )
        ]
        # The search box looks an id up without knowing its system.
        indexes = [models.Index(fields=["office", "value"], name="external_id_office_value")]

    def __str__(self) -> str:
        return f"{self.system}:{self.value}"


class CustomField(OfficeOwned):
    """A field an office adds to its people (e.g. "Block captain", "Newsletter edition")."""

    key = models.SlugField(max_length=50)
    label = models.CharField(max_length=100)
    field_type = models.CharField(max_length=20, choices=CustomFieldType.choices)
    choices = models.JSONField(default=list, blank=True)  # for choice and multi-choice
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "key"], name="custom_field_key_unique")
        ]
        ordering = ["position", "label"]

    def __str__(self) -> str:
        return self.label


# ---------------------------------------------------------------- relationships, positions, tags


class Relationship(OfficeOwned):
    """How a person relates to another person or to an organization ("spouse", "employee")."""

    person = models.ForeignKey(Person, models.CASCADE, related_name="relationships")
    other_person = models.ForeignKey(
        Person, models.CASCADE, null=True, blank=True, related_name="+"
    )
    organization = models.ForeignKey(
        Organization, models.CASCADE, null=True, blank=True, related_name="contacts"
    )
    kind = models.CharField(
        _("relationship"), max_length=60
    )  # spouse, parent, employee, board member
    title = models.CharField(_("title"), max_length=100, blank=True)  # for agency contacts
    notes = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(other_person__isnull=False) & Q(organization__isnull=True))
                | (Q(other_person__isnull=True) & Q(organization__isnull=False)),
                name="relationship_one_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind} {self.other_person_id or self.organization_id}"


class PersonTag(models.Model):
    """A tag on a person. Declared, so the (tag, person) index exists for fast segment counts."""

    office = models.ForeignKey("accounts.Office", models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, models.CASCADE, related_name="tag_links")
    tag = models.ForeignKey("tags.Tag", models.CASCADE, related_name="person_links")
    added_by = models.ForeignKey(
        "accounts.Membership", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "tag"], name="person_tag_unique")]
        indexes = [models.Index(fields=["tag", "person"], name="persontag_tag_person")]

    def __str__(self) -> str:
        return f"{self.person_id}#{self.tag_id}"


class Position(OfficeOwned):
    """Where a person stands on an issue (a tag) or a bill."""

    person = models.ForeignKey(Person, models.CASCADE, related_name="positions")
    tag = models.ForeignKey("tags.Tag", models.PROTECT, null=True, blank=True, related_name="+")
    bill_number = models.CharField(_("bill number"), max_length=40, blank=True)
    stance = models.CharField(_("position"), max_length=10, choices=Stance.choices)
    noted_on = models.DateField(_("date"))
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["office", "tag", "stance"], name="position_office_tag"),
            models.Index(fields=["office", "bill_number", "stance"], name="position_office_bill"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(tag__isnull=False) | ~Q(bill_number=""),
                name="position_has_issue_or_bill",
            )
        ]

    def __str__(self) -> str:
        return f"{self.stance} {self.bill_number or self.tag_id}"


# ---------------------------------------------------------------- history


class Interaction(OfficeOwned):
    """One entry of a person's timeline: a call, a walk-in, a letter, a meeting... and, from
    later issues, a case action, a survey answer, an event attendance, a problem report
    (`source_type`/`source_id` point at that record)."""

    person = models.ForeignKey(Person, models.CASCADE, related_name="interactions")
    kind = models.CharField(max_length=20, choices=InteractionKind.choices)
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.INBOUND)
    occurred_at = models.DateTimeField()
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    script = models.CharField(_("script"), max_length=100, blank=True)
    outcome = models.CharField(_("outcome"), max_length=100, blank=True)
    logged_by = models.ForeignKey(
        "accounts.Membership", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source_type = models.CharField(max_length=60, blank=True)
    source_id = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["person", "-occurred_at", "-id"], name="interaction_person_recent")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"


# ---------------------------------------------------------------- search


class SearchKey(models.Model):
    """A name or street word of the office's people, filed under one of its spellings with a
    letter deleted (or itself): the typo index of constituents/search.py (symmetric delete)."""

    office = models.ForeignKey("accounts.Office", models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    word = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "key", "word"], name="searchkey_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} -> {self.word}"
