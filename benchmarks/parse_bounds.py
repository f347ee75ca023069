"""Parse bounds: how long the worst upload the console accepts takes to read, and how fast the rest is refused.

Every upload goes through ``read_upload``. What bounds it (see ``security/crypto/limits.py``):
the size limit (5 MB), the iteration limits of PKCS#12 and JCEKS files (1,000,000 per count,
3,000,000 per file, checked before any key is derived) and, for PKCS#12, a 5-second CPU limit on
the parse itself (a forked child). This script measures, on this machine:

1. files from the real tools (openssl, keytool, cryptography), with the right and a wrong password;
2. PKCS#12 files at the limits: ``openssl pkcs12 -export -iter 1000000`` and forged files whose
   derivations are the most expensive per iteration (SHA-512), with the right and a wrong password
   (a wrong one makes OpenSSL derive the MAC key three times);
3. files above the limits: the time to refuse them;
4. a key bag hidden inside an encrypted part with 2³¹−1 iterations: stopped by the CPU limit;
5. the largest files of every format (5 MB): PEM, PKCS#7, JKS, a PKCS#12 of thousands of
   certificates, and the most complex PKCS#12 structure the size allows.

Times are of the whole ``read_upload`` call (fork included): wall clock, and CPU time of this process
and the child together (the figure that holds on a busy machine). No database is needed.

    .venv/bin/python benchmarks/parse_bounds.py [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from _common import BASE_DIR, machine

if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

from security.crypto import CertificateError, ber, build_jks, isolation, limits, read_upload  # noqa: E402
from tests.certs import keystore_forge as forge  # noqa: E402

PASSWORD = "bench-pass"
SIZE_LIMIT = 5 * 1024 * 1024
OID_HMAC_SHA512 = "1.2.840.113549.2.11"


def certificates(count: int) -> list[tuple[x509.Certificate, ec.EllipticCurvePrivateKey]]:
    key = ec.generate_private_key(ec.SECP256R1())
    out = []
    for serial in range(1, count + 1):
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Bench CA {serial}")])
        cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(serial).not_valid_before(dt.datetime(2024, 1, 1)).not_valid_after(dt.datetime(2034, 1, 1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        out.append((cert, key))
    return out


def measure(label: str, data: bytes, password: str | None) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (this process and the PKCS#12 child together) and the outcome of one
    read_upload. CPU time is the figure that holds on a busy machine; wall time includes the wait."""
    before = os.times()
    started = time.perf_counter()
    try:
        parsed = read_upload(data, password=password, filename="bench")
        outcome = f"read: {len(parsed.certificates)} certificate(s)"
    except CertificateError as exc:
        outcome = f"refused: {exc}"
    wall = time.perf_counter() - started
    after = os.times()
    cpu = sum(getattr(after, f) - getattr(before, f) for f in ("user", "system", "children_user", "children_system"))
    print(f"  {label:<62} {len(data):>9,} B {wall:8.3f} s wall {cpu:7.3f} s CPU  {shorten(outcome)}")
    return wall, cpu, outcome


def shorten(text: str, width: int = 110) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def tool(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=300)


def real_tool_files(workdir: Path, cert_pem: Path, key_pem: Path, quick: bool) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    if shutil.which("openssl"):
        for label, extra in [("openssl pkcs12 -export (defaults)", []),
                             ("openssl pkcs12 -export -legacy", ["-legacy"])]:
            out = workdir / "o.p12"
            tool("openssl", "pkcs12", "-export", "-in", str(cert_pem), "-inkey", str(key_pem), "-passout",
                 f"pass:{PASSWORD}", "-out", str(out), *extra)
            files[label] = out.read_bytes()
        if not quick:
            out = workdir / "limit.p12"
            tool("openssl", "pkcs12", "-export", "-in", str(cert_pem), "-inkey", str(key_pem), "-passout",
                 f"pass:{PASSWORD}", "-iter", str(limits.MAX_ITERATIONS), "-out", str(out))
            files["openssl pkcs12 -export -iter 1000000 (at the limit)"] = out.read_bytes()
    if shutil.which("keytool"):
        for store_type in ("pkcs12", "jceks"):
            out = workdir / f"k.{store_type}"
            tool("keytool", "-genkeypair", "-alias", "k", "-keyalg", "EC", "-dname", "CN=bench", "-validity", "30",
                 "-storetype", store_type, "-keystore", str(out), "-storepass", PASSWORD, "-keypass", PASSWORD)
            files[f"keytool -genkeypair -storetype {store_type}"] = out.read_bytes()
    return files


def pbkdf2_sha512_algorithm(iterations: int) -> bytes:
    kdf = forge.seq(forge.oid(forge.OID_PBKDF2), forge.seq(
        forge.octets(os.urandom(16)), forge.integer(iterations), forge.seq(forge.oid(OID_HMAC_SHA512), forge.null())))
    return forge.pbes2_algorithm(b"", 0, os.urandom(16), kdf=kdf)


def largest(encode, available: int, target: int) -> int:
    """The most items (of ``available``) whose encoding stays within ``target`` bytes."""
    low, high = 1, available
    while low < high:
        middle = (low + high + 1) // 2
        if len(encode(middle)) <= target:
            low = middle
        else:
            high = middle - 1
    return low


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="small files, no figure worth keeping")
    parser.add_argument("--database-url", help="ignored: accepted like the other benchmarks', no database is used")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(f"Machine: {machine()}")
    print(f"Limits: {limits.MAX_ITERATIONS:,} iterations per count, {limits.MAX_TOTAL_ITERATIONS:,} per file, "
          f"{isolation.CPU_SECONDS} s CPU per PKCS#12 parse, {SIZE_LIMIT:,} bytes per file")
    (cert, key), = certificates(1)
    cert_der = cert.public_bytes(serialization.Encoding.DER)
    worst_accepted = 0.0  # CPU seconds of PKCS#12 files within the iteration limits
    largest_files = 0.0  # CPU seconds of the largest file of each format

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        cert_pem, key_pem = workdir / "c.pem", workdir / "k.pem"
        cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))

        print("\n1. Files from the real tools (and at the per-count limit)")
        files = real_tool_files(workdir, cert_pem, key_pem, args.quick)
        files["cryptography BestAvailableEncryption"] = pkcs12.serialize_key_and_certificates(
            b"k", key, cert, None, serialization.BestAvailableEncryption(PASSWORD.encode()))
        for label, data in files.items():
            for password, which in ((PASSWORD, "right"), ("wrong-password", "wrong")):
                _, cpu, _ = measure(f"{label}, {which} password", data, password)
                worst_accepted = max(worst_accepted, cpu)

        print("\n2. PKCS#12 at the limits, most expensive derivations (SHA-512)")
        at_limit = limits.MAX_ITERATIONS if not args.quick else 10_000
        mac_only = forge.pfx([forge.data_content(forge.cert_bag(cert_der))], password=PASSWORD,
                             mac_iterations=at_limit, mac_hash="sha512")
        for password, which in ((PASSWORD, "right"), ("wrong-password", "wrong (MAC derived three times)")):
            _, cpu, _ = measure(f"MAC HMAC-SHA512 at {at_limit:,}, {which} password", mac_only, password)
            worst_accepted = max(worst_accepted, cpu)
        # Two encrypted parts at the limit plus the MAC at the limit: the whole file's budget.
        parts = [forge.encrypted_content(forge.cert_bag(cert_der), password=PASSWORD, iterations=at_limit,
                                         prf="sha512") for _ in range(2)]
        budget_file = forge.pfx(parts, password=PASSWORD, mac_iterations=at_limit, mac_hash="sha512")
        _, cpu, _ = measure(f"MAC + 2 parts PBKDF2-HMAC-SHA512 at {at_limit:,} (the file budget)", budget_file,
                            PASSWORD)
        worst_accepted = max(worst_accepted, cpu)

        print("\n3. Above the limits: refused before any key is derived")
        for count in (limits.MAX_ITERATIONS + 1, 100_000_000, 2**31 - 1):
            attack = forge.pfx([forge.data_content(forge.cert_bag(cert_der))], password=PASSWORD,
                               mac_iterations=count, compute_mac=False)
            measure(f"MAC iteration count {count:,}", attack, PASSWORD)
        many = forge.pfx([forge.encrypted_content(forge.cert_bag(cert_der), password=PASSWORD, iterations=1,
                                                  algorithm=pbkdf2_sha512_algorithm(limits.MAX_ITERATIONS))
                          for _ in range(4)], password=PASSWORD, mac_iterations=2048, compute_mac=False)
        measure("4 encrypted parts at 1,000,000 each (over the file budget)", many, PASSWORD)

        print("\n4. A key bag hidden inside an encrypted part (2^31-1 iterations): the CPU limit stops it")
        hidden_count = 2**31 - 1 if not args.quick else 10_000
        hidden = forge.pfx([forge.encrypted_content(
            forge.cert_bag(cert_der),
            forge.shrouded_key_bag(forge.pbes2_algorithm(os.urandom(16), hidden_count, os.urandom(16)), os.urandom(64)),
            password=PASSWORD, iterations=2048)], password=PASSWORD)
        hidden_wall, hidden_cpu, _ = measure(f"hidden shrouded key bag, {hidden_count:,} iterations", hidden, PASSWORD)

        print("\n5. The largest file of each format")
        target = SIZE_LIMIT if not args.quick else 200_000
        pool = certificates(target // 300)
        ders = [c.public_bytes(serialization.Encoding.DER) for c, _ in pool]

        def pem(n: int) -> bytes:
            return b"".join(c.public_bytes(serialization.Encoding.PEM) for c, _ in pool[:n])

        def p7b(n: int) -> bytes:
            return pkcs7.serialize_certificates([c for c, _ in pool[:n]], serialization.Encoding.DER)

        def jks(n: int) -> bytes:
            return build_jks(ders[:n], PASSWORD)

        def p12(n: int) -> bytes:
            return forge.pfx([forge.encrypted_content(*[forge.cert_bag(d) for d in ders[:n]], password=PASSWORD,
                                                      iterations=2048)], password=PASSWORD)

        for label, encode, password in (("PEM bundle", pem, None), ("PKCS#7 bundle", p7b, None),
                                        ("JKS", jks, PASSWORD), ("PKCS#12", p12, PASSWORD)):
            n = largest(encode, len(pool), target)
            _, cpu, _ = measure(f"{label} of {n:,} certificates", encode(n), password)
            largest_files = max(largest_files, cpu)

        def tiny_bags(n: int) -> bytes:  # the most elements per byte for the structure reader
            bag = forge.seq(forge.oid("1.2.3"), forge.explicit(0, forge.null()))
            return forge.pfx([forge.data_content(*[bag] * n)], password=PASSWORD)

        measure("PKCS#12 of tiny bags, just within the structure budget", tiny_bags(ber.MAX_ELEMENTS // 3 - 10),
                PASSWORD)
        filling = (target - 1000) // len(forge.seq(forge.oid("1.2.3"), forge.explicit(0, forge.null())))
        measure("PKCS#12 of tiny bags filling the size limit", tiny_bags(filling), PASSWORD)

    print(f"\nworst accepted PKCS#12 key derivation: {worst_accepted:.2f} s CPU; largest file of any format: "
          f"{largest_files:.2f} s CPU; hidden derivation refused after {hidden_cpu:.2f} s CPU "
          f"({hidden_wall:.2f} s wall; limit {isolation.CPU_SECONDS} s CPU)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
