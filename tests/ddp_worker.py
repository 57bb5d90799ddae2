"""One process of a test's data-parallel fit, started by ``torchrun`` (see test_distributed.py).

Usage: ``torchrun --standalone --nproc_per_node=N tests/ddp_worker.py JOB DIRECTORY``,
where JOB is a pickle of ``(estimators, shards, method)``. Each process calls
``method`` of a clone of every estimator on ``shards[rank]`` and pickles the
fitted estimators (or the ValueErrors they raised) to ``DIRECTORY/rank<rank>.pkl``.
"""

import pickle
import sys
from pathlib import Path

import torch
import torch.distributed as dist
from sklearn.base import clone


def main(job, directory):
    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    try:
        rank = dist.get_rank()
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


if __name__ == "__main__":
    main(*sys.argv[1:])
