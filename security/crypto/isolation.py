"""Run one parse in a child process with a CPU-time limit: the hard bound behind the iteration limits.

``limits`` refuses the key derivations a PKCS#12 file shows. One it cannot show (a key bag inside an
encrypted part, visible only once decrypted) would still run inside OpenSSL, in one C call that no
Python code can interrupt. So the PKCS#12 parse runs in a forked child whose CPU time the kernel
limits (``RLIMIT_CPU``): whatever the file, the worker that received it waits at most
``CPU_SECONDS`` of computation, then answers with a message.

The child is a fork of the caller: it inherits the imported modules (no start-up cost beyond the
fork, a few milliseconds), computes, writes its answer to a pipe and leaves with ``os._exit``, so it
never runs the parent's exit handlers nor touches its database connections. Where ``fork`` does not
exist (Windows), the function runs in the caller and only the iteration limits apply.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import time
from collections.abc import Callable
from typing import Any

CPU_SECONDS = 5
# On a machine too busy to give the child its CPU seconds, the caller still stops waiting: after 20 s
# with the default, within gunicorn's default 30 s worker timeout.
WALL_SECONDS_PER_CPU_SECOND = 4


class TimeLimitExceeded(Exception):
    """The function used up its CPU time (or the wall-clock bound) and was stopped."""


class ChildFailed(Exception):
    """The child ended without an answer (killed by something else, or out of memory)."""


def call_with_cpu_limit(function: Callable[..., Any], *args: Any, cpu_seconds: int | None = None) -> Any:
    """``function(*args)`` computed in a child process limited to ``cpu_seconds`` of CPU time.

    Returns its result or raises the exception it raised (both must pickle); raises
    TimeLimitExceeded when the limit stopped it.
    """
    seconds = CPU_SECONDS if cpu_seconds is None else cpu_seconds
    if not hasattr(os, "fork"):
        return function(*args)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; its outcome is what the parent checks
        _child(read_fd, write_fd, seconds, function, args)
    os.close(write_fd)
    try:
        payload, timed_out = _read_answer(read_fd, deadline=time.monotonic() + seconds * WALL_SECONDS_PER_CPU_SECOND)
    finally:
        os.close(read_fd)
    if timed_out:
        _kill(pid)
    _, status = os.waitpid(pid, 0)
    if timed_out or (os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL)):
        raise TimeLimitExceeded(f"stopped after {seconds} s of CPU time")
    if not payload:
        raise ChildFailed(f"the child process ended with status {status} and no answer")
    ok, value = pickle.loads(payload)
    if ok:
        return value
    raise value


def _child(read_fd: int, write_fd: int, seconds: int, function: Callable[..., Any], args: tuple) -> None:
    status = 0
    try:
        os.close(read_fd)
        import resource

        # SIGXCPU at the soft limit ends the process (no core file); SIGKILL at the hard limit
        # ends it even if a handler inherited from the parent catches SIGXCPU.
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        signal.signal(signal.SIGXCPU, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
        try:
            answer = (True, function(*args))
        except Exception as exc:  # handed to the parent, which raises it
            answer = (False, exc)
        payload = pickle.dumps(answer)
        view = memoryview(payload)
        while view:
            written = os.write(write_fd, view)
            view = view[written:]
    except BaseException:
        status = 1
    finally:
        os._exit(status)


def _read_answer(read_fd: int, *, deadline: float) -> tuple[bytes, bool]:
    chunks = []
    poller = select.poll()  # not select(): a worker may hold descriptors past FD_SETSIZE
    poller.register(read_fd, select.POLLIN | select.POLLHUP)
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not poller.poll(max(1, int(left * 1000))):
            return b"", True
        chunk = os.read(read_fd, 1 << 16)
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
