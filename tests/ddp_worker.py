"""One process of a test's data-parallel fit, started by ``torchrun`` (see test_distributed.py).

Usage: ``torchrun --standalone --nproc_per_node=N tests/ddp_worker.py JOB DIRECTORY``,
where JOB is a pickle of ``(estimators, shards, method)``. Each process calls
``method`` of a clone of every estimator on ``shards[rank]`` and pickles the
fitted estimators (or the ValueErrors they raised) to ``DIRECTORY/rank<rank>.pkl``.
It then writes the names of its gloo threads, while the group ran and after
``destroy_process_group``, to ``DIRECTORY/rank<rank>.threads.json`` (Linux only).
"""

import json
import pickle
import sys
from pathlib import Path

import torch
import torch.distributed as dist
from sklearn.base import clone

# Imported before the group starts, as a training script does (see _distributed.py).
import sk_autoencoder  # noqa: F401

THREADS = Path("/proc/self/task")


def gloo_threads():
    """Names of this process's running threads that gloo started, or None off Linux."""
    if not THREADS.is_dir():
        return None
    names = []
    for thread in THREADS.iterdir():
        try:
            names.append((thread / "comm").read_text().strip())
        except OSError:  # the thread ended while listed
            pass
    return sorted(name for name in names if "gloo" in name)


def main(job, directory):
    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    threads = {"while_the_group_ran": gloo_threads()}
    try:
        estimators, shards, method = pickle.loads(Path(job).read_bytes())
        fitted = []
        for estimator in estimators:
            try:
                fitted.append(getattr(clone(estimator), method)(shards[rank]))
            except ValueError as error:
                fitted.append(error)
        (Path(directory) / f"rank{rank}.pkl").write_bytes(pickle.dumps(fitted))
    finally:
        dist.destroy_process_group()
    threads["after_destroy_process_group"] = gloo_threads()
    (Path(directory) / f"rank{rank}.threads.json").write_text(json.dumps(threads))


if __name__ == "__main__":
    main(*sys.argv[1:])
