"""Casework: case types and their workflows, templates, teams, cases with their people, actions
and ticklers, letters, emails, privacy releases, documents and the constituent's status link."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicdesk.core.models import OfficeOwned

# ---------------------------------------------------------------- choices


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WAITING_AGENCY = "waiting_agency", _("Waiting on agency")
    WAITING_CONSTITUENT = "waiting_constituent", _("Waiting on constituent")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# A case in one of these is finished: no longer in queues, counted in time to resolution.
CLOSED_STATUSES = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED})
OPEN_STATUSES = frozenset(set(CaseStatus) - CLOSED_STATUSES)

# The workflow a new case type starts with: from each status, where a case may go next.
# Offices edit it per type (CaseType.transitions); a finished case goes back to "open" to reopen.
DEFAULT_TRANSITIONS: dict[str, list[str]] = {
    CaseStatus.OPEN: [
        CaseStatus.WAITING_AGENCY,
        CaseStatus.WAITING_CONSTITUENT,
        CaseStatus.RESOLVED,
        CaseStatus.CLOSED,
    ],
    CaseStatus.WAITING_AGENCY: [
        CaseStatus.OPEN,
        CaseStatus.WAITING_CONSTITUENT,
        CaseStatus.RESOLVED,
        CaseStatus.CLOSED,
    ],
    CaseStatus.WAITING_CONSTITUENT: [
        CaseStatus.OPEN,
        CaseStatus.WAITING_AGENCY,
        CaseStatus.RESOLVED,
        CaseStatus.CLOSED,
    ],
    CaseStatus.RESOLVED: [CaseStatus.CLOSED, CaseStatus.OPEN],
    CaseStatus.CLOSED: [CaseStatus.OPEN],
}


class CasePriority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class ActionKind(models.TextChoices):
    CALL = "call", _("Phone call")
    EMAIL = "email", _("Email")
    LETTER = "letter", _("Letter")
    NOTE = "note", _("Note")
    MEETING = "meeting", _("Meeting")
    AGENCY_INQUIRY = "agency_inquiry", _("Agency inquiry")
    AGENCY_REPLY = "agency_reply", _("Agency reply")
    STATUS_CHANGE = "status_change", _("Status change")
    DOCUMENT = "document", _("Document")
    PRIVACY_RELEASE = "privacy_release", _("Privacy release")
    ASSIGNMENT = "assignment", _("Assignment")
    TASK = "task", _("Task")


# Kinds a person logs by hand; the others are written by the services that do the thing.
LOGGABLE_KINDS = (
    ActionKind.CALL, ActionKind.EMAIL, ActionKind.LETTER, ActionKind.NOTE, ActionKind.MEETING,
    ActionKind.AGENCY_INQUIRY, ActionKind.AGENCY_REPLY, ActionKind.TASK,
)  # fmt: skip


class ActionState(models.TextChoices):
    PLANNED = "planned", _("To do")  # a tickler: due on `due_on`
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class PartyRole(models.TextChoices):
    PRIMARY = "primary", _("Constituent")
    FAMILY = "family", _("Family member")
    OTHER = "other", _("Also concerned")


class ReleaseMethod(models.TextChoices):
    UPLOAD = "upload", _("Signed form, uploaded")
    E_SIGNATURE = "e_signature", _("Typed e-signature")


class LetterKind(models.TextChoices):
    AGENCY_INQUIRY = "agency_inquiry", _("Agency inquiry")
    CONSTITUENT_UPDATE = "constituent_update", _("Update to the constituent")
    OTHER = "other", _("Other")


class LetterRecipient(models.TextChoices):
    AGENCY = "agency", _("The agency")
    CONSTITUENT = "constituent", _("The constituent")


# ---------------------------------------------------------------- configuration


class Team(OfficeOwned):
    """A group of staff sharing a queue of cases (e.g. "Veterans desk")."""

    name = models.CharField(_("name"), max_length=100)
    members = models.ManyToManyField("accounts.Membership", related_name="case_teams", blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["office", "name"], name="team_unique_name")]

    def __str__(self) -> str:
        return self.name


class CaseType(OfficeOwned):
    """A kind of case the office handles (veterans benefits, housing...), with its workflow."""

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    # Visible only to the case's assignee and to managers (health, immigration...).
    is_sensitive = models.BooleanField(_("sensitive"), default=False)
    # The case cannot be sent to an agency until the constituent's privacy release is on file.
    needs_privacy_release = models.BooleanField(_("needs a privacy release"), default=False)
    # {status: [statuses it may go to]}; see DEFAULT_TRANSITIONS.
    transitions = models.JSONField(_("workflow"), default=dict)
    target_days = models.PositiveSmallIntegerField(
        _("days to resolve (target)"), null=True, blank=True
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "name"], name="casetype_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    def next_statuses(self, status: str) -> list[str]:
        workflow = self.transitions or DEFAULT_TRANSITIONS
        return list(workflow.get(status, []))


class CaseTemplate(OfficeOwned):
    """How a kind of case usually goes: checklist steps with due offsets, the documents needed,
    who takes it. Applying it to a case adds the steps as ticklers."""

    case_type = models.ForeignKey(CaseType, models.CASCADE, related_name="templates")
    name = models.CharField(_("name"), max_length=100)
    documents_needed = models.JSONField(_("documents needed"), default=list, blank=True)
    # Each document needed becomes a tickler due this many days after the template is applied.
    documents_due_after_days = models.PositiveSmallIntegerField(
        _("documents due after (days)"), default=7
    )
    default_assignee = models.ForeignKey(
        "accounts.Membership", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    default_team = models.ForeignKey(Team, models.SET_NULL, null=True, blank=True, related_name="+")
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["office", "case_type", "name"], name="casetemplate_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class TemplateStep(models.Model):
    """One checklist step of a template: "privacy release within 2 days"."""

    template = models.ForeignKey(CaseTemplate, models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("step"), max_length=200)
    kind = models.CharField(max_length=20, choices=ActionKind.choices, default=ActionKind.TASK)
    due_after_days = models.PositiveSmallIntegerField(_("due after (days)"), default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class LetterTemplate(OfficeOwned):
    """A letter of the office's library, with merge fields like {{ constituent.full_name }}."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(max_length=20, choices=LetterKind.choices, default=LetterKind.OTHER)
    recipient = models.CharField(
        max_length=20, choices=LetterRecipient.choices, default=LetterRecipient.AGENCY
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "name"], name="lettertemplate_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------- cases


class CaseCounter(models.Model):
    """The last case number an office gave: numbers are per office, gapless and never reused."""

    office = models.OneToOneField("accounts.Office", models.CASCADE, related_name="+")
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.office_id}: {self.last_number}"


class Case(OfficeOwned):
    """A constituent's request for help with an agency, from opening to closing."""

    number = models.PositiveIntegerField()
    case_type = models.ForeignKey(CaseType, models.PROTECT, related_name="cases")
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    priority = models.PositiveSmallIntegerField(
        choices=CasePriority.choices, default=CasePriority.NORMAL
    )
    due_on = models.DateField(_("due"), null=True, blank=True)
    assignee = models.ForeignKey(
        "accounts.Membership", models.SET_NULL, null=True, blank=True, related_name="cases"
    )
    team = models.ForeignKey(Team, models.SET_NULL, null=True, blank=True, related_name="cases")
    agency = models.ForeignKey(
        "constituents.Organization", models.PROTECT, null=True, blank=True, related_name="cases"
    )
    agency_contact = models.ForeignKey(
        "constituents.Person", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    agency_reference = models.CharField(_("agency's reference"), max_length=100, blank=True)
    template = models.ForeignKey(
        CaseTemplate, models.SET_NULL, null=True, blank=True, related_name="+"
    )  # the last template applied
    # Copied from the type when the case opens; a manager may mark any case sensitive.
    is_sensitive = models.BooleanField(_("sensitive"), default=False)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    # The constituent of the case (also in CaseParty, as PRIMARY): lists show and sort by it.
    primary_person = models.ForeignKey(
        "constituents.Person", models.PROTECT, related_name="primary_cases"
    )
    people = models.ManyToManyField(
        "constituents.Person", through="CaseParty", related_name="cases"
    )
    tags = models.ManyToManyField("tags.Tag", through="CaseTag", related_name="cases")
    districts = models.ManyToManyField("geo.District", through="CaseDistrict", related_name="+")
    # Optimistic locking, as for people: an edit based on an older version is refused.
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        "accounts.Membership", models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "number"], name="case_unique_number"),
            models.CheckConstraint(
                condition=~Q(status__in=["resolved", "closed"]) | Q(closed_at__isnull=False),
                name="case_finished_has_closed_at",
            ),
        ]
        indexes = [
            # The case list's first page, newest activity first, per status and per owner.
            models.Index(fields=["office", "-updated_at", "-id"], name="case_office_recent"),
            models.Index(
                fields=["office", "status", "-updated_at", "-id"], name="case_office_status"
            ),
            models.Index(
                fields=["assignee", "status", "-updated_at", "-id"], name="case_assignee_status"
            ),
            models.Index(fields=["team", "status", "-updated_at"], name="case_team_status"),
            models.Index(fields=["office", "due_on"], name="case_office_due"),
            models.Index(fields=["office", "case_type", "status"], name="case_office_type"),
            # The queue tabs count open cases by these columns: an index-only scan of the
            # open cases on PostgreSQL (INCLUDE is PostgreSQL's; elsewhere a partial index).
            models.Index(
                fields=["office", "status", "assignee", "team", "due_on", "is_sensitive"],
                include=["id"],
                condition=Q(status__in=sorted(OPEN_STATUSES)),
                name="case_open_queues",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        """What staff, constituents and email subjects call the case: "C-1042"."""
        return f"C-{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES


class CaseParty(models.Model):
    """A person the case is for: the constituent, or a family member on a family's case."""

    office = models.ForeignKey("accounts.Office", models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, models.CASCADE, related_name="parties")
    person = models.ForeignKey("constituents.Person", models.CASCADE, related_name="case_links")
    role = models.CharField(max_length=20, choices=PartyRole.choices, default=PartyRole.PRIMARY)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "person"], name="caseparty_unique")]
        indexes = [models.Index(fields=["person", "case"], name="caseparty_person")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.person_id} ({self.role})"


class CaseTag(models.Model):
    """A tag of the governed vocabulary on a case."""

    office = models.ForeignKey("accounts.Office", models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, models.CASCADE, related_name="tag_links")
    tag = models.ForeignKey("tags.Tag", models.CASCADE, related_name="case_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "tag"], name="case_tag_unique")]
        indexes = [models.Index(fields=["tag", "case"], name="casetag_tag_case")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.tag_id}"


class CaseDistrict(models.Model):
    """A district the case belongs to: those of its constituent's address when it opened."""

    office = models.ForeignKey("accounts.Office", models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, models.CASCADE, related_name="district_links")
    district = models.ForeignKey("geo.District", models.CASCADE, related_name="case_links")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "district"], name="case_district_unique")
        ]
        indexes = [models.Index(fields=["district", "case"], name="casedistrict_district")]

    def __str__(self) -> str:
        return f"{self.case_id} in {self.district_id}"


# ---------------------------------------------------------------- history and work


class CaseAction(OfficeOwned):
    """One entry of a case's history (a call, a letter, a status change...) or, while PLANNED,
    a tickler: something to do by `due_on`, in its assignee's "My work"."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=20, choices=ActionKind.choices)
    state = models.CharField(max_length=10, choices=ActionState.choices, default=ActionState.DONE)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("details"), blank=True)
    # Shown to the constituent on their status page; internal notes never are.
    is_public = models.BooleanField(_("visible to the constituent"), default=False)
    occurred_at = models.DateTimeField(null=True, blank=True)  # when it was done
    due_on = models.DateField(_("due"), null=True, blank=True)  # for a tickler
    assignee = models.ForeignKey(
        "accounts.Membership", models.SET_NULL, null=True, blank=True, related_name="case_tasks"
    )
    by = models.ForeignKey(
        "accounts.Membership", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # For a status change: [old, new]; for a letter, email or document: its id.
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["case", "-occurred_at", "-id"], name="caseaction_case_recent"),
            # "My work": a person's ticklers by due date (partial: only the planned ones).
            models.Index(
                fields=["assignee", "due_on", "id"],
                condition=Q(state="planned"),
                name="caseaction_my_work",
            ),
            models.Index(
                fields=["office", "due_on"],
                condition=Q(state="planned"),
                name="caseaction_office_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"

    @property
    def is_planned(self) -> bool:
        return self.state == ActionState.PLANNED


class CaseDocument(OfficeOwned):
    """A file on the case (a signed form, an agency's letter), stored through Django storage."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="documents")
    file = models.FileField(upload_to="cases/%Y/%m/", max_length=300)
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    is_public = models.BooleanField(_("visible to the constituent"), default=False)
    uploaded_by = models.ForeignKey(
        "accounts.Membership", models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return self.name


class PrivacyRelease(OfficeOwned):
    """The constituent's written consent for the office to act with an agency on their behalf."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="releases")
    person = models.ForeignKey("constituents.Person", models.PROTECT, related_name="+")
    # The agency it covers; blank covers any agency of the case.
    agency = models.ForeignKey(
        "constituents.Organization", models.PROTECT, null=True, blank=True, related_name="+"
    )
    method = models.CharField(max_length=20, choices=ReleaseMethod.choices)
    signed_name = models.CharField(_("signed name"), max_length=200, blank=True)
    signed_on = models.DateField(_("signed on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    document = models.ForeignKey(
        CaseDocument, models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        "accounts.Membership", models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(method="upload") | Q(document__isnull=False),
                name="release_upload_has_document",
            ),
            models.CheckConstraint(
                condition=~Q(method="e_signature") | ~Q(signed_name=""),
                name="release_esign_has_name",
            ),
        ]

    def __str__(self) -> str:
        return f"Release {self.pk} for case {self.case_id}"


class CaseLetter(OfficeOwned):
    """A letter made on the case from a template; kept as it was sent."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="letters")
    template = models.ForeignKey(
        LetterTemplate, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recipient = models.CharField(max_length=20, choices=LetterRecipient.choices)
    addressee = models.TextField(_("addressee"), blank=True)  # name and postal address block
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    sent_at = models.DateTimeField(null=True, blank=True)  # None: a draft
    by = models.ForeignKey(
        "accounts.Membership", models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return self.subject


class CaseEmail(OfficeOwned):
    """An email sent from the case. Its Message-ID and the case reference in the subject and in
    the X-CivicDesk-Case header let the shared inbox attach replies to the case."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="emails")
    to = models.CharField(max_length=320)
    subject = models.CharField(max_length=250)
    body = models.TextField()
    message_id = models.CharField(max_length=250)
    sent_at = models.DateTimeField()
    by = models.ForeignKey(
        "accounts.Membership", models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["office", "message_id"], name="caseemail_message_id")]

    def __str__(self) -> str:
        return self.subject


class CaseStatusLink(OfficeOwned):
    """A private, expiring link where the constituent follows their case. Only a hash of the
    token is stored: the link is shown (and emailed) once."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="status_links")
    person = models.ForeignKey("constituents.Person", models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        "accounts.Membership", models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Status link {self.pk} for case {self.case_id}"


class DigestSent(models.Model):
    """That a member's daily digest for a day went out: the digest job sends it once."""

    member = models.ForeignKey("accounts.Membership", models.CASCADE, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "day"], name="digest_once_a_day")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.day}"
