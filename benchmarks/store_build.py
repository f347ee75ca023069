"""Store build: our command line against the tools it replaces, over the Mozilla CA bundle.

For a JKS and a PEM store built from certifi's bundle:
- ours: three whole processes, ``create_store``, ``import_ca BUNDLE --store``, ``export_store``, on a
  freshly migrated database each time (the library starts empty);
- the source document's way: one ``keytool -importcert`` per certificate (JKS), one
  ``openssl x509 -inform der`` per certificate, concatenated (PEM);
- in-process: ``read_upload`` (with the details of every certificate) + ``build_jks`` + ``build_pem``.

Ours runs in two set-ups: production (PostgreSQL and Redis: the store's checks are queued for the
workers) and without a broker (the checks run inside the command, as in a development checkout).
Every output is checked: keytool lists our JKS, and our PEM holds the same certificates as openssl's.

    .venv/bin/python benchmarks/store_build.py [--repeat 3] [--quick] [--database-url URL]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from _common import (
    PYTHON,
    child_env,
    clone_database,
    database_name,
    default_database_url,
    fresh_database,
    machine,
    median,
    migrate,
    percentile,
    production_env,
    redis_server,
    table,
)

STOREPASS = "bench-storepass"
PEM_RE = re.compile(rb"-----BEGIN CERTIFICATE-----\r?\n(.*?)-----END CERTIFICATE-----", re.S)


def tool(name: str) -> str:
    path = shutil.which(name) or f"/usr/bin/{name}"
    if not Path(path).exists():
        raise SystemExit(f"{name} is not installed")
    return path


def split_bundle(bundle: bytes, limit: int | None) -> list[bytes]:
    ders = [base64.b64decode(m.group(1)) for m in PEM_RE.finditer(bundle)]
    return ders[:limit] if limit else ders


def pem_of(ders: list[bytes]) -> bytes:
    out = []
    for der in ders:
        body = base64.b64encode(der)
        lines = b"\n".join(body[i:i + 64] for i in range(0, len(body), 64))
        out.append(b"-----BEGIN CERTIFICATE-----\n" + lines + b"\n-----END CERTIFICATE-----\n")
    return b"".join(out)


def fingerprints_of_pem(data: bytes) -> set[str]:
    return {hashlib.sha256(base64.b64decode(m.group(1))).hexdigest() for m in PEM_RE.finditer(data)}


def timed(args: list[str], *, env: dict | None = None, cwd: Path | None = None) -> float:
    start = time.perf_counter()
    result = subprocess.run(args, env=env, cwd=cwd, capture_output=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, args))} failed ({result.returncode}):\n"
                         f"{result.stdout.decode(errors='replace')}{result.stderr.decode(errors='replace')}")
    return elapsed


def ours(provider: str, *, work: Path, bundle: Path, env: dict, template: str, run_url: str) -> list[float]:
    """Seconds of create_store, import_ca, export_store on a fresh copy of the migrated database."""
    clone_database(template, run_url)
    env = {**env, "DATABASE_URL": run_url}
    manage = [PYTHON, "manage.py"]
    out = work / f"ours.{provider.lower()}"
    out.unlink(missing_ok=True)
    create = manage + ["create_store", "bench", "--provider", provider, "--path", f"/opt/genesys/trust.{provider}"]
    if provider == "JKS":
        create += ["--password-file", str(work / "storepass")]
    from _common import BASE_DIR

    times = [
        timed(create, env=env, cwd=BASE_DIR),
        timed(manage + ["import_ca", str(bundle), "--store", "bench"], env=env, cwd=BASE_DIR),
        timed(manage + ["export_store", "bench", "--out", str(out)], env=env, cwd=BASE_DIR),
    ]
    return times


def keytool_loop(ders: list[Path], store: Path) -> float:
    keytool = tool("keytool")
    store.unlink(missing_ok=True)
    start = time.perf_counter()
    for index, der in enumerate(ders):
        alias = "root" if index == 0 else f"ca-{index}"
        subprocess.run([keytool, "-importcert", "-noprompt", "-trustcacerts", "-alias", alias, "-file", str(der),
                        "-keystore", str(store), "-storepass", STOREPASS, "-storetype", "JKS"],
                       check=True, capture_output=True)
    return time.perf_counter() - start


def openssl_loop(ders: list[Path], out: Path) -> float:
    openssl = tool("openssl")
    start = time.perf_counter()
    pems = []
    for der in ders:
        pem = der.with_suffix(".pem")
        subprocess.run([openssl, "x509", "-inform", "der", "-in", str(der), "-out", str(pem)],
                       check=True, capture_output=True)
        pems.append(pem.read_bytes())
    out.write_bytes(b"".join(pems))
    return time.perf_counter() - start


def keytool_entries(store: Path) -> tuple[int, bool]:
    listing = subprocess.run([tool("keytool"), "-list", "-keystore", str(store), "-storepass", STOREPASS],
                             check=True, capture_output=True, text=True).stdout
    entries = sum(1 for line in listing.splitlines() if "trustedCertEntry" in line)
    return entries, any(line.startswith("root,") for line in listing.splitlines())


def in_process(bundle: bytes, runs: int) -> list[float]:
    from security.crypto.build import build_jks, build_pem
    from security.crypto.parse import read_upload

    def once() -> None:
        parsed = read_upload(bundle)
        ders = [details.der for details in parsed.details]
        build_jks(ders, STOREPASS)
        build_pem(ders)

    for _ in range(3):
        once()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        once()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=default_database_url("bench_store"),
                        help="database to recreate (its name must start with 'bench'); a copy is made per run")
    parser.add_argument("--repeat", type=int, default=3, help="runs of our command line per set-up (median shown)")
    parser.add_argument("--quick", action="store_true",
                        help="3 certificates, one run, JKS with Redis and PEM without: a smoke test, not a figure")
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    import certifi

    limit = 3 if args.quick else None
    repeat = 1 if args.quick else args.repeat
    ders = split_bundle(Path(certifi.where()).read_bytes(), limit)
    count = len(ders)
    template = args.database_url
    run_url = args.database_url.replace(database_name(template), database_name(template) + "_run")
    print(f"Store build from certifi's bundle ({count} certificates), {machine()}")

    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        work = Path(tmp)
        bundle = work / "cacert.pem"
        bundle.write_bytes(pem_of(ders))
        (work / "storepass").write_text(STOREPASS + "\n")
        der_files = []
        for index, der in enumerate(ders):
            path = work / f"ca{index:03d}.crt"
            path.write_bytes(der)
            der_files.append(path)

        fresh_database(template)
        migrate(template)
        results: dict[tuple[str, str], list[list[float]]] = {}
        with redis_server() as redis_url:
            setups = {
                "production": child_env(template, redis_url=redis_url, **production_env()),
                "no broker": child_env(template),
            }
            for setup, env in setups.items():
                for provider in ("JKS", "PEM"):
                    if args.quick and (setup == "production") != (provider == "JKS"):
                        continue
                    results[(setup, provider)] = [
                        ours(provider, work=work, bundle=bundle, env=env, template=template, run_url=run_url)
                        for _ in range(repeat)
                    ]
                    # Every run's output is checked, not only timed.
                    out = work / f"ours.{provider.lower()}"
                    if provider == "PEM" and len(fingerprints_of_pem(out.read_bytes())) != count:
                        raise SystemExit(f"our PEM store does not hold the {count} certificates")
                    if provider == "JKS":
                        entries, root = keytool_entries(out)
                        if entries != count or not root:
                            raise SystemExit(f"keytool lists {entries} entries in our JKS (root: {root})")

        keytool_seconds = keytool_loop(der_files, work / "keytool.jks")
        entries, root = keytool_entries(work / "keytool.jks")
        if entries != count or not root:
            raise SystemExit(f"the keytool loop built {entries} entries")
        openssl_seconds = openssl_loop(der_files, work / "openssl.pem")
        if fingerprints_of_pem((work / "openssl.pem").read_bytes()) != fingerprints_of_pem(
                (work / "ours.pem").read_bytes()):
            raise SystemExit("openssl's PEM and ours differ")

    rows = []
    totals = {}
    for (setup, provider), runs in results.items():
        total = median([sum(run) for run in runs])
        totals[(setup, provider)] = total
        steps = " / ".join(f"{median([run[i] for run in runs]):.2f}" for i in range(3))
        rows.append([f"ours, {setup}", provider, f"{total:.2f} s", steps])
    rows.append(["keytool -importcert per certificate", "JKS", f"{keytool_seconds:.2f} s", f"{count} processes"])
    rows.append(["openssl x509 per certificate", "PEM", f"{openssl_seconds:.2f} s", f"{count} processes"])
    print(f"\nWhole processes, median of {repeat} run(s) for ours (create_store / import_ca / export_store in s):")
    print(table(rows, ["method", "store", "time", "steps"]))
    print()
    for (setup, provider), total in totals.items():
        other, seconds = ("keytool", keytool_seconds) if provider == "JKS" else ("openssl", openssl_seconds)
        print(f"ratio, {setup}, {provider}: {other} loop / ours = {seconds / total:.1f}x")

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    runs = 10 if args.quick else 50
    times = in_process(pem_of(ders), runs)
    print(f"\nin-process import-and-build of {count} certificates (read_upload with details + build_jks + build_pem): "
          f"median {median(times):.1f} ms, p95 {percentile(times, 95):.1f} ms over {runs} runs")


if __name__ == "__main__":
    main()
