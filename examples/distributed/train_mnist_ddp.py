"""
Data-parallel training with torchrun
====================================

One :class:`~sk_autoencoder.AutoencoderTransformer` trained by several processes,
each on its shard of MNIST's rows, with ``torch.distributed``. Launch it from the
repository root::

    torchrun --standalone --nproc_per_node=2 examples/distributed/train_mnist_ddp.py \\
        --out model.safetensors

or with ``accelerate launch --num_processes 2 examples/distributed/train_mnist_ddp.py
--out model.safetensors``. On a machine with GPUs each process takes one (NCCL);
on CPUs they talk through gloo.

The estimator needs no change: ``fit`` sees that a process group is started and
trains data-parallel. The scaling, the PCA start and the held-out rows that
decide early stopping and the PCA floor are those of all processes' rows;
``DistributedDataParallel`` averages the gradients, so every process ends with
the same model. The first process saves it with :func:`sk_autoencoder.save`; it
loads in a plain process with :func:`sk_autoencoder.load`.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from sklearn.decomposition import PCA

from sk_autoencoder import AutoencoderTransformer, save

# The MNIST loader lives in the repository's benchmarks package, which is not installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.datasets import load_mnist10k  # noqa: E402


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    parser.add_argument(
        "--out", required=True, help="where the first process saves the model"
    )
    parser.add_argument("--n-components", type=int, default=8)
    parser.add_argument(
        "--max-iter", type=int, default=None, help="epochs (default: 100)"
    )
    parser.add_argument(
        "--n-train", type=int, default=None, help="use the first N training rows"
    )
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads per process"
    )
    parser.add_argument(
        "--backend",
        choices=["nccl", "gloo"],
        default=None,
        help="default: nccl on GPUs, gloo on CPUs; gloo lets processes share one GPU",
    )
    return parser.parse_args()


def squared_error(model, X):
    """Held-out squared error per image, summed over pixels."""
    return float(
        np.mean(np.sum((model.inverse_transform(model.transform(X)) - X) ** 2, axis=1))
    )


def main():
    arguments = parse_arguments()
    use_cuda = arguments.device != "cpu" and torch.cuda.is_available()
    backend = arguments.backend or ("nccl" if use_cuda else "gloo")
    gpu = None
    if use_cuda:
        # One GPU per process where there are enough: "cuda" then means this
        # process's own. More processes than GPUs share them (gloo only).
        gpu = torch.device(
            "cuda", int(os.environ.get("LOCAL_RANK", 0)) % torch.cuda.device_count()
        )
        torch.cuda.set_device(gpu)
    # NCCL binds the group to this process's GPU; gloo needs no device.
    dist.init_process_group(backend, device_id=gpu if backend == "nccl" else None)
    rank, world_size = dist.get_rank(), dist.get_world_size()
    torch.set_num_threads(arguments.threads)

    data = load_mnist10k()
    X_train = data.X_train[: arguments.n_train]
    # Each process reads its own rows: here every world_size-th one.
    shard = X_train[rank::world_size]

    model = AutoencoderTransformer(
        n_components=arguments.n_components,
        device="cuda" if use_cuda else "cpu",
        random_state=0,
    )
    if arguments.max_iter is not None:
        model.set_params(max_iter=arguments.max_iter)
    start = time.perf_counter()
    model.fit(shard)
    fit_seconds = time.perf_counter() - start

    if rank == 0:
        save(model, arguments.out)
        pca = PCA(n_components=arguments.n_components).fit(X_train)
        model_error = squared_error(model, data.X_test)
        pca_error = squared_error(pca, data.X_test)
        print(
            f"{world_size} process(es) on {model.device_.type}, {len(X_train)} "
            f"training rows ({len(shard)} here), {model.n_iter_} epochs in "
            f"{fit_seconds:.1f} s.\nHeld-out squared error per image: autoencoder "
            f"{model_error:.2f}, PCA {pca_error:.2f}. Saved to {arguments.out}."
        )
    # The others wait for the first to save, so that no process leaves the group early.
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
