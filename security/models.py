"""Certificates, trusted stores, check findings and TLS probe results.

A certificate is kept as DER with its queryable fields copied into columns; private keys are
never stored (a trusted store never needs one). A store's JKS password is a Fernet token.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from applications.models import Application, Connection
from applications.names import validate_object_name
from applications.paths import UNIX, WINDOWS, family
from security.crypto.identity import certificate_role, format_fingerprint


class Certificate(models.Model):
    der = models.BinaryField()
    fingerprint_sha256 = models.CharField(max_length=64, unique=True)
    subject = models.TextField()
    issuer = models.TextField()
    common_name = models.CharField(max_length=500, blank=True)
    serial_hex = models.CharField(max_length=128)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField(db_index=True)
    is_ca = models.BooleanField()
    self_signed = models.BooleanField(default=False)
    key_type = models.CharField(max_length=64)
    key_size = models.PositiveIntegerField(null=True, blank=True)
    signature_hash = models.CharField(max_length=32, blank=True)
    source_kind = models.CharField(
        max_length=16, help_text="What the certificate came in: pem, der, pkcs12, pkcs7, jks."
    )
    source_filename = models.CharField(max_length=255, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["common_name", "not_after"]

    def __str__(self) -> str:
        return self.common_name or self.subject

    def get_absolute_url(self) -> str:
        return reverse("security:certificate_detail", args=[self.pk])

    @property
    def short_fingerprint(self) -> str:
        return format_fingerprint(self.fingerprint_sha256, short=True)

    @property
    def role(self) -> str:
        """``root``, ``intermediate`` or ``leaf`` (security.crypto.identity)."""
        return certificate_role(is_ca=self.is_ca, self_signed=self.self_signed)


class Provider(models.TextChoices):
    PEM = "PEM", "PEM file"
    JKS = "JKS", "JKS keystore"
    MSCAPI = "MSCAPI", "MSCAPI (Windows certificate store)"


class TrustedStore(models.Model):
    """A set of CA certificates and where its file lives on the Co-browse hosts.

    A file store has a path on Linux/Unix hosts (``path``), on Windows hosts (``windows_path``), or
    both: each application gets the one for its host's operating system in ``trusted-ca``.
    """

    name = models.CharField(max_length=255, unique=True, validators=[validate_object_name])
    provider = models.CharField(max_length=8, choices=Provider.choices)
    path = models.CharField(
        "path on Linux/Unix hosts",
        max_length=1000,
        blank=True,
        help_text="Where the file lives on a Linux/Unix Co-browse host: the value that goes into trusted-ca.",
    )
    windows_path = models.CharField(
        "path on Windows hosts",
        max_length=1000,
        blank=True,
        help_text="Where the file lives on a Windows Co-browse host: the value that goes into trusted-ca.",
    )
    description = models.TextField(blank=True)
    password_encrypted = models.TextField(blank=True, editable=False)
    certificates = models.ManyToManyField(Certificate, through="StoreEntry", related_name="stores")
    # Hash of the member fingerprints: stores with identical contents share one validation.
    contents_digest = models.CharField(max_length=64, blank=True, db_index=True)
    checks_requested_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_validated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(provider__in=["PEM", "JKS", "MSCAPI"]), name="store_provider_known"),
            models.CheckConstraint(condition=Q(provider="MSCAPI") | ~Q(path="") | ~Q(windows_path=""),
                                   name="file_store_needs_path"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("security:store_detail", args=[self.pk])

    @property
    def has_password(self) -> bool:
        return bool(self.password_encrypted)

    @property
    def paths(self) -> list[str]:
        """Its paths (Linux/Unix first), those it has."""
        return [p for p in (self.path, self.windows_path) if p]

    def path_for(self, os_type: str | None) -> str:
        """The path of its file on a host of ``os_type``; "" when it has none there.

        A host not known yet (None) gets the store's only path, and "" when it has two: which one
        applies cannot be told.
        """
        wanted = family(os_type)
        if wanted == WINDOWS:
            return self.windows_path
        if wanted == UNIX:
            return self.path
        return self.paths[0] if len(self.paths) == 1 else ""


class StoreEntry(models.Model):
    store = models.ForeignKey(TrustedStore, on_delete=models.CASCADE, related_name="entries")
    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="entries")
    alias = models.CharField(max_length=255, help_text="JKS alias; the first CA is 'root'.")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "certificate"], name="certificate_once_per_store"),
            models.UniqueConstraint(fields=["store", "alias"], name="alias_unique_per_store"),
        ]

    def __str__(self) -> str:
        return f"{self.alias} in store {self.store_id}"


class Severity(models.TextChoices):
    ERROR = "error", "error"
    WARNING = "warning", "warning"
    INFO = "info", "info"


def finding_search_text(message: str, hint: str, code: str) -> str:
    """What the findings page's text filter looks in: the message, the fix and the code, lower case, one per
    line (``security.findings.text_branches`` looks for the text lower cased in it)."""
    return f"{message}\n{hint}\n{code}".lower()


class FindingSearchField(models.TextField):
    """``Finding.search``, made from the row's message, fix and code whenever a finding is written
    (``create``, ``save``, ``bulk_create``: Django asks each field's ``pre_save`` for the value)."""

    def pre_save(self, model_instance, add):
        value = finding_search_text(model_instance.message or "", model_instance.hint or "", model_instance.code or "")
        setattr(model_instance, self.attname, value)
        return value


@FindingSearchField.register_lookup
class Holds(models.Lookup):
    """``search__holds=text``: the text appears in the column as it is (both sides are lower case), through
    PostgreSQL's ``strpos`` or SQLite's ``instr``, not ``LIKE '%text%'``: the same rows without a pattern to
    match, which on PostgreSQL took a third longer (41,309 findings for a rare word: 38-48 ms against
    27-29 ms; the same for a frequent one, which stops early)."""

    lookup_name = "holds"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        function = "instr" if connection.vendor == "sqlite" else "strpos"
        return f"{function}({lhs}, {rhs}) > 0", [*lhs_params, *rhs_params]


class Finding(models.Model):
    """The result of one check about one object. Replaced as a whole each time the check runs."""

    subject = models.CharField(max_length=64, db_index=True, help_text="store:ID, application:ID or connection:ID")
    code = models.CharField(max_length=64, db_index=True)
    detail_key = models.CharField(max_length=128, blank=True)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    message = models.TextField()
    hint = models.TextField(blank=True)
    store = models.ForeignKey(TrustedStore, on_delete=models.CASCADE, null=True, blank=True, related_name="findings")
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, null=True, blank=True, related_name="findings"
    )
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, null=True, blank=True, related_name="findings")
    # Where the object is, copied when the findings are written (a change of the application's type,
    # host or Cluster runs its checks again): the findings page filters and counts on these columns
    # alone, without joining 20,000 findings to their applications and connections on every request.
    # An application's own, or for a connection its client's; empty for a store.
    kind = models.CharField(max_length=16, blank=True, help_text="store, application or connection")
    app_type = models.CharField(max_length=32, blank=True)
    # No index of their own (finding_facets covers them: fewer indexes to write in a sweep) and no
    # database constraint: a foreign key check would lock the host's and the Cluster's rows (KEY SHARE)
    # on every insert of a sweep, a lock the validation's lock order does not know (test_lock_order).
    host = models.ForeignKey("applications.Host", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             db_index=False, db_constraint=False)
    cluster = models.ForeignKey(Application, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                db_index=False, db_constraint=False,
                                help_text="The Cluster itself, or the Cluster of a Node.")
    created_at = models.DateTimeField(auto_now_add=True)
    # The text filter reads this column, not UPPER() of three: upper-casing 30,000 messages on every
    # search was most of its time (240 ms at 5,000 applications), and an index on the findings' text
    # made a sweep's insert 15-40x slower (see migration 0011_store_name_text_search_index); a trigram
    # index on this one column still made it 2.5x slower (PERFORMANCE.md, issue 11, fifth round).
    search = FindingSearchField(blank=True, default="", editable=False,
                                help_text="message, fix and code in lower case (the text filter's)")

    class Meta:
        ordering = ["severity", "code"]
        indexes = [
            # The findings page reads each severity in this order, a page at a time (security.findings).
            models.Index(fields=["severity", "code", "id"], name="finding_page_order"),
            # Its counts per filter: one grouped scan of this index, not of the findings.
            models.Index(fields=["severity", "kind", "app_type", "host", "cluster"], name="finding_facets"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["subject", "code", "detail_key"], name="one_finding_per_subject_code"),
        ]

    def __str__(self) -> str:
        return f"{self.severity} {self.code} ({self.subject})"


class FindingCount(models.Model):
    """How many findings there are of each severity, kind, application type, host and Cluster: the
    findings page's counts per filter value and the dashboard's per severity, read here instead of
    counted over every finding on each request (30,000 findings at 5,000 applications; this table has
    one row per combination that ever had a finding, about a third of that).

    Kept by the database itself: triggers on ``security_finding`` (migration
    ``0010_finding_counts_kept_by_triggers``) add and subtract on every insert, delete and update of a
    finding (on PostgreSQL through ``FindingCountChange``), whoever makes it (the validation, a cascade
    from a deleted application, connection or store,
    a host or Cluster deleted under a finding). A count is therefore exactly a fresh ``COUNT`` once the
    writing transaction commits (``tests/checks/test_finding_counts.py`` compares them after every kind of
    write). Never written by Python. No host or Cluster is 0 (a unique key treats two NULLs as different)."""

    severity = models.CharField(max_length=8)
    kind = models.CharField(max_length=16)
    app_type = models.CharField(max_length=32)
    host_id = models.IntegerField(default=0)
    cluster_id = models.IntegerField(default=0)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["severity", "kind", "app_type", "host_id", "cluster_id"],
                                    name="one_finding_count_per_group"),
        ]
        # With a host or a Cluster chosen, the findings page reads that host's or Cluster's counts only.
        indexes = [models.Index(fields=["host_id"], name="finding_count_host"),
                   models.Index(fields=["cluster_id"], name="finding_count_cluster")]

    def __str__(self) -> str:
        return f"{self.n} {self.severity} {self.kind} {self.app_type} host {self.host_id} cluster {self.cluster_id}"


class FindingCountChange(models.Model):
    """Changes to ``FindingCount`` not yet added to it (PostgreSQL): the triggers on the findings only
    insert here, so a transaction that writes findings takes no lock on a count; ``fold_finding_counts``
    adds them to the counts in one ordered statement after the transaction commits. Readers add both
    tables, so a count is exact before the fold too. (Had the triggers updated the counts directly, two
    validations each deleting then inserting findings would lock two counts in opposite orders: a
    deadlock, measured 31 times in 400 such pairs.) Empty on SQLite, whose triggers update the counts
    directly (it has one writer at a time)."""

    severity = models.CharField(max_length=8)
    kind = models.CharField(max_length=16)
    app_type = models.CharField(max_length=32)
    host_id = models.IntegerField(default=0)
    cluster_id = models.IntegerField(default=0)
    n = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.n:+} {self.severity} {self.kind} {self.app_type} host {self.host_id} cluster {self.cluster_id}"


class FindingFacetCount(models.Model):
    """``FindingCount`` summed over the Clusters (``dimension`` "host", ``value`` the host) and over the hosts
    (``dimension`` "cluster", ``value`` the Cluster): what the findings page counts when no host and no
    Cluster is chosen, its usual case. ``FindingCount`` has a row per host *and* Cluster a finding is on
    (9,771 at 5,000 applications), these two sums 1,073 and 2,299: reading them instead, the page's counts
    took 1.3 ms instead of 4 ms there, and grow with the hosts and Clusters listed, not with their pairs.

    PostgreSQL only: written by ``security.finding_counts.fold`` in the statement that adds the changes to
    ``FindingCount`` (so it is always the sums of ``FindingCount``; readers add the changes not yet folded,
    as they do for ``FindingCount``). Empty on SQLite, whose page reads ``FindingCount`` (a few hundred rows
    on the demo's scale). Never written by Python."""

    dimension = models.CharField(max_length=8)
    severity = models.CharField(max_length=8)
    kind = models.CharField(max_length=16)
    app_type = models.CharField(max_length=32)
    value = models.IntegerField(default=0)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dimension", "severity", "kind", "app_type", "value"],
                                    name="one_finding_facet_count_per_group"),
        ]

    def __str__(self) -> str:
        return f"{self.n} {self.severity} {self.kind} {self.app_type} {self.dimension} {self.value}"


class ProbeOutcome(models.TextChoices):
    OK = "ok", "trusted"
    UNTRUSTED = "untrusted", "untrusted certificate"
    EXPIRED = "expired", "expired certificate"
    HOSTNAME = "hostname_mismatch", "host name mismatch"
    REFUSED = "refused", "connection refused"
    TIMEOUT = "timeout", "timed out"
    ERROR = "error", "error"


class ProbeResult(models.Model):
    """One live probe: what it reached (host, port ID and number) and the trust configuration it used
    (provider, store, digest of the store's certificates). When any of them differ from what the
    connection and its client have now, the result is stale (``security.checks.verdict``)."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="probes")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    host = models.CharField(max_length=255)
    port_id = models.CharField(max_length=64, blank=True, help_text="The port ID reached; empty on results made "
                                                                   "before probes recorded it (always stale).")
    port_number = models.PositiveIntegerField()
    outcome = models.CharField(max_length=32, choices=ProbeOutcome.choices)
    detail = models.TextField(blank=True)
    provider = models.CharField(max_length=16, blank=True, help_text="The provider the client ran with.")
    store = models.ForeignKey(TrustedStore, on_delete=models.SET_NULL, null=True, blank=True)
    store_name = models.CharField(max_length=255, blank=True)
    store_digest = models.CharField(max_length=64, blank=True, help_text="Digest of the store's certificates.")
    used_by = models.TextField(blank=True, help_text="The applications that run the connection with this "
                                                     "configuration (each Node of a Cluster).")
    chain_pem = models.TextField(blank=True, help_text="The certificates the server presented.")
    duration_ms = models.PositiveIntegerField(default=0)
    host_checked = models.BooleanField(default=False, help_text="Whether the host name was checked "
                                                                "(tls-target-name-check=host on the connection).")

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.host}:{self.port_number} {self.outcome}"


class ConnectionCheck(models.Model):
    """The worst severity among a connection's findings, written with them: the review sorts and
    filters on it without reading the findings of every connection. No row: never validated."""

    connection = models.OneToOneField(Connection, on_delete=models.CASCADE, primary_key=True, related_name="tls_check")
    worst = models.PositiveSmallIntegerField(help_text="0 error, 1 warning, 2 info, 3 no finding")
    insecure = models.BooleanField(default=False, help_text="Has the finding connection.insecure_port.")
    # The review's order after the severity, copied when the checks run (a rename or a new port ID
    # runs them again): sorting 20,000 connections on these needs no join to the applications.
    client_name = models.CharField(max_length=255, default="")
    server_name = models.CharField(max_length=255, default="")
    port_id = models.CharField(max_length=64, default="")
    checked_at = models.DateTimeField(auto_now=True)

    class Meta:
        # One index per order of the review's headers (security.review.REVIEW_COLUMNS): a page is an
        # index scan whichever column it is sorted by, either way.
        indexes = [models.Index(fields=["worst", "client_name", "server_name", "port_id", "connection"],
                                name="connection_check_order"),
                   models.Index(fields=["client_name", "server_name", "port_id", "connection"],
                                name="connection_check_by_client"),
                   models.Index(fields=["server_name", "client_name", "port_id", "connection"],
                                name="connection_check_by_server"),
                   models.Index(fields=["port_id", "client_name", "server_name", "connection"],
                                name="connection_check_by_port"),
                   # The dashboard's count of connections not secure: the index alone, not every check.
                   models.Index(fields=["connection"], condition=Q(insecure=True), name="connection_check_insecure")]

    def __str__(self) -> str:
        return f"connection {self.connection_id}: {self.worst}"


class ApplicationCheck(models.Model):
    """An application's TLS readiness as its panel computes it (``security.readiness.readiness_for``),
    written whenever the findings it is read from are replaced: lists and counts read it in one query."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, primary_key=True,
                                       related_name="tls_readiness")
    verdict = models.CharField(max_length=16, blank=True, help_text="ready, not ready, or empty (no TLS verdict "
                                                                     "for this type)")
    errors = models.PositiveIntegerField(default=0)
    warnings = models.PositiveIntegerField(default=0)
    checked_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["verdict"], name="application_check_verdict")]

    def __str__(self) -> str:
        return f"application {self.application_id}: {self.verdict or '-'}"


class HostReadinessCount(models.Model):
    """Per host: its applications, how many of them have a readiness verdict (``judged``: a non-empty
    ``ApplicationCheck.verdict``), how many are "ready" and how many "not ready". The hosts list reads
    them (its page's TLS column, its order "worst first") instead of counting the verdicts of the
    applications of every host on each request (5,000 applications on 104 hosts in the benchmark).

    Kept by the database, as ``FindingCount``: triggers on ``security_applicationcheck`` and on
    ``applications_application`` (migration ``0015_host_readiness_counts_kept_by_triggers``) add and
    subtract on every write of a verdict, every application added, deleted or moved to another host,
    whoever writes (the validation, the forms, the API, a .cfg import, a history revert, a bulk update).
    On PostgreSQL through ``HostReadinessCountChange``. Never written by Python. A host without
    applications has no row; ``host_id`` is not a foreign key (the row goes with its last application)."""

    host_id = models.IntegerField(unique=True)
    applications = models.IntegerField(default=0)
    judged = models.IntegerField(default=0)
    ready = models.IntegerField(default=0)
    not_ready = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"host {self.host_id}: {self.not_ready} not ready, {self.ready} ready of {self.applications}"


class HostReadinessCountChange(models.Model):
    """Changes to ``HostReadinessCount`` not yet added to it (PostgreSQL), for the reason
    ``FindingCountChange`` has: a transaction writing verdicts locks no count (two validations never
    wait for each other nor deadlock); ``security.host_counts.fold`` adds them after it commits and
    readers add both tables. Empty on SQLite, whose triggers update the counts directly."""

    host_id = models.IntegerField(db_index=True)
    applications = models.IntegerField(default=0)
    judged = models.IntegerField(default=0)
    ready = models.IntegerField(default=0)
    not_ready = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"host {self.host_id}: {self.applications:+} applications, {self.not_ready:+} not ready"


class StoreUse(models.Model):
    """In how many ways an application uses a trusted store (``security.stores.applications_using``): set
    from it (an assignment), and its ``trusted-ca`` naming the store's path, its Windows path. The store's
    users are the applications with at least one way; keeping the ways lets the triggers that keep
    ``StoreUserCount`` know when an application starts or stops using a store (it counts once however many
    ways it does). Kept by triggers (migration ``0016_store_user_counts_kept_by_triggers``), never by
    Python; a row at 0 ways is removed by the next fold."""

    store_id = models.IntegerField()
    application_id = models.IntegerField()
    ways = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store_id", "application_id"], name="one_store_use_per_pair")]
        indexes = [models.Index(fields=["store_id"], condition=Q(ways__lte=0), name="store_use_spent")]

    def __str__(self) -> str:
        return f"store {self.store_id} used by application {self.application_id} in {self.ways} way(s)"


class StoreUserCount(models.Model):
    """How many applications use each trusted store: the stores list's order "used by" reads it instead of
    counting every assignment and ``trusted-ca`` option of the estate on each request. Kept by the same
    triggers as ``StoreUse``; on PostgreSQL through ``StoreUserCountChange`` (``security.store_users.fold``
    adds them after commit; readers add both). ``store_id`` is not a foreign key."""

    store_id = models.IntegerField(unique=True)
    users = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"store {self.store_id}: {self.users} users"


class StoreUserCountChange(models.Model):
    """Changes to ``StoreUserCount`` not yet added to it (PostgreSQL): a transaction that changes who uses
    a store locks no count (as ``FindingCountChange``). Empty on SQLite."""

    store_id = models.IntegerField(db_index=True)
    users = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"store {self.store_id}: {self.users:+} users"


class StoreAssignment(models.Model):
    """Which trusted store an application's security section was set from.

    ``trusted-ca`` holds only a path on the host; two stores may share a path on different hosts,
    so the console remembers the store chosen in the security form instead of guessing by path.
    """

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="store_assignment")
    store = models.ForeignKey(TrustedStore, on_delete=models.CASCADE, related_name="assignments")
    assigned_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"application {self.application_id} → store {self.store_id}"


class SweepStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    DONE = "done", "done"
    FAILED = "failed", "failed"


class Sweep(models.Model):
    """One run of "validate everything" (beat, the UI or the command), with its progress.

    Progress is the count of its items: an item is written in the same transaction as the findings
    of its object, so a sweep restarted after a crash skips what is done and counts nothing twice.
    """

    trigger = models.CharField(max_length=16, help_text="beat, ui or command")
    # The Celery task that started it (beat sweeps): a redelivered message finds its sweep again.
    task_id = models.CharField(max_length=64, blank=True, db_index=True)
    requested_by_name = models.CharField(max_length=150, blank=True)
    status = models.CharField(max_length=8, choices=SweepStatus.choices, default=SweepStatus.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Sweep #{self.pk} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("security:sweep_detail", args=[self.pk])

    @property
    def finished(self) -> bool:
        return self.status in (SweepStatus.DONE, SweepStatus.FAILED)


class SweepItem(models.Model):
    """An object (``store:ID`` / ``application:ID``) a sweep has validated."""

    sweep = models.ForeignKey(Sweep, on_delete=models.CASCADE, related_name="items")
    subject = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sweep", "subject"], name="sweep_item_once"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} in sweep #{self.sweep_id}"


class StoreVersion(models.Model):
    """One version of a trusted store: fields, password (its Fernet token, never in clear), members.

    Written by ``security.store_history.record`` in the transaction of the store's change; a save that
    changed nothing writes none. ``last_event_id``: the newest audit event about the store then."""

    store = models.ForeignKey(TrustedStore, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    source = models.CharField(max_length=32, blank=True)
    note = models.TextField(blank=True)
    summary = models.CharField(max_length=500, blank=True)
    snapshot = models.JSONField(default=dict)
    last_event_id = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["store", "number"], name="one_store_version_number")]
        indexes = [models.Index(fields=["store", "last_event_id"], name="store_version_event_idx")]

    def __str__(self) -> str:
        return f"store {self.store_id} version {self.number}"
