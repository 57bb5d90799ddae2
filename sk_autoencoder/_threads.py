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
import statistics
import threading
import time
from contextlib import contextmanager

import torch

# How long the runnable threads are sampled, in how many readings, and how
# long one measurement is reused by transforms (a grid search scores hundreds
# of them in a row); a training call always takes a fresh one: a process that
# started a second after the last measurement would otherwise share a core
# with two threads for the whole call (measured: 158 s instead of 18 for a
# default MNIST fit).
SAMPLE_SECONDS = 0.02
N_SAMPLES = 5
READING_LIFETIME_SECONDS = 5.0

_reading = {"time": -float("inf"), "free": None}
_lock = threading.Lock()


def _usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _runnable_threads():
    """``(machine, own)``: runnable threads on the machine and in this process; None if unknown.

    Both are counts of the moment, from ``/proc``. A thread of this process
    that spins while it waits for work (OpenMP's and BLAS's do, for a while
    after each operation) is runnable too, and counted in both.
    """
    try:
        with open("/proc/stat") as stat:
            running = [line for line in stat if line.startswith("procs_running")]
        machine = int(running[0].split()[1])
        tasks = os.listdir("/proc/self/task")
    except (OSError, ValueError, IndexError):
        return None
    own = 0
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/stat") as stat:
                fields = stat.read()
        except OSError:  # the thread has ended
            continue
        # The state follows the thread's name, which is in parentheses and may hold any character.
        own += fields[fields.rindex(")") + 2 :].startswith("R")
    return machine, own


def _measure_free_cores():
    """The usable cores less the threads of other processes that are runnable now.

    Other processes' threads are counted, not the cores' idle time: this
    process's own threads spinning after their last operation keep the cores
    busy too, and a count of idle time cannot tell them from another
    process's (measured on an AMD EPYC with one core kept busy: a fit read
    two free cores in two of three calls and ran 4.2 times as long as on an
    idle machine). The median of a few readings over ``SAMPLE_SECONDS``
    passes over a thread that runs for an instant. The count is the whole
    machine's: a process held to some of its cores (an affinity mask) counts
    other processes' threads on the rest as well, and errs towards fewer
    threads, never towards a shared core.
    """
    others = []
    for _ in range(N_SAMPLES):
        counts = _runnable_threads()
        if counts is None:
            break
        machine, own = counts
        # The two counts are a moment apart: a thread may change state between them.
        others.append(max(0, machine - own))
        time.sleep(SAMPLE_SECONDS / N_SAMPLES)
    if not others:
        # Without /proc, the load average says how many cores are taken.
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):
            return 1
        return max(1, _usable_cores() - round(load))
    return max(1, _usable_cores() - statistics.median_low(others))


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
