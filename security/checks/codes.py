"""Every finding code the console produces, with its fixed severity.

Codes are part of the interface (pages, CSV export, the ``validate`` command, scripts that grep
them): never rename one, add a new one instead.
"""

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"
INFO = "info"


@dataclass(frozen=True)
class Code:
    code: str
    severity: str
    title: str


_ALL = (
    # Trusted stores: the file the console builds for the store, and the certificates in it.
    Code("store.unreadable", ERROR, "The store's file cannot be built or read back"),
    Code("store.jks_wrong_password", ERROR, "The JKS store's password does not open its keystore"),
    Code("store.empty", ERROR, "The store holds no certificate"),
    Code("store.not_ca", ERROR, "A certificate in the store is not a CA certificate"),
    Code("store.expired", ERROR, "A certificate in the store has expired"),
    Code("store.not_yet_valid", ERROR, "A certificate in the store is not valid yet"),
    Code("store.expiring_soon", WARNING, "A certificate in the store expires soon"),
    Code("store.weak_key", WARNING, "A certificate in the store has an RSA key under 2048 bits"),
    Code("store.weak_signature", WARNING, "A certificate in the store is signed with SHA-1"),
    # Applications: the security section (R1, R4) and what it must agree with.
    Code("application.invalid_provider", ERROR, "provider is not MSCAPI, PEM, JKS or empty"),
    Code("application.trusted_ca_missing", ERROR, "PEM or JKS provider without trusted-ca"),
    Code("application.password_missing", ERROR, "JKS provider without truststore-password"),
    Code("application.trusted_ca_not_applicable", WARNING, "trusted-ca is set where it does not apply"),
    Code("application.password_not_applicable", WARNING, "truststore-password is set where it does not apply"),
    Code("application.mscapi_not_windows", ERROR, "MSCAPI provider on a host that is not Windows"),
    Code("application.trusted_ca_wrong_os", ERROR, "trusted-ca is not a file path on the host's operating system"),
    Code("application.store_unknown", WARNING, "trusted-ca is not a store the console knows"),
    Code("application.store_provider_mismatch", ERROR, "The security section and its trusted store disagree"),
    Code("application.store_password_mismatch", ERROR, "truststore-password does not open the JKS store"),
    Code("application.section_misplaced", ERROR, "The security section is on the wrong object"),
    Code("application.tls_disabled", ERROR, "TLS is disabled while connections go through secure ports"),
    Code("application.nodes_inconsistent", WARNING, "The Nodes of the Cluster are configured differently"),
    Code("application.no_secure_connection", ERROR, "No connection of the Co-browse application uses a secure port"),
    # Connections: ports (R2, R3) and what the last live probe saw.
    Code("connection.insecure_port", WARNING,
         "Connection through a port that is not secure, to a server that has a secure one"),
    Code("connection.misplaced", ERROR, "TLS connection on the wrong object"),
    Code("connection.config_server", WARNING, "Configuration Server connection on the Connections tab"),
    Code("connection.probe_untrusted", ERROR, "The server's certificate is not trusted by the application's store"),
    Code("connection.probe_expired", ERROR, "The server's certificate has expired or is not valid yet"),
    Code("connection.probe_hostname_mismatch", ERROR, "The server's certificate does not match its host name"),
    Code("connection.probe_unreachable", WARNING, "The secure port did not answer the probe"),
    # Connections: the verdict for each application that runs the connection (security.checks.verdict).
    Code("connection.tls_disabled", ERROR, "An application that runs the TLS connection has TLS disabled"),
    Code("connection.client_misconfigured", ERROR, "The security section the TLS connection runs with has an error"),
    Code("connection.trust_unknown", ERROR, "The console does not know the store the connection is verified with"),
    Code("connection.store_failing", ERROR, "The trusted store the connection is verified with has errors"),
    # The TLS policy (security.checks.policy): the effective TLS parameters against the settings' TLS_POLICY.
    Code("policy.port_protocol_below_minimum", ERROR, "A secure port's sec-protocol is below the minimum"),
    Code("policy.client_protocol_below_minimum", ERROR, "A secure connection's sec-protocol is below the minimum"),
    Code("policy.client_no_name_check", WARNING, "A client of a secure port does not check the server's host name"),
    Code("policy.mutual_client_no_certificate", ERROR, "A client of a mutual TLS port has no certificate"),
    Code("policy.mutual_no_crl", WARNING, "A mutual TLS port has no certificate revocation list (tls-crl)"),
    Code("policy.port_cipher_not_allowed", ERROR,
         "A secure port's cipher-list holds a cipher the policy does not allow"),
    Code("policy.client_cipher_not_allowed", ERROR,
         "A secure connection's cipher-list holds a cipher the policy does not allow"),
    Code("policy.server_no_certificate", ERROR, "A secure port's server has no certificate"),
    Code("policy.upgrade_port_misused", ERROR, "A port in upgrade mode is used by a connection to a server that is "
                                                "not Configuration Server"),
    Code("policy.backup_mismatch", ERROR, "A primary server and its backup listen with different TLS"),
)

CODES: dict[str, Code] = {c.code: c for c in _ALL}
SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}


@dataclass(frozen=True)
class Issue:
    """What one check found. ``detail_key`` tells apart several issues of one code on one object."""

    code: str
    message: str
    hint: str = ""
    detail_key: str = ""

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown finding code {self.code!r}: add it to security/checks/codes.py")

    @property
    def severity(self) -> str:
        return CODES[self.code].severity
