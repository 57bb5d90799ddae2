"""Threads: never ask torch for more threads than the cores that are free.

torch's OpenMP threads wait for each other at the end of every operation. If
one of them shares its core with another busy process, all of them wait for
it: on a 2-core machine with one core busy, two threads train a network 3 to
10 times slower than one. So a fit or a transform runs torch on at most as
many threads as there are cores that other processes leave idle, measured
when it starts, and never on more than torch would use anyway
(``torch.set_num_threads``, ``OMP_NUM_THREADS``, or a joblib worker's share).
"""

import os
import threading
import time
from contextlib import contextmanager

import torch

# How long the cores' idle time is sampled, and how long one reading is
# reused by transforms (a grid search scores hundreds of them in a row); a
# training call always takes a fresh one: a process that started a second
# after the last reading would otherwise share a core with two threads for
# the whole call (measured: 158 s instead of 18 for a default MNIST fit).
SAMPLE_SECONDS = 0.02
READING_LIFETIME_SECONDS = 5.0
# A core counts as free when it was idle at least this share of the sample.
FREE_CORE_IDLE_SHARE = 0.5

_reading = {"time": -float("inf"), "free": None}
_lock = threading.Lock()


def _usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _idle_times():
    """Per-core (idle, total) jiffies from /proc/stat, or None where there is none."""
    try:
        with open("/proc/stat") as stat:
            lines = [line.split() for line in stat if line.startswith("cpu")]
    except OSError:
        return None
    times = {}
    for fields in lines:
        if fields[0] == "cpu":
            continue
        values = [int(value) for value in fields[1:]]
        # idle and iowait
        times[fields[0]] = (values[3] + values[4], sum(values[:8]))
    return times


def _measure_free_cores():
    before = _idle_times()
    if before is None:
        # Without per-core counters, the load average says how many cores are taken.
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):
            return 1
        return max(1, _usable_cores() - round(load))
    own_before, start = time.process_time(), time.monotonic()
    time.sleep(SAMPLE_SECONDS)
    after = _idle_times()
    own_cores = (time.process_time() - own_before) / max(time.monotonic() - start, 1e-9)
    free = 0
    for core, (idle, total) in after.items():
        idle_before, total_before = before.get(core, (idle, total))
        elapsed = total - total_before
        if elapsed <= 0 or (idle - idle_before) / elapsed >= FREE_CORE_IDLE_SHARE:
            free += 1
    # The cores this process keeps busy itself (OpenMP threads that spin a
    # while after their last operation, a data loader) are its to use.
    free += int(own_cores + 1.0 - FREE_CORE_IDLE_SHARE)
    return max(1, min(free, _usable_cores()))


def free_cores(fresh=False):
    """How many cores other processes leave idle now (at least one).

    A reading is reused for :data:`READING_LIFETIME_SECONDS` unless ``fresh``.
    """
    with _lock:
        now = time.monotonic()
        if fresh or now - _reading["time"] > READING_LIFETIME_SECONDS:
            _reading["free"] = _measure_free_cores()
            _reading["time"] = now
        return _reading["free"]


@contextmanager
def threads_for_free_cores(device, fresh=False):
    """Run torch on at most :func:`free_cores` threads inside (CPU work only).

    ``fresh``: measure the free cores now, as a training call does, rather
    than reuse a recent reading.
    """
    n_threads = torch.get_num_threads()
    if device.type != "cpu" or n_threads == 1:
        yield
        return
    limited = min(n_threads, free_cores(fresh=fresh))
    if limited == n_threads:
        yield
        return
    torch.set_num_threads(limited)
    try:
        yield
    finally:
        torch.set_num_threads(n_threads)
