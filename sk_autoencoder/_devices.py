"""Devices and seeding: where the networks run, and reproducible draws from torch's generators."""

import threading
from contextlib import contextmanager

import torch


def resolve_device(device):
    """The torch device for the ``device`` parameter."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            "device='cuda' was requested but torch finds no CUDA device; "
            "use device='auto' or device='cpu'."
        )
    return torch.device(device)


# Weight initialisation, shuffles, noise and sampled codes all draw from
# torch's global generator. Fits running in threads of one process (joblib's
# threading backend, a Dask cluster of thread workers) would interleave their
# draws; they take turns instead, so each stays reproducible.
_GLOBAL_GENERATOR_LOCK = threading.RLock()


@contextmanager
def seeded_torch(seed, device):
    """Seed torch's global generators inside, leaving the caller's untouched."""
    devices = [device] if device.type == "cuda" else []
    with _GLOBAL_GENERATOR_LOCK, torch.random.fork_rng(devices=devices):
        # torch.manual_seed would also queue a seed for every CUDA device,
        # which costs a millisecond per call even where there is none.
        torch.default_generator.manual_seed(seed)
        if devices:
            torch.cuda.manual_seed(seed)
        yield
