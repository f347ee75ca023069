"""Import CA certificates from files into the library, optionally into a trusted store."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from security.crypto.identity import format_fingerprint
from security.management.commands._cli import PasswordFileCommand, find_store, read_password_file


class Command(PasswordFileCommand):
    help = (
        "Import CA certificates (PEM, DER, PKCS#7, PKCS#12, JKS) into the library. Private keys are discarded. "
        "All files are read before anything is stored: one bad file stores nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--password-file", metavar="F",
                            help="file whose first line is the PKCS#12 or JKS password (never on the command line)")
        parser.add_argument("--store", metavar="NAME", help="also add the certificates to this trusted store")

    def handle(self, *args, files, password_file, store, **options):
        from security.certificates import import_certificates, preview_files

        password = read_password_file(password_file)
        target = find_store(store) if store else None
        contents = []
        for name in files:
            path = Path(name)
            try:
                size = path.stat().st_size
                if size > settings.CERTIFICATE_UPLOAD_MAX_BYTES:
                    raise CommandError(f"{name}: the file is {size:,} bytes; the limit is "
                                       f"{settings.CERTIFICATE_UPLOAD_MAX_BYTES:,} bytes")
                contents.append((path.name, path.read_bytes()))
            except OSError as exc:
                raise CommandError(f"{name}: cannot read the file ({exc.strerror or exc})") from None
        previews = preview_files(contents, password, max_bytes=settings.CERTIFICATE_UPLOAD_MAX_BYTES)
        for preview in previews:
            if preview.error:
                hint = " (use --password-file)" if preview.password_problem and not password else ""
                raise CommandError(f"{preview.filename}: {preview.error}{hint}; nothing was imported")
        for preview in previews:
            if preview.private_key_found:
                self.stderr.write(f"{preview.filename}: a private key was found and discarded")
            for found in preview.certificates:
                for warning in found.warnings:
                    self.stderr.write(f"warning: {found.common_name or found.subject}: {warning}")
        items = [(c.der, c.source_kind, c.filename) for p in previews for c in p.certificates]
        result = import_certificates(items=items, actor="import_ca", store=target)
        for cert in result.created:
            self.stdout.write(f"imported  {format_fingerprint(cert.fingerprint_sha256, short=True)}  {cert}")
        for cert in result.already_present:
            self.stdout.write(f"present   {format_fingerprint(cert.fingerprint_sha256, short=True)}  {cert}")
        summary = f"{len(result.created)} imported, {len(result.already_present)} already in the library"
        if target:
            summary += f"; store {target.name} now holds {target.entries.count()} certificate(s)"
        self.stdout.write(summary)
