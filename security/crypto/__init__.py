"""Certificate parsing and trusted-store building: pure functions over bytes, no Django.

The submodules are the API (``security.crypto.parse``, ``.build``, ``.errors``); the common names
are re-exported here for convenience.
"""

from .build import build_der, build_jks, build_p7b, build_pem, jks_aliases, read_jks
from .errors import CertificateError, PasswordRequired, WrongPassword
from .parse import (
    KIND_LABELS,
    CertificateDetails,
    ParsedUpload,
    certificate_details,
    load_der_certificate,
    read_upload,
)

__all__ = [
    "KIND_LABELS",
    "CertificateDetails",
    "CertificateError",
    "ParsedUpload",
    "PasswordRequired",
    "WrongPassword",
    "build_der",
    "build_jks",
    "build_p7b",
    "build_pem",
    "certificate_details",
    "jks_aliases",
    "load_der_certificate",
    "read_jks",
    "read_upload",
]
