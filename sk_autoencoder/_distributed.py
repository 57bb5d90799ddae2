"""Data-parallel training over the processes of a ``torch.distributed`` group.

Under ``torchrun`` or ``accelerate launch``, each process calls ``fit`` on its
own shard of the rows, once the launch script has started the default
process group (``torch.distributed.init_process_group``). Every statistic a
fit computes from its data is then a sum over all processes' rows, taken with
the group's collectives: the internal scaling, the PCA start, the held-out
errors that decide early stopping and the PCA floor. Gradients are averaged by
``DistributedDataParallel``. So every process takes the same decisions and
ends with the same weights.

Training outside such a group sees a :class:`SingleProcess`, whose
"collectives" return their input, so the estimators have one code path.
"""

import gc
import inspect
from contextlib import contextmanager

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

if dist.is_available():
    # torch.distributed.nn binds the default group as the default argument of
    # its functions when it is first imported, and DistributedDataParallel
    # imports it (through torch._dynamo) when the first wrapper is made.
    # Imported after init_process_group, those defaults hold the group for
    # ever: destroy_process_group cannot free it, its gloo threads outlive
    # the interpreter's shutdown, and one that frees a tensor then aborts the
    # process at exit. Imported with this package, before any group exists,
    # the defaults hold None.
    import torch.distributed.nn  # noqa: F401


class SingleProcess:
    """The trivial group of one process: every collective returns its input."""

    world_size = 1
    rank = 0

    def device(self, device):
        """Where this process trains, for the resolved ``device`` parameter."""
        return device

    def sum(self, values):
        """Element-wise sum over the processes, as float64."""
        return np.asarray(values, dtype=np.float64)

    def min(self, values):
        """Element-wise minimum over the processes, as float64."""
        return np.asarray(values, dtype=np.float64)

    def max(self, values):
        """Element-wise maximum over the processes, as float64."""
        return np.asarray(values, dtype=np.float64)

    def gather(self, array):
        """Every process's float64 ``array`` (all of the same shape), in rank order."""
        return [np.asarray(array, dtype=np.float64)]

    def broadcast(self, array):
        """The first process's float64 ``array`` (of the same shape on every process)."""
        return np.asarray(array, dtype=np.float64)

    def all(self, flag):
        """Whether ``flag`` holds on every process."""
        return bool(self.min(float(bool(flag))))

    def any(self, flag):
        """Whether ``flag`` holds on any process."""
        return bool(self.max(float(bool(flag))))

    def mean_over_rows(self, local_mean, n_rows):
        """The mean over all processes' rows, from each one's mean over its ``n_rows``."""
        return np.asarray(local_mean, dtype=np.float64)


class ProcessGroup(SingleProcess):
    """The default ``torch.distributed`` process group, seen from one of its processes.

    Holds no handle, only the group's size and this process's rank; the
    collectives use the default group. Pickled, it becomes a
    :class:`SingleProcess`: a model fitted by a group and loaded elsewhere
    trains on alone.
    """

    def __init__(self):
        self.world_size = dist.get_world_size()
        self.rank = dist.get_rank()

    def __reduce__(self):
        return SingleProcess, ()

    def device(self, device):
        # "cuda" means this process's own GPU, the one the launch script
        # selected with torch.cuda.set_device (torchrun's LOCAL_RANK).
        if device.type == "cuda" and device.index is None:
            return torch.device("cuda", torch.cuda.current_device())
        return device

    def _tensor(self, values):
        # NCCL reduces CUDA tensors only; gloo takes CPU tensors.
        device = "cpu"
        if dist.get_backend() == "nccl":
            device = torch.device("cuda", torch.cuda.current_device())
        return torch.as_tensor(np.asarray(values, dtype=np.float64), device=device)

    def _reduce(self, values, op):
        tensor = self._tensor(values)
        dist.all_reduce(tensor, op=op)
        return tensor.cpu().numpy()

    def sum(self, values):
        return self._reduce(values, dist.ReduceOp.SUM)

    def min(self, values):
        return self._reduce(values, dist.ReduceOp.MIN)

    def max(self, values):
        return self._reduce(values, dist.ReduceOp.MAX)

    def gather(self, array):
        tensor = self._tensor(array)
        gathered = [torch.empty_like(tensor) for _ in range(self.world_size)]
        dist.all_gather(gathered, tensor)
        return [part.cpu().numpy() for part in gathered]

    def broadcast(self, array):
        tensor = self._tensor(array)
        dist.broadcast(tensor, src=0)
        return tensor.cpu().numpy()

    def mean_over_rows(self, local_mean, n_rows):
        local_mean = np.asarray(local_mean, dtype=np.float64)
        return self.sum(local_mean * n_rows) / self.sum(n_rows)


def training_processes():
    """The processes a fit trains over: the default process group, if one of several is started."""
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        return ProcessGroup()
    return SingleProcess()


def check_shards(processes, shape):
    """Raise on every process unless each holds at least 2 rows, all of the same width."""
    n_samples, n_features = shape
    low, high = processes.min(n_features), processes.max(n_features)
    if low != high:
        raise ValueError(
            "The processes training one model hold rows of different widths: between "
            f"{int(low)} and {int(high)} features (this process: {n_features}). Give "
            "each process a shard of the rows of the same data."
        )
    fewest = int(processes.min(n_samples))
    if fewest < 2:
        raise ValueError(
            f"Each process training one model needs at least 2 rows; one holds {fewest} "
            f"(this process: {n_samples}). Shard fewer processes over the rows."
        )


def checked_on_every_process(processes, check, *args, **kwargs):
    """``check(*args, **kwargs)``, raising on every process if it raises on any.

    A process that rejects its shard (a NaN, too many components) would
    otherwise leave the others waiting for it in their next collective, for
    ever where the launch script catches the error. The process that failed
    raises its own error; the others raise a ``ValueError`` naming it.
    """
    try:
        result = check(*args, **kwargs)
    except Exception:
        processes.max(processes.rank + 1)
        raise
    failed_rank = int(processes.max(0)) - 1
    if failed_rank >= 0:
        raise ValueError(
            f"The process of rank {failed_rank} rejected its shard of the rows, so no "
            "process of the group trains; its error says why."
        )
    return result


def equal_batch_count(processes, n_rows, batch_size):
    """Batches per epoch, the same on every process, for a step of about ``batch_size`` rows.

    ``batch_size`` counts the rows of one step over all processes, as in a
    single-process fit of the same data, so results do not depend on how
    many processes share the work. Each process splits its ``n_rows`` into
    that many batches: every gradient all-reduce then has a partner on every
    process, even when shards differ in size.
    """
    n_total = int(processes.sum(n_rows))
    fewest = int(processes.min(n_rows))
    return max(1, min(-(-n_total // batch_size), fewest))


# Buffers are synced once, when the wrapper is made. torch 2.13 renamed the
# switch for the per-step sync; older versions know only the first name.
_NO_BUFFER_SYNC_IN_FORWARD = (
    {"forward_sync_buffers": False}
    if "forward_sync_buffers" in inspect.signature(DistributedDataParallel).parameters
    else {"broadcast_buffers": False}
)


@contextmanager
def data_parallel(net, processes, n_training_rows):
    """Train ``net``'s module as a ``DistributedDataParallel`` replica inside the block.

    The wrapper starts by copying the first process's parameters and buffers
    to the others and then averages gradients in every backward pass; it is
    dropped at the end of the block, so the fitted net holds no handle to the
    group. Buffers stay fixed in training (the PCA paths), so they are not
    broadcast before every step. Each process splits its
    ``n_training_rows`` into the same number of batches
    (:func:`equal_batch_count`).
    """
    if processes.world_size == 1:
        yield
        return
    n_batches = equal_batch_count(processes, n_training_rows, net.batch_size)
    module = net.module_
    device = next(module.parameters()).device
    replica = DistributedDataParallel(
        module,
        device_ids=[device.index] if device.type == "cuda" else None,
        **_NO_BUFFER_SYNC_IN_FORWARD,
    )
    net.set_training_replica(replica)
    net.iterator_train__n_batches = n_batches
    try:
        yield
    finally:
        net.set_training_replica(None)
        del net.iterator_train__n_batches
        # The wrapper sits in reference cycles that hold the group's pending
        # gloo work; left to the collector at interpreter exit, after the
        # group is destroyed, they abort the process (seen in about one
        # exit in four with a 784-feature model). Collect them now.
        del replica
        gc.collect()
