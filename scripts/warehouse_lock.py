"""One build or load at a time per warehouse: an exclusive lock on a file beside its build.

The lock is flock(2) on `<dir>/.warehouse-build/<name>.lock`. The kernel releases it when the
last process holding the file descriptor ends, however it ends (kill -9 included), so it is
never left stale; the file itself stays (deleting a lock file lets two processes lock two
different files). build_swap passes the descriptor on to dbt: if build_swap is killed, the lock
stays held until its dbt run has ended too, so no later build deletes files dbt still writes.

A second command waits for the lock, saying who holds it, for WAREHOUSE_LOCK_TIMEOUT seconds
(default 3600; 0 gives up at once), then gives up without touching anything.
"""

import fcntl
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TIMEOUT_VAR = "WAREHOUSE_LOCK_TIMEOUT"
DEFAULT_TIMEOUT_SECONDS = 3600.0
POLL_SECONDS = 0.2
# How often a waiting command says again that it is still waiting.
REMINDER_SECONDS = 60.0


class LockNotAcquired(Exception):
    """Another command held the lock for the whole timeout."""


def timeout_seconds() -> float:
    value = os.environ.get(TIMEOUT_VAR, str(DEFAULT_TIMEOUT_SECONDS))
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if seconds < 0:
        raise SystemExit(
            f"build_swap: {TIMEOUT_VAR}={value!r} is not a number of seconds (0 or more)."
        )
    return seconds


def _holder(descriptor: int) -> str:
    """What the holder wrote into the lock file: its pid, start time and command."""
    text = os.pread(descriptor, 4096, 0).decode(errors="replace").strip()
    return text or "another command"


def _try_lock(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def warehouse_lock(lock_file: Path, warehouse: Path, timeout: float) -> Iterator[int]:
    """Holds the lock (waiting up to timeout seconds); yields its file descriptor."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        started = time.monotonic()
        reminded = None
        while not _try_lock(descriptor):
            waited = time.monotonic() - started
            if waited >= timeout:
                raise LockNotAcquired(
                    f"build_swap: gave up after {waited:.0f} s: {warehouse} is still being built "
                    f"by {_holder(descriptor)}. Nothing was changed. Run again once it has "
                    f"finished, or wait longer with {TIMEOUT_VAR}=<seconds> (now {timeout:g})."
                )
            if reminded is None or time.monotonic() - reminded >= REMINDER_SECONDS:
                print(
                    f"build_swap: {warehouse} is being built by {_holder(descriptor)}; waiting "
                    f"for it to finish (up to {timeout:g} s, {TIMEOUT_VAR}).",
                    file=sys.stderr,
                    flush=True,
                )
                reminded = time.monotonic()
            time.sleep(POLL_SECONDS)
        holder = f"pid {os.getpid()} (since {time.strftime('%Y-%m-%d %H:%M:%S')}: "
        holder += " ".join(sys.argv) + ")"
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, holder.encode(), 0)
        yield descriptor
    finally:
        os.close(descriptor)
