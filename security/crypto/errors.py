"""The one error type the certificate code raises.

Forms and management commands show ``str(err)`` to the operator as is, so every message is a single
line in plain words that says what was expected. Messages never carry the password or the bytes
that failed to parse: they end up in form errors, logs and task results.
"""

from __future__ import annotations

EXPECTED_FORMATS = "expected a PEM certificate, DER certificate, PKCS#7 bundle, PKCS#12 file or JKS keystore"


class CertificateError(ValueError):
    """The bytes are not something a trusted store can be built from."""

    def __init__(self, message: str = EXPECTED_FORMATS) -> None:
        # One line, whatever the caller passed: a multi-line message breaks form error rendering
        # and log parsing.
        super().__init__(" ".join(message.split()))

    @property
    def message(self) -> str:
        return str(self)


class PasswordRequired(CertificateError):
    """The container is protected and no password was given."""

    def __init__(
        self,
        message: str = "this PKCS#12 file is protected by a password: give the password",
    ) -> None:
        super().__init__(message)


class WrongPassword(CertificateError):
    """A password was given and it does not open the container."""

    def __init__(self, message: str = "the password does not open this PKCS#12 file") -> None:
        super().__init__(message)
