"""Probes at fleet scale (issue 15): 1,000 secure connections from 50 clients to 200 endpoints on
127.0.0.x, of which 20 accept TCP and never answer the handshake, with the 5 s timeout.

The script generates two CAs and a certificate per endpoint, starts the listeners in a child process
(asyncio: 180 TLS servers, 20 silent ones, each on its own 127.0.0.x address), seeds a fresh database
(50 Co-browse Servers, 45 trusting CA A and 5 trusting CA B, each connected to 20 endpoints, so each
endpoint serves 5 clients), then probes every connection twice: in this process
(``security.probe.probe_connections``) and through one real Celery worker on a private Redis, queued
as the "Probe all" button does. Printed: the time of each run, handshakes made (accepted TCP
connections counted by the listeners), the outcomes, and the peak memory (VmHWM) of each process.

    .venv/bin/python benchmarks/probes.py [--database-url postgres://.../bench_probes] [--timeout 5] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import ssl
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

from _common import (
    BASE_DIR,
    PYTHON,
    child_env,
    default_database_url,
    fresh_database,
    machine,
    migrate,
    production_env,
    redis_server,
    start_worker,
    table,
    use_database,
    wait_until,
)

CLIENTS = 50
ENDPOINTS = 200
HUNG = 20
PER_CLIENT = 20
QUICK = {"CLIENTS": 5, "ENDPOINTS": 20, "HUNG": 2, "PER_CLIENT": 4}


def set_scale(quick: bool) -> None:
    if quick:
        globals().update(QUICK)


def trusting_a(count: int, share: float) -> int:
    """How many of ``count`` (endpoints, clients) go with CA A: the rest with CA B."""
    return count - max(1, round(count * share))
PORT = 4443
TARGET_SECONDS = 15
TARGET_WORKER_MB = 300


def address(i: int) -> str:
    return f"127.0.0.{i + 2}"  # 127.0.0.2 … 127.0.0.201


# -- certificates -----------------------------------------------------------------------------------


def make_certificates(out: Path) -> None:
    """CA A, CA B and a certificate per answering endpoint (its address in the subjectAltName);
    endpoints 0-179 answer, the first 170 with CA A's certificates, the next 10 with CA B's."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def ca(cn):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(name(cn)).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
                .not_valid_after(now + dt.timedelta(days=365))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))
        return cert, key

    cas = {"A": ca("Bench CA A"), "B": ca("Bench CA B")}
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    (out / "leaf.key").write_bytes(leaf_key.private_bytes(serialization.Encoding.PEM,
                                                          serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    for label, (cert, _) in cas.items():
        (out / f"ca-{label}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    for i in range(ENDPOINTS - HUNG):
        ca_cert, ca_key = cas["A" if i < trusting_a(ENDPOINTS - HUNG, 1 / 18) else "B"]
        cert = (x509.CertificateBuilder().subject_name(name(address(i))).issuer_name(ca_cert.subject)
                .public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=90))
                .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address(i)))]),
                               critical=False)
                .sign(ca_key, hashes.SHA256()))
        (out / f"server-{i}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


# -- the listeners (a child process) ----------------------------------------------------------------


def serve(directory: Path) -> None:
    """Run the 200 listeners until stdin closes; print ``ready`` then, at the end, the accepted counts."""
    accepted = Counter()

    async def main() -> None:
        servers = []
        for i in range(ENDPOINTS):
            host = address(i)
            if i >= ENDPOINTS - HUNG:
                held = []

                async def silent(reader, writer, host=host, held=held):
                    accepted[host] += 1
                    held.append(writer)  # accepted, never a word of TLS

                servers.append(await asyncio.start_server(silent, host, PORT, backlog=256))
                continue
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(directory / f"server-{i}.pem", directory / "leaf.key")

            def counted(host=host):
                def on_connection(reader, writer):
                    accepted[host] += 1
                    writer.close()
                return on_connection

            servers.append(await asyncio.start_server(counted(), host, PORT, ssl=context, backlog=256,
                                                      ssl_handshake_timeout=30))
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        for server in servers:
            server.close()
        print(json.dumps({"accepted": sum(accepted.values()), "per_endpoint_max": max(accepted.values(), default=0),
                          "endpoints": len(accepted)}), flush=True)

    asyncio.run(main())


class Listeners:
    def __init__(self, directory: Path):
        scale = ["--quick"] if ENDPOINTS == QUICK["ENDPOINTS"] else []
        self.process = subprocess.Popen([PYTHON, __file__, "--serve", str(directory), *scale], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, cwd=BASE_DIR)
        line = self.process.stdout.readline()
        if line.strip() != "ready":
            raise SystemExit(f"the listeners did not start: {line}")

    def stop(self) -> dict:
        out, _ = self.process.communicate(timeout=30)
        return json.loads(out.strip().splitlines()[-1])


# -- the database -----------------------------------------------------------------------------------


def seed(directory: Path) -> list[int]:
    """50 clients (45 trust CA A, 5 trust CA B), 200 servers on 127.0.0.x, 1,000 connections."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    from applications.models import Application, AppType, Connection, Host, OperatingSystem, Option, Port
    from security.certificates import import_certificates
    from security.models import StoreAssignment, TrustedStore
    from security.stores import store_save

    stores = {}
    for label in ("A", "B"):
        der = x509.load_pem_x509_certificate((directory / f"ca-{label}.pem").read_bytes()).public_bytes(Encoding.DER)
        cert = import_certificates(items=[(der, "pem", f"ca-{label}.pem")], actor="benchmark").created[0]
        stores[label] = store_save(store=TrustedStore(name=f"Bench store {label}", provider="PEM",
                                                      path=f"/opt/genesys/certs/bench-{label}.pem"),
                                   certificates=[cert], password=None, actor="benchmark")
    client_host = Host.objects.create(name="bench-clients", address="10.9.0.1", os_type=OperatingSystem.LINUX)
    clients = Application.objects.bulk_create([
        Application(name=f"Bench_Cobrowse_{i:02d}", app_type=AppType.COBROWSE_SERVER, version="8.5.000.10",
                    host=client_host) for i in range(CLIENTS)])
    options, assignments = [], []
    for i, client in enumerate(clients):
        store = stores["A" if i < trusting_a(CLIENTS, 1 / 10) else "B"]
        options += [Option(application=client, section="security", name="provider", value="PEM"),
                    Option(application=client, section="security", name="trusted-ca", value=store.path)]
        assignments.append(StoreAssignment(application=client, store=store))
    Option.objects.bulk_create(options)
    StoreAssignment.objects.bulk_create(assignments)
    hosts = Host.objects.bulk_create([Host(name=f"bench-server-{i:03d}", address=address(i),
                                           os_type=OperatingSystem.LINUX) for i in range(ENDPOINTS)])
    servers = Application.objects.bulk_create([
        Application(name=f"Bench_Message_{i:03d}", app_type=AppType.MESSAGE_SERVER, version="8.5.100.03", host=h)
        for i, h in enumerate(hosts)])
    ports = Port.objects.bulk_create([Port(application=s, port_id="secure", number=PORT, secured=True)
                                      for s in servers])
    connections = Connection.objects.bulk_create([
        Connection(client=client, port=ports[(i * 4 + k) % ENDPOINTS])
        for i, client in enumerate(clients) for k in range(PER_CLIENT)])
    return [c.pk for c in connections]


def peak_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def outcomes(after: int) -> str:
    from security.models import ProbeResult

    counts = Counter(ProbeResult.objects.filter(pk__gt=after).values_list("outcome", flat=True))
    return ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))


def last_result() -> int:
    from security.models import ProbeResult

    return ProbeResult.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", default=default_database_url("bench_probes"),
                        help="database to recreate (its name must start with 'bench')")
    parser.add_argument("--timeout", type=int, default=5, help="TLS_PROBE_TIMEOUT_SECONDS (default 5)")
    parser.add_argument("--concurrency", type=int, default=64, help="PROBE_CONCURRENCY (default 64)")
    parser.add_argument("--quick", action="store_true", help="5 clients, 20 endpoints, 1 s timeout: a smoke test")
    args = parser.parse_args()
    set_scale(args.quick)
    if args.quick:
        args.timeout = 1
    if args.serve:
        serve(Path(args.serve))
        return
    warnings.simplefilter("ignore")
    url = args.database_url
    settings_env = {"TLS_PROBE_TIMEOUT_SECONDS": str(args.timeout), "PROBE_CONCURRENCY": str(args.concurrency)}
    print(f"Probes of {CLIENTS * PER_CLIENT:,} secure connections from {CLIENTS} clients to {ENDPOINTS} endpoints "
          f"on 127.0.0.x ({HUNG} accept TCP and never answer), timeout {args.timeout} s, PROBE_CONCURRENCY "
          f"{args.concurrency}; PostgreSQL; {machine()}")
    fresh_database(url)
    migrate(url)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-probes-") as tmp, redis_server() as redis_url:
        directory = Path(tmp)
        make_certificates(directory)
        use_database(url, REDIS_URL=redis_url, **production_env(), **settings_env)
        ids = seed(directory)
        from security.probe import enqueue_probes, probe_connections

        listeners = Listeners(directory)
        try:
            before = last_result()
            started = time.perf_counter()
            run = probe_connections(ids)
            seconds = time.perf_counter() - started
        finally:
            counted = listeners.stop()
        rows.append(["in-process", f"{seconds:.2f} s", f"{run.handshakes} / {counted['accepted']}",
                     outcomes(before), f"{peak_mb():.0f} MB (this process)"])

        log = directory / "worker.log"
        worker = start_worker(child_env(url, redis_url=redis_url, **production_env(), **settings_env), log,
                              name="bench-probes")
        listeners = Listeners(directory)
        try:
            before = last_result()
            idle_mb = peak_mb(worker.pid)
            from security.models import ProbeResult

            started = time.perf_counter()
            if not enqueue_probes(ids):
                raise SystemExit("could not queue the probes")
            wait_until(lambda: ProbeResult.objects.filter(pk__gt=before).count() >= len(ids), timeout=600,
                       what="the worker's results", interval=0.05)
            # The whole run: until the task has also refreshed the findings and finished.
            wait_until(lambda: "probe_batch[" in log.read_text() and " succeeded in " in log.read_text(),
                       timeout=600, what="the worker's task to finish", interval=0.05)
            seconds_worker = time.perf_counter() - started
            worker_mb = peak_mb(worker.pid)
        finally:
            counted_worker = listeners.stop()
            worker.terminate()
            worker.wait(timeout=30)
        line = next((x for x in log.read_text().splitlines() if "Probed " in x), "")
        handshakes = line.split(" through ")[1].split(" handshake")[0] if " through " in line else "?"
        rows.append(["one Celery worker on Redis", f"{seconds_worker:.2f} s", f"{handshakes} / "
                     f"{counted_worker['accepted']}", outcomes(before),
                     f"{worker_mb:.0f} MB (worker; {idle_mb:.0f} MB idle)"])
    print(table(rows, ["run", "started/queued to done", "handshakes made / accepted", "outcomes",
                       "peak RSS"]))
    sequential = HUNG * (CLIENTS * PER_CLIENT // ENDPOINTS) * args.timeout
    met = seconds <= TARGET_SECONDS and seconds_worker <= TARGET_SECONDS and worker_mb < TARGET_WORKER_MB
    print(f"\nThe previous design (one probe after the other, a handshake per client) would wait {sequential} s on "
          f"the hung endpoints alone. Targets: <= {TARGET_SECONDS} s each, worker < {TARGET_WORKER_MB} MB: "
          + ("met" if met else "NOT met"))


if __name__ == "__main__":
    sys.exit(main())
