"""Write a trusted store's file: the PEM file, the JKS keystore, or the .cer/.p7b for MSCAPI."""

import sys
from pathlib import Path

from django.core.management.base import CommandError

from applications.text import quoted
from security.management.commands._cli import OperatorCommand, find_store


class Command(OperatorCommand):
    help = "Write the store's artefact (PEM file, JKS keystore, or .cer/.p7b for MSCAPI) to a file."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--out", required=True, metavar="FILE", help="where to write it ('-' for standard output)")

    def handle(self, *args, name, out, **options):
        from security.crypto.errors import CertificateError
        from security.stores import build_artifact

        store = find_store(name)
        if not store.entries.exists():
            raise CommandError(f"the store {quoted(name)} holds no certificate yet (add some with import_ca --store)")
        try:
            artifact = build_artifact(store)
        except CertificateError as exc:
            raise CommandError(f"the store {quoted(name)} cannot be built: {exc}") from None
        if out == "-":
            sys.stdout.buffer.write(artifact.content)
            sys.stdout.flush()
            return
        try:
            Path(out).write_bytes(artifact.content)
        except OSError as exc:
            raise CommandError(f"cannot write {out}: {exc.strerror or exc}") from None
        self.stdout.write(f"wrote {out} ({len(artifact.content):,} bytes, {store.entries.count()} certificate(s))")
