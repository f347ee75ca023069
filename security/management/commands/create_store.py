"""Create a trusted store (PEM, JKS or MSCAPI)."""

from django.core.management.base import CommandError

from applications.text import quoted
from security.management.commands._cli import PasswordFileCommand, read_password_file


class Command(PasswordFileCommand):
    help = "Create a trusted store. Add certificates with: import_ca FILE --store NAME."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--provider", required=True, choices=["PEM", "JKS", "MSCAPI"])
        parser.add_argument("--path", default="", metavar="HOST_PATH",
                            help="path of the file on Linux/Unix Co-browse hosts (trusted-ca); not for MSCAPI")
        parser.add_argument("--windows-path", default="", metavar="HOST_PATH",
                            help="path of the file on Windows Co-browse hosts; not for MSCAPI")
        parser.add_argument("--password-file", metavar="F", help="JKS: file whose first line is the keystore password")

    def handle(self, *args, name, provider, path, windows_path, password_file, **options):
        from security.forms_library import StoreForm
        from security.models import TrustedStore
        from security.stores import store_save

        password = read_password_file(password_file)
        if provider == "JKS" and not password:
            raise CommandError("a JKS store needs a password: give --password-file F")
        if provider != "JKS" and password:
            raise CommandError(f"a {provider} store has no password: drop --password-file")
        # The same validation as the page, so the command and the form can never disagree.
        form = StoreForm(data={"name": name, "provider": provider, "path": path, "windows_path": windows_path,
                               "password": password or "", "password_again": password or ""})
        if not form.is_valid():
            field, errors = next(iter(form.errors.items()))
            raise CommandError(f"{field}: {errors[0]}" if field != "__all__" else errors[0])
        store = form.save(commit=False)
        if TrustedStore.objects.filter(name=store.name).exists():
            raise CommandError(f"a trusted store named {quoted(name)} already exists")
        store_save(store=store, certificates=[], password=password or "", actor="create_store")
        where = "".join(f" at {path}" for path in store.paths[:1]) + "".join(f" and {p}" for p in store.paths[1:])
        self.stdout.write(f"created {provider} store {store.name}{where}")
