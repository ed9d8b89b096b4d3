"""Match runs, the proposals they make, the deals proposals become, and deliveries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.models import MatchReason


class Objective(models.TextChoices):
    DIVERT_THEN_DISTANCE = "divert_then_distance", _("Divert the most, then drive the least")
    NET_CLIMATE = "net_climate", _("Maximise net avoided CO₂e")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


OPEN_RUN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class MatchRun(models.Model):
    """One optimisation over all active listings of verified organisations.

    The database, not the broker, is the record of which runs are owed: a run is claimed with a
    conditional update and a lease, so a lost message or a killed worker is recovered by the
    sweeper, and two workers can never both finish the same run.
    """

    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    # True while queued or running; a partial unique index on it allows one open run at a time.
    is_open = models.BooleanField(default=True)
    # A what-if run (issue 14): solved like any run, but it publishes nothing (no proposals, no
    # notifications, nothing expires); its flows and figures are stored on the run itself.
    dry_run = models.BooleanField(_("what-if run"), default=False)
    objective = models.CharField(
        _("objective"), max_length=30, choices=Objective.choices, default=Objective.DIVERT_THEN_DISTANCE
    )
    horizon_start = models.DateField(_("horizon start"))
    horizon_days = models.PositiveIntegerField(_("horizon (days)"), default=365)
    parameters = models.JSONField(default=dict, blank=True)
    factor_set = models.ForeignKey("marketplace.FactorSet", on_delete=models.PROTECT, related_name="runs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    stats = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    progress_message = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claim_token = models.CharField(max_length=40, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # When the run last entered the queue: created, handed back after a transient error, or
    # re-queued after a lost worker (the "queued too long" invariant counts from it).
    queued_at = models.DateTimeField(default=timezone.now, null=True, blank=True)
    # When the run's task was last handed to the broker; empty while no send has succeeded.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    # Figures by material and by the supplying site's district (every run), and for a what-if
    # run its flows (``matching.compare``): {"by_material": {...}, "by_district": {...}, "flows": [...]}.
    breakdown = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="matchrun_recent_idx")]
        verbose_name = _("match run")
        verbose_name_plural = _("match runs")
        constraints = [
            # one open real run and one open what-if run at a time: a what-if never blocks the city's run
            models.UniqueConstraint(
                fields=["is_open", "dry_run"], condition=Q(is_open=True), name="match_run_one_open_per_kind"
            ),
            models.CheckConstraint(
                condition=(Q(is_open=True) & Q(status__in=OPEN_RUN_STATUSES))
                | (Q(is_open=False) & Q(status__in=[RunStatus.SUCCEEDED, RunStatus.FAILED])),
                name="match_run_open_iff_queued_or_running",
            ),
            models.CheckConstraint(
                condition=Q(objective__in=Objective.values), name="match_run_objective_valid"
            ),
            models.CheckConstraint(
                condition=Q(horizon_days__gte=1) & Q(horizon_days__lte=3650), name="match_run_horizon_range"
            ),
        ]

    def __str__(self) -> str:
        return f"Run #{self.pk} ({self.status})"

    @property
    def time_step(self) -> str:
        """The periods the run splits its horizon into (issue 13); runs queued before time
        buckets stored none and keep the aggregate model: ``none``."""
        return str((self.parameters or {}).get("time_step", "none"))


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED_BY_OFFER = "accepted_by_offer", _("Accepted by the supplier")
    ACCEPTED_BY_NEED = "accepted_by_need", _("Accepted by the receiver")
    AGREED = "agreed", _("Agreed")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")


UNDECIDED_PROPOSAL_STATUSES = (
    ProposalStatus.PROPOSED,
    ProposalStatus.ACCEPTED_BY_OFFER,
    ProposalStatus.ACCEPTED_BY_NEED,
)


class ImpactFields(models.Model):
    """The SPEC §4 breakdown, in kg CO₂e, stored exactly as ``matching.impact`` computed it.

    ``baseline`` is the fate the flow was counted against (the offer's current destination
    when the impact was computed); ``landfill_avoided_kg`` is ``baseline_avoided_kg`` when that
    fate is landfill and 0 otherwise. ``storage_kg`` is the handling at a storage yard (0 for a
    direct flow, and for rows stored before handling was counted).
    """

    baseline = models.CharField(max_length=20)
    baseline_avoided_kg = models.DecimalField(max_digits=18, decimal_places=3)
    landfill_avoided_kg = models.DecimalField(max_digits=18, decimal_places=3)
    substitution_avoided_kg = models.DecimalField(max_digits=18, decimal_places=3)
    treatment_kg = models.DecimalField(max_digits=18, decimal_places=3)
    transport_kg = models.DecimalField(max_digits=18, decimal_places=3)
    storage_kg = models.DecimalField(max_digits=18, decimal_places=3, default=0)
    net_kg = models.DecimalField(max_digits=18, decimal_places=3)

    class Meta:
        abstract = True

    # The additive figures (kg CO₂e); ``IMPACT_FIELDS`` adds the fate they were counted against.
    IMPACT_KEYS = (
        "baseline_avoided_kg",
        "landfill_avoided_kg",
        "substitution_avoided_kg",
        "treatment_kg",
        "transport_kg",
        "storage_kg",
        "net_kg",
    )
    IMPACT_FIELDS = ("baseline", *IMPACT_KEYS)

    def impact_dict(self) -> dict:
        return {key: getattr(self, key) for key in self.IMPACT_FIELDS}


class FlowFields(ImpactFields):
    """What a proposal and the deal it becomes both state about the flow."""

    offer = models.ForeignKey("marketplace.Offer", on_delete=models.PROTECT, related_name="%(class)ss")
    need = models.ForeignKey("marketplace.Need", on_delete=models.PROTECT, related_name="%(class)ss")
    material = models.ForeignKey("marketplace.Material", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(max_digits=16, decimal_places=3)
    unit = models.CharField(max_length=5)
    mass_t = models.DecimalField(max_digits=16, decimal_places=3)
    distance_km = models.DecimalField(max_digits=9, decimal_places=3)
    current_destination = models.CharField(max_length=20)
    factor_set = models.ForeignKey(
        "marketplace.FactorSet", on_delete=models.PROTECT, related_name="%(class)ss"
    )
    # The storage yard's handling factor (kg CO₂e per t entering it) that ``storage_kg`` was
    # computed with, taken from the run's snapshot; null for a direct flow. A deal copies it from
    # its proposal, so recomputed impacts (new terms, deliveries) keep the factor the run used.
    storage_handling_kg_co2e_per_t = models.DecimalField(
        max_digits=10, decimal_places=3, null=True, blank=True
    )

    class Meta:
        abstract = True


ACCEPTED_BY_ONE_SIDE_STATUSES = (ProposalStatus.ACCEPTED_BY_OFFER, ProposalStatus.ACCEPTED_BY_NEED)


class ProposalOrigin(models.TextChoices):
    RUN = "run", _("Proposed by a match run")
    REQUEST = "request", _("Asked for directly")


class TransportBy(models.TextChoices):
    SUPPLIER = "supplier", _("The supplier")
    RECEIVER = "receiver", _("The receiver")
    CARRIER = "carrier", _("A carrier")


class ScheduleEvery(models.TextChoices):
    ONCE = "once", _("Once")
    WEEK = "week", _("Every week")
    MONTH = "month", _("Every month")


class DeclinedBy(models.TextChoices):
    """Who declined a proposal (issue 13): a party declines the pair, the yard's owner only the
    flow through its yard."""

    SUPPLIER = "supplier", _("The supplier")
    RECEIVER = "receiver", _("The receiver")
    YARD = "yard", _("The storage yard's owner")


class Proposal(FlowFields):
    """The optimiser's suggestion: this much, from this offer to this need.

    A proposal outlives the run that made it: an undecided one that a later run makes again
    unchanged keeps its id (``run`` becomes that later run, ``first_run`` stays), and one that a
    side has accepted stays open, its quantity reserved, until the other side decides or
    ``respond_by`` passes (see ``matching.services``).
    """

    # Null for a direct request (``origin="request"``): no run made it.
    # No index of its own: proposal_unique_per_run (run, offer, need, yard) leads with it.
    run = models.ForeignKey(
        MatchRun, null=True, blank=True, on_delete=models.CASCADE, related_name="proposals", db_index=False
    )
    origin = models.CharField(max_length=10, choices=ProposalOrigin.choices, default=ProposalOrigin.RUN)
    # The number of the current terms revision (0: no terms yet); every new revision adds one,
    # and decisions are conditional on it, so an acceptance never lands on terms it did not see.
    terms_number = models.PositiveIntegerField(default=0)
    first_run = models.ForeignKey(
        MatchRun, null=True, blank=True, on_delete=models.CASCADE, related_name="first_proposals"
    )
    status = models.CharField(max_length=20, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED)
    offer_accepted_at = models.DateTimeField(null=True, blank=True)
    need_accepted_at = models.DateTimeField(null=True, blank=True)
    # Set by the first acceptance: the other side has until then (MATCHING_RESPONSE_DAYS).
    respond_by = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Issue 13: [{"period_start": "YYYY-MM-DD", "quantity": "<decimal in unit>"}] summing to
    # ``quantity`` (one entry, the horizon's start, for a run with time_step none); it seeds the
    # deal's delivery plan, except a none run's single period (not a delivery date).
    schedule = models.JSONField(default=list, blank=True)
    # A flow through a storage yard: when the material enters it (same shape as ``schedule``).
    via_storage = models.ForeignKey(
        "marketplace.Storage", null=True, blank=True, on_delete=models.PROTECT, related_name="proposals"
    )
    storage_schedule = models.JSONField(default=list, blank=True)
    # The yard owner's acceptance (needed unless the yard accepts automatically).
    storage_accepted_at = models.DateTimeField(null=True, blank=True)
    # Who declined it (empty: not declined, or declined before this was recorded — by a party).
    declined_by = models.CharField(max_length=10, choices=DeclinedBy.choices, blank=True, default="")

    class Meta:
        ordering = ["-run_id", "offer_id", "need_id"]
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        constraints = [
            # One proposal per run and flow: a pair may go both direct and through a yard (issue 13:
            # the engine sends one bucket's supply direct and stores another's for a later one),
            # each its own proposal; direct counts as yard 0, so two direct ones stay refused.
            models.UniqueConstraint(
                "run",
                "offer",
                "need",
                Coalesce("via_storage", Value(0), output_field=models.BigIntegerField()),
                name="proposal_unique_per_run",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0) & Q(mass_t__gt=0) & Q(distance_km__gte=0),
                name="proposal_positive",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ProposalStatus.values), name="proposal_status_valid"
            ),
            models.CheckConstraint(
                condition=(Q(origin=ProposalOrigin.RUN) & Q(run__isnull=False))
                | (Q(origin=ProposalOrigin.REQUEST) & Q(run__isnull=True)),
                name="proposal_origin_run",
            ),
        ]
        indexes = [
            models.Index(fields=["offer", "need", "status"], name="proposal_pair_idx"),
            # also serves filters on status alone (its leading column)
            models.Index(fields=["status", "respond_by"], name="proposal_respond_by_idx"),
            # The default ordering (the API's list) and the inbox page's, so a page is an index walk.
            models.Index(fields=["-run", "offer", "need"], name="proposal_list_idx"),
            models.Index(fields=["-run", "-net_kg", "id"], name="proposal_inbox_idx"),
        ]

    def __str__(self) -> str:
        return f"Proposal #{self.pk}: offer {self.offer_id} → need {self.need_id} ({self.status})"

    @property
    def needs_storage_acceptance(self) -> bool:
        """A flow through a yard that does not accept automatically needs its owner's yes too."""
        storage = self.via_storage if self.via_storage_id is not None else None
        return storage is not None and not storage.accept_automatically

    @property
    def waiting_for(self) -> list[str]:
        """The sides still to decide: ``"supplier"`` (the offer's), ``"receiver"`` (the need's),
        and ``"yard"`` (the storage yard's owner, for a flow through a yard that does not accept
        automatically)."""
        held = self.needs_storage_acceptance
        if self.status == ProposalStatus.PROPOSED:
            sides = ["supplier", "receiver"]
        elif self.status == ProposalStatus.ACCEPTED_BY_OFFER:
            sides = [] if held and self.need_accepted_at is not None else ["receiver"]
        elif self.status == ProposalStatus.ACCEPTED_BY_NEED:
            sides = [] if held and self.offer_accepted_at is not None else ["supplier"]
        else:
            return []
        if held and self.storage_accepted_at is None:
            sides.append("yard")
        return sides

    @property
    def current_terms(self) -> TermsRevision | None:
        """The latest terms revision, or ``None`` while nobody has proposed terms."""
        if not self.terms_number:
            return None
        return self.terms_revisions.filter(number=self.terms_number).first()

    def waiting_for_organisations(self) -> list:
        """The organisations of :attr:`waiting_for`, supplier first."""
        sides = self.waiting_for
        orgs = [self.offer.organisation] if "supplier" in sides else []
        if "receiver" in sides and self.need.organisation not in orgs:
            orgs.append(self.need.organisation)
        if "yard" in sides and self.via_storage is not None and self.via_storage.organisation not in orgs:
            orgs.append(self.via_storage.organisation)
        return orgs


class Deal(FlowFields):
    """An agreed proposal. Its agreed impact is stored; its realised impact follows deliveries."""

    proposal = models.OneToOneField(Proposal, on_delete=models.PROTECT, related_name="deal")
    # The agreed terms (null when the proposal was accepted without any); quantity and mass follow them.
    terms = models.ForeignKey(
        "TermsRevision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    delivered_t = models.DecimalField(max_digits=16, decimal_places=3, default=0)
    # In the deal's unit (pieces for piece deals, tonnes for bulk ones, then equal to delivered_t).
    delivered_quantity = models.DecimalField(max_digits=16, decimal_places=3, default=0)
    agreed_at = models.DateTimeField()

    class Meta:
        ordering = ["-agreed_at", "-id"]
        indexes = [models.Index(fields=["-agreed_at", "-id"], name="deal_recent_idx")]
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        constraints = [
            models.CheckConstraint(
                condition=Q(mass_t__gt=0) & Q(delivered_t__gte=0) & Q(delivered_quantity__gte=0),
                name="deal_masses_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Deal #{self.pk}: {self.mass_t} t {self.material_id}"


class Delivery(ImpactFields):
    """A delivery under a deal. Appended, never edited or deleted.

    ``quantity`` is in the deal's unit (whole pieces for a piece deal, tonnes for bulk);
    ``mass_t`` is its mass. A piece deal's deliveries are weighed cumulatively (the deal's
    delivered pieces × the mass per piece, to 1 kg), so a single light piece may weigh 0.000 t
    while the deal's delivered mass stays exact.
    """

    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="deliveries")
    date = models.DateField()
    quantity = models.DecimalField(max_digits=16, decimal_places=3)
    mass_t = models.DecimalField(max_digits=16, decimal_places=3)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0) & Q(mass_t__gte=0), name="delivery_quantity_positive"
            )
        ]

    def __str__(self) -> str:
        return f"Delivery {self.date} {self.quantity} (deal {self.deal_id})"


class RunPart(models.Model):
    """One group of independent components of a fanned-out run, solved by one worker."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="parts")
    claim_token = models.CharField(max_length=40)
    index = models.PositiveSmallIntegerField()
    total = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    problem = models.JSONField()
    solution = models.JSONField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["run_id", "claim_token", "index"]
        constraints = [
            models.UniqueConstraint(fields=["run", "claim_token", "index"], name="run_part_unique"),
        ]

    def __str__(self) -> str:
        return f"Run #{self.run_id} part {self.index + 1}/{self.total} ({self.status})"


# --- The deal room: one conversation per proposal, continued on its deal ---------------------


class TermsRevision(models.Model):
    """One proposal of terms by one side. Kept for ever; the proposal's ``terms_number`` points to
    the current one. ``price_per_unit_kzt`` is signed: positive, the receiver pays the supplier;
    negative, the supplier pays the receiver to take it (a gate fee)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="terms_revisions")
    number = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(max_digits=16, decimal_places=3)
    price_per_unit_kzt = models.DecimalField(max_digits=16, decimal_places=2)
    transport_by = models.CharField(max_length=10, choices=TransportBy.choices)
    schedule_every = models.CharField(max_length=5, choices=ScheduleEvery.choices, blank=True)
    schedule_start = models.DateField(null=True, blank=True)
    schedule_end = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["proposal_id", "number"]
        verbose_name = _("terms revision")
        verbose_name_plural = _("terms revisions")
        constraints = [
            models.UniqueConstraint(fields=["proposal", "number"], name="terms_revision_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0) & Q(number__gt=0), name="terms_positive"),
            models.CheckConstraint(
                condition=Q(transport_by__in=TransportBy.values), name="terms_transport_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(schedule_every="") & Q(schedule_start__isnull=True) & Q(schedule_end__isnull=True)
                )
                | (
                    Q(schedule_every__in=ScheduleEvery.values)
                    & Q(schedule_start__isnull=False)
                    & Q(schedule_end__isnull=False)
                    & Q(schedule_start__lte=models.F("schedule_end"))
                ),
                name="terms_schedule_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Terms #{self.number} on proposal {self.proposal_id}"

    @property
    def has_schedule(self) -> bool:
        return bool(self.schedule_every)

    @property
    def price_total_kzt(self):
        return self.quantity * self.price_per_unit_kzt

    def schedule_dict(self) -> dict | None:
        if not self.has_schedule:
            return None
        return {"every": self.schedule_every, "start": self.schedule_start, "end": self.schedule_end}


class Message(models.Model):
    """One entry in a proposal's conversation. The thread is the proposal; its deal continues it.

    Rows are only added. ``organisation`` is the side the author spoke for (a party or the
    municipality's facilitators). Later kinds of entries (a revision of the terms) join the same
    thread as messages pointing to them, so the body may be empty at the database level; the
    service requires 1–5,000 characters for a written message.
    """

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("message"), blank=True)
    # Set on the thread's entry for a terms revision ("terms proposed by X: …"); the body is empty.
    terms = models.OneToOneField(
        TermsRevision, null=True, blank=True, on_delete=models.CASCADE, related_name="message"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=["proposal", "id"], name="message_thread_idx")]

    def __str__(self) -> str:
        return f"Message #{self.pk} on proposal {self.proposal_id}"


class ThreadState(models.Model):
    """Per user and thread: the last message read (for the unread badge) and the last e-mail."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="+")
    last_read_message_id = models.PositiveBigIntegerField(default=0)
    last_emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "proposal"], name="thread_state_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} read proposal {self.proposal_id} up to {self.last_read_message_id}"


class DeliveryReminder(models.Model):
    """A reminder sent for one overdue entry of a deal's delivery plan: at most one per entry."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="reminders")
    plan_date = models.DateField()
    planned_cumulative = models.DecimalField(max_digits=16, decimal_places=3)
    delivered_cumulative = models.DecimalField(max_digits=16, decimal_places=3)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deal_id", "plan_date"]
        constraints = [models.UniqueConstraint(fields=["deal", "plan_date"], name="delivery_reminder_once")]

    def __str__(self) -> str:
        return f"Reminder for deal {self.deal_id}, planned {self.plan_date}"


class TariffStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Tariff(models.Model):
    """The municipality's money rates for estimates: landfill gate fee and road transport.

    Versioned like a factor set: drafted, then published once and immutable. The latest
    published tariff is the active one (a partial unique constraint allows one).
    """

    Status = TariffStatus

    version = models.CharField(_("version"), max_length=40, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=TariffStatus.choices, default=TariffStatus.DRAFT
    )
    is_active = models.BooleanField(_("active"), default=False)
    landfill_gate_fee_kzt_per_t = models.DecimalField(
        _("landfill gate fee (KZT per t)"), max_digits=14, decimal_places=2
    )
    transport_kzt_per_tkm = models.DecimalField(
        _("road transport (KZT per t·km)"), max_digits=14, decimal_places=2
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="tariff_one_active"
            ),
            models.CheckConstraint(
                condition=Q(landfill_gate_fee_kzt_per_t__gte=0) & Q(transport_kzt_per_tkm__gte=0),
                name="tariff_rates_not_negative",
            ),
            models.CheckConstraint(condition=Q(status__in=TariffStatus.values), name="tariff_status_valid"),
            models.CheckConstraint(
                condition=Q(is_active=False) | Q(status=TariffStatus.PUBLISHED),
                name="tariff_active_is_published",
            ),
        ]

    def __str__(self) -> str:
        return f"Tariff {self.version} ({self.status})"

    @property
    def is_published(self) -> bool:
        return self.status == TariffStatus.PUBLISHED


# --- Why no proposal (issue 14): each listing's standing after the latest real run ------------


class ListingMatchStatus(models.Model):
    """What the latest real run found for one active listing (``matching.diagnostics``).

    One row per listing, replaced by every real run; ``nearest_km`` is the nearest compatible
    counterpart's road distance in whole km, computed from positions rounded as the market sees
    them, so it never locates a hidden site.
    """

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="listing_statuses")
    offer = models.OneToOneField(
        "marketplace.Offer", null=True, blank=True, on_delete=models.CASCADE, related_name="match_status_row"
    )
    need = models.OneToOneField(
        "marketplace.Need", null=True, blank=True, on_delete=models.CASCADE, related_name="match_status_row"
    )
    reason = models.CharField(max_length=30, choices=MatchReason.choices)
    nearest_km = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("listing match status")
        verbose_name_plural = _("listing match statuses")
        constraints = [
            models.CheckConstraint(
                condition=(Q(offer__isnull=False) & Q(need__isnull=True))
                | (Q(offer__isnull=True) & Q(need__isnull=False)),
                name="listing_match_status_one_listing",
            ),
            models.CheckConstraint(
                condition=Q(reason__in=MatchReason.values), name="listing_match_status_reason_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{'offer' if self.offer_id else 'need'} {self.offer_id or self.need_id}: {self.reason}"
