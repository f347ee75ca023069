"""Hosts, applications, their ports, connections and options, and the audit trail.

What must never be wrong is a database constraint, not only a form check: unique names, port
numbers in range, one value per application/section/option. A connection does not store its
server separately: it points at one of the server's ports, so "the port belongs to the server"
holds by construction.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils import timezone

from applications.names import validate_host_address, validate_object_name
from applications.transport import params_with_flags, port_flags
from applications.validators import validate_transport_params
from applications.versions import version_key


class OperatingSystem(models.TextChoices):
    WINDOWS = "windows", "Windows"
    LINUX = "linux", "Linux"
    SOLARIS = "solaris", "Solaris"
    AIX = "aix", "AIX"
    HPUX = "hpux", "HP-UX"


class Host(models.Model):
    name = models.CharField(max_length=255, unique=True, validators=[validate_object_name])
    address = models.CharField(max_length=255, help_text="Host name or IP address the servers listen on.",
                               validators=[validate_host_address])
    os_type = models.CharField("operating system", max_length=16, choices=OperatingSystem.choices)
    description = models.TextField(blank=True)
    # Incremented by every write of the host's options; the options form carries the revision it was
    # opened at (as an application's options editor does).
    options_revision = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("applications:host_detail", args=[self.pk])

    @property
    def is_windows(self) -> bool:
        return self.os_type == OperatingSystem.WINDOWS


class AppType(models.TextChoices):
    COBROWSE_SERVER = "cobrowse_server", "Co-browse Server"
    COBROWSE_NODE = "cobrowse_node", "Co-browse Node"
    COBROWSE_CLUSTER = "cobrowse_cluster", "Co-browse Cluster"
    CONFIG_SERVER = "config_server", "Configuration Server"
    MESSAGE_SERVER = "message_server", "Message Server"
    CHAT_SERVER = "chat_server", "Chat Server"
    SCS = "scs", "Solution Control Server"
    OTHER = "other", "Other"


COBROWSE_TYPES = {AppType.COBROWSE_SERVER, AppType.COBROWSE_NODE, AppType.COBROWSE_CLUSTER}


class Application(models.Model):
    name = models.CharField(max_length=255, unique=True, validators=[validate_object_name])
    app_type = models.CharField("type", max_length=32, choices=AppType.choices, db_index=True)
    version = models.CharField(max_length=32, help_text="Genesys version, like 8.5.003.04.")
    # Zero-padded copy of the version so the database sorts and filters it numerically.
    version_key = models.CharField(max_length=64, editable=False, db_index=True)
    host = models.ForeignKey(Host, on_delete=models.PROTECT, null=True, blank=True, related_name="applications")
    enabled = models.BooleanField(default=True, db_index=True)
    cluster = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="nodes",
        limit_choices_to={"app_type": AppType.COBROWSE_CLUSTER},
        help_text="The Co-browse Cluster this Node belongs to (at most one).",
    )
    scs_controlled = models.BooleanField(
        "controlled by Solution Control Server",
        default=False,
        help_text="When SCS controls the deployment, a Cluster's security section cannot be used: "
        "each Node holds its own.",
    )
    # Genesys Administrator's "Backup Server" of a server application: the server of the same type that
    # takes over when this one fails (the pair must listen the same way: the TLS policy compares them).
    backup_server = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="primaries",
        verbose_name="backup server",
        help_text="The application of the same type that takes over when this one fails (Genesys Administrator's "
        "Backup Server).",
    )
    service_account = models.CharField(
        max_length=255,
        blank=True,
        help_text="Windows account the service runs as (MSCAPI stores are per account), e.g. Local System.",
    )
    working_directory = models.CharField(
        max_length=500, blank=True, help_text="Server directory on the host (where setenv.sh / setenv.bat live)."
    )
    # Genesys Administrator's Server Info tab: how the server is started (for the operator's record;
    # the console starts nothing).
    command_line = models.CharField(
        max_length=500, blank=True, help_text="The program that starts the server, e.g. ./cbnode.sh or cbnode.bat."
    )
    command_line_arguments = models.CharField(
        max_length=1000, blank=True, help_text="Arguments after the command line, e.g. -app CB_Node_1 -port 2020."
    )
    # Incremented by every options write; an edit form carries the revision it was opened at.
    options_revision = models.PositiveIntegerField(default=0, editable=False)
    # Set in the same transaction as a change that needs the checks run again, cleared by the
    # task that ran them: work is never lost when the broker is down (the sweep picks it up).
    checks_requested_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_restarted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["app_type", "version_key"])]
        constraints = [
            models.CheckConstraint(condition=~Q(cluster=models.F("id")), name="application_not_own_cluster"),
            models.CheckConstraint(condition=~Q(backup_server=models.F("id")), name="application_not_own_backup"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # The sort key is derived, never edited: keep it in step with the version.
        self.version_key = version_key(self.version)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("applications:detail", args=[self.pk])

    @property
    def is_cobrowse(self) -> bool:
        return self.app_type in COBROWSE_TYPES

    @property
    def uses_scs(self) -> bool:
        """A Node is SCS-controlled when its Cluster's deployment is, or when marked itself."""
        if self.scs_controlled:
            return True
        return bool(self.cluster_id and self.cluster and self.cluster.scs_controlled)


class PortMode(models.TextChoices):
    DEFAULT = "default", "default (plain)"
    UPGRADE = "upgrade", "upgrade (TLS after the settings arrive; Configuration Server only)"
    SECURE = "secure", "secure (TLS from the first byte)"


class Port(models.Model):
    """A listening port of a server application (Genesys Administrator's Server Info tab).

    Its TLS settings are its transport parameters, as in Genesys: ``tls=1`` makes it a secure port,
    ``tls-mutual=1`` asks the client for a certificate. ``secured`` and ``mutual_tls`` are stored views
    of those two parameters (many queries filter on them), derived on every save and never edited on
    their own. ``Port(secured=True)`` still works: it writes ``tls=1`` into the parameters."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="ports")
    port_id = models.CharField("port ID", max_length=64, help_text="default, secure, …")
    number = models.PositiveIntegerField()
    mode = models.CharField(max_length=16, choices=PortMode.choices, default=PortMode.DEFAULT)
    transport_params = models.CharField(
        "transport parameters", max_length=1000, blank=True, validators=[validate_transport_params],
        help_text="name=value;name=value — tls=1 makes the port secure, tls-mutual=1 asks the client for "
                  "a certificate; also certificate, certificate-key, trusted-ca, cipher-list, sec-protocol, …",
    )
    # Derived from transport_params (tls=1, tls-mutual=1) on every save.
    secured = models.BooleanField(default=False, editable=False, help_text="The port speaks TLS (tls=1).")
    mutual_tls = models.BooleanField("mutual TLS", default=False, editable=False,
                                     help_text="tls-mutual=1 (with tls=1).")

    class Meta:
        ordering = ["application__name", "port_id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "port_id"], name="port_id_unique_per_application"),
            models.CheckConstraint(condition=Q(number__gte=1, number__lte=65535), name="port_number_in_range"),
            models.CheckConstraint(condition=Q(mutual_tls=False) | Q(secured=True), name="mutual_tls_needs_tls"),
        ]

    def __init__(self, *args, **kwargs):
        # Flags given by a caller (not the database: it passes positional values) are what the
        # parameters must say: write them there, where they live.
        flags = {key: kwargs.pop(key) for key in ("secured", "mutual_tls") if key in kwargs}
        super().__init__(*args, **kwargs)
        if flags:
            self.transport_params = params_with_flags(self.transport_params, flags.get("secured", False),
                                                      flags.get("mutual_tls", False))
        if not args:
            self.secured, self.mutual_tls = port_flags(self.transport_params)

    def __str__(self) -> str:
        return f"{self.application.name}:{self.port_id} ({self.number})"

    def save(self, *args, **kwargs):
        self.secured, self.mutual_tls = port_flags(self.transport_params)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "transport_params" in update_fields:
            kwargs["update_fields"] = sorted(set(update_fields) | {"secured", "mutual_tls"})
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        """The Server Info tab of its application, which lists it."""
        return reverse("applications:ports", args=[self.application_id])


class Protocol(models.TextChoices):
    DEFAULT = "default", "default"
    ADDP = "addp", "addp"


class AddpTrace(models.TextChoices):
    OFF = "off", "Trace is turned off"
    LOCAL = "local", "Trace on client side"
    REMOTE = "remote", "Trace on server side"
    FULL = "full", "Trace on both sides"


class Connection(models.Model):
    """Client application → server application through one of the server's ports."""

    client = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="connections")
    port = models.ForeignKey(Port, on_delete=models.CASCADE, related_name="connections")
    protocol = models.CharField(max_length=16, choices=Protocol.choices, default=Protocol.DEFAULT)
    addp_local_timeout = models.PositiveIntegerField("ADDP local timeout (s)", null=True, blank=True)
    addp_remote_timeout = models.PositiveIntegerField("ADDP remote timeout (s)", null=True, blank=True)
    addp_trace = models.CharField("ADDP trace mode", max_length=16, choices=AddpTrace.choices, blank=True)
    transport_params = models.CharField(
        "transport parameters", max_length=1000, blank=True, help_text="name=value;name=value"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["client__name", "port__application__name", "port__port_id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "port"], name="one_connection_per_client_and_port"),
            models.CheckConstraint(
                condition=Q(protocol="addp")
                | Q(addp_local_timeout__isnull=True, addp_remote_timeout__isnull=True, addp_trace=""),
                name="addp_settings_only_with_addp",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client.name} → {self.port.application.name}:{self.port.port_id}"

    def get_absolute_url(self) -> str:
        """The Connections tab of its client, which lists it."""
        return reverse("applications:connections", args=[self.client_id])

    @property
    def server(self) -> Application:
        return self.port.application

    @property
    def secure(self) -> bool:
        """A connection is secure exactly when its port is secured."""
        return self.port.secured


class HostOption(models.Model):
    """One option of a host: section → name → value, like an application's (Genesys Administrator's
    host Options tab). The ``security`` section holds the host level of the TLS parameters
    (``security.effective_tls``). Hosts hold no secrets: a secret's name is refused by the service."""

    host = models.ForeignKey(Host, on_delete=models.CASCADE, related_name="options")
    section = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    value = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["section", "name"]
        constraints = [
            models.UniqueConstraint(fields=["host", "section", "name"], name="one_value_per_host_option"),
            models.CheckConstraint(condition=~Q(section="") & ~Q(name=""), name="host_option_names_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.host.name} [{self.section}] {self.name}"


def secret_name_q() -> Q:
    """The names ``applications.option_text.is_secret_name`` calls secret, as the database matches them
    (its case folding is at most as wide as Python's, so what the database calls secret the code does)."""
    return Q(name__icontains="password") | Q(name__icontains="secret") | Q(name__iendswith="-pwd")


class Option(models.Model):
    """One option of an application: section → name → value. Names are case-sensitive.

    Secret options (the truststore password, and every option named like a password or secret) hold
    a Fernet token, never the clear value.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="options")
    section = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    value = models.TextField(blank=True)
    is_secret = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["section", "name"]
        constraints = [
            models.UniqueConstraint(fields=["application", "section", "name"], name="one_value_per_option"),
            models.CheckConstraint(condition=~Q(section="") & ~Q(name=""), name="option_names_not_empty"),
            # A secret by its name is stored as a secret (encrypted), whatever wrote it.
            models.CheckConstraint(condition=Q(is_secret=True) | ~secret_name_q(), name="secret_names_are_secret"),
        ]
        indexes = [
            # Which applications use a store: its path in their trusted-ca, found without reading every
            # option. The value's first characters only: a 4,000-character value exceeds an index row.
            models.Index(Substr("value", 1, 200), condition=Q(section="security", name="trusted-ca"),
                         name="option_trusted_ca_value"),
        ]

    def __str__(self) -> str:
        return f"{self.application.name} [{self.section}] {self.name}"


class OptionImportDraft(models.Model):
    """A previewed ``.cfg`` file waiting for its confirmation, for the user who previewed it.

    The file may hold passwords: it is kept encrypted (``secret_box.seal``), in the database rather
    than in the session (shared by every server process, deleted when confirmed), and for
    ``CFG_IMPORT_PREVIEW_SECONDS`` at most.
    """

    token = models.CharField(max_length=64, unique=True)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(max_length=255, blank=True)
    revision = models.PositiveIntegerField()
    sealed_file = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"import of {self.filename} into {self.application_id} (waiting for confirmation)"


class RunningOption(models.Model):
    """What the server runs with: the options as they were when it was last (marked) restarted.

    Secrets hold a keyed digest, never the value, so "changed back" can still be recognised.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="running_options")
    section = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    value = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "section", "name"], name="one_running_value_per_option"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} [{self.section}] {self.name} (running)"


class PendingRestartChange(models.Model):
    """An options change the running server has not picked up yet (it takes effect after restart).

    Derived from the options and the running snapshot by ``restart.reconcile``; never edited by
    hand. ``running_value`` None: the option was absent at start; ``new_value`` None: removed.
    Secret values are never kept here: both sides are masked when shown.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="pending_changes")
    section = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    running_value = models.TextField(null=True, blank=True)
    new_value = models.TextField(null=True, blank=True)
    is_secret = models.BooleanField(default=False)
    changed_by_name = models.CharField(max_length=150, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["section", "name"]
        constraints = [
            models.UniqueConstraint(fields=["application", "section", "name"], name="one_pending_change_per_option"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} [{self.section}] {self.name} ({self.kind}, pending restart)"

    @property
    def kind(self) -> str:
        return change_kind(self.running_value, self.new_value)


def change_kind(running_value: str | None, new_value: str | None) -> str:
    """A pending change: "added" (absent when the server started), "removed" or "changed"."""
    if running_value is None:
        return "added"
    if new_value is None:
        return "removed"
    return "changed"


class AuditEvent(models.Model):
    """Who changed what, when; old → new. Secret values are recorded only as "changed"."""

    # A default, not auto_now_add: the chain's hash covers the time, so it is fixed before the insert.
    at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    # The tamper-evident chain (applications/audit_chain.py): the event's place in it, the previous
    # event's hash and its own. Null/blank only on an event written around the chain (then reported).
    seq = models.PositiveBigIntegerField(null=True, blank=True, unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    chain_hash = models.CharField(max_length=64, blank=True, editable=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    # Kept apart from the foreign key so the trail survives the user's deletion.
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=32, db_index=True)
    object_type = models.CharField(max_length=32, db_index=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=500, blank=True)
    application = models.ForeignKey(
        Application, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events"
    )
    changes = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    # The application's options revision this event produced (for the stale-edit message).
    options_revision = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["application", "-at"]),
            # The events about one object since an edit form was opened (applications.versioning).
            models.Index(fields=["object_type", "object_id", "id"], name="audit_event_object_idx"),
            # The audit filters of a kind of object and an action, newest first: read from the end of this
            # index, a rare pair costs its own events. Two single-column indexes made the database guess
            # the pair was common and walk the whole trail backwards looking for it.
            models.Index(fields=["object_type", "action", "id"], name="audit_event_type_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_type} {self.object_repr}"


class AuditChainHead(models.Model):
    """The last event of the audit chain: one row (pk 1). A writer locks it (``select_for_update``)
    just before inserting its events, so writers take turns on the chain and it stays linear."""

    seq = models.PositiveBigIntegerField(default=0)
    chain_hash = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"audit chain head #{self.seq}"


class AuditChainCheck(models.Model):
    """One verification of the whole chain (``verify_audit``, the Celery task, "Verify now")."""

    class Problem(models.TextChoices):
        CHANGED = "changed", "changed"
        REMOVED = "removed", "removed"
        INSERTED = "inserted", "inserted"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    by = models.CharField(max_length=150, blank=True)
    intact = models.BooleanField()
    events = models.PositiveBigIntegerField(default=0)
    problem = models.CharField(max_length=16, choices=Problem.choices, blank=True)
    broken_event_id = models.BigIntegerField(null=True, blank=True)
    broken_event_at = models.DateTimeField(null=True, blank=True)
    detail = models.TextField(blank=True)
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"audit check {self.at:%Y-%m-%d %H:%M}: {'intact' if self.intact else self.problem}"


class ApplicationVersion(models.Model):
    """One version of an application's configuration: general fields, options, ports, connections.

    Written by ``applications.history.record`` in the transaction of the change it follows, only when
    the configuration differs from the previous version. ``snapshot`` is the whole configuration
    (secrets as their Fernet token and a keyed digest, never in clear); ``last_event_id`` is the newest
    audit event about the application when it was written, so an event finds its version."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="config_versions")
    number = models.PositiveIntegerField()
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    source = models.CharField(max_length=32, blank=True, help_text="What wrote it: general, options, import, …")
    note = models.TextField(blank=True)
    summary = models.CharField(max_length=500, blank=True)
    snapshot = models.JSONField(default=dict)
    last_event_id = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["application", "number"], name="one_application_version_number"),
        ]
        indexes = [models.Index(fields=["application", "last_event_id"], name="app_version_event_idx")]

    def __str__(self) -> str:
        return f"{self.application_id} version {self.number}"
