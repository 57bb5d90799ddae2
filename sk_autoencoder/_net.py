"""The one place where a training configuration becomes a skorch net."""

import copy
from dataclasses import dataclass, field

import torch
from skorch import NeuralNet
from skorch.dataset import unpack_data
from skorch.utils import noop, to_tensor

from sk_autoencoder._batching import BatchIterator, RowDataset
from sk_autoencoder._callbacks import (
    AnnealedLearningRate,
    CosineFactor,
    DivergenceGuard,
    EpochProgressBar,
    StopWhenStalled,
    TrainLossOverProcesses,
    ValidationGuard,
)
from sk_autoencoder._distributed import SingleProcess
from sk_autoencoder._losses import AutoencoderLoss


class AutoencoderNet(NeuralNet):
    """skorch's ``NeuralNet``, minus a per-batch cost, plus data-parallel training steps.

    skorch switches every submodule to train mode before every batch;
    walking a module tree costs about as much as a forward pass through a
    small network. Here the switch happens once a round, when the round
    begins (callbacks that evaluate the module put it back in train mode).

    While a training replica is set (a ``DistributedDataParallel`` wrapper of
    ``module_``, see :func:`~sk_autoencoder._distributed.data_parallel`),
    training steps run through it, so gradients are averaged over processes;
    ``module_`` stays the plain module everywhere else.
    """

    def set_training_replica(self, replica):
        """Run training steps through ``replica`` (None: through ``module_``)."""
        if replica is None:
            vars(self).pop("_training_replica", None)
            return
        # Set past skorch's __setattr__, which would register the wrapper as
        # one more module of the net to move, save and load.
        object.__setattr__(self, "_training_replica", replica)

    def infer(self, x, **fit_params):
        replica = vars(self).get("_training_replica")
        if replica is None or not self.module_.training:
            return super().infer(x, **fit_params)
        return replica(to_tensor(x, device=self.device), **fit_params)

    def on_epoch_begin(self, net, **kwargs):
        super().on_epoch_begin(net, **kwargs)
        for name in self._modules + self._criteria:
            getattr(self, name + "_").train()

    def train_step_single(self, batch, **fit_params):
        # skorch's step, minus the switch to train mode (see the class's doc).
        Xi, yi = unpack_data(batch)
        y_pred = self.infer(Xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        loss.backward()
        return {"loss": loss, "y_pred": y_pred}


@dataclass(frozen=True)
class NetConfig:
    """Everything a skorch net is built from: an estimator's parameters, resolved for its data.

    Parameters
    ----------
    loss : {"mse", "bce"}
        Resolved reconstruction loss.
    batch_size : int
        Resolved batch size.
    device : torch.device
        Resolved device.
    scaling : Scaling
        The internal scaling, which puts training rows in the network's units.
    learning_rate : float
        Adam's initial learning rate (``learning_rate_init``).
    monitor : {"train_loss", "valid_loss"}
        The loss whose stall stops training.
    patience : int
        Rounds without improvement before training stops; each training
        call may plan its own (:func:`plan_rounds`).
    tol : float
        Relative improvement that counts.
    verbose : int
        0 silent, 1 a progress bar and the floor's decision, 2 skorch's table too.
    validated : bool
        Whether training is validated on held-out rows (the estimator holds
        them out; a :class:`~sk_autoencoder._callbacks.ValidationGuard`
        scores them from round 0 on and keeps the best state).
    criterion_params : dict
        Extra parameters of :class:`~sk_autoencoder._losses.AutoencoderLoss`.
    callbacks : list
        The user's skorch callbacks, after the library's.
    net_params : dict
        The user's skorch parameters, applied last: they override any of this.
    net_class, optimizer : type
        A variant with more modules or optimizers (a second network, trained
        adversarially) brings a net class that registers them, and
        :func:`sk_autoencoder.save` saves every module and optimizer the net
        registers.
    processes : SingleProcess or ProcessGroup
        The processes that train the module together (see
        :mod:`~sk_autoencoder._distributed`).
    """

    loss: str
    batch_size: int
    device: torch.device
    scaling: object
    learning_rate: float
    monitor: str
    patience: int
    tol: float
    verbose: int
    validated: bool
    criterion_params: dict = field(default_factory=dict)
    callbacks: list = field(default_factory=list)
    net_params: dict = field(default_factory=dict)
    net_class: type = AutoencoderNet
    optimizer: type = torch.optim.Adam
    processes: object = field(default_factory=SingleProcess)


def build_net(module, config):
    """A skorch net that trains ``module`` as the :class:`NetConfig` ``config`` says.

    Adam, annealed to zero along a cosine over the rounds a training call
    plans (:func:`plan_rounds`); training stops when the monitored loss has
    not improved by a relative ``tol`` for ``patience`` rounds, as
    ``MLPRegressor`` does; silent unless ``verbose``.
    """
    processes = config.processes
    callbacks = [("learning_rate", AnnealedLearningRate())]
    if processes.world_size > 1:
        callbacks.append(("train_loss_over_processes", TrainLossOverProcesses(processes)))
    if config.validated:
        callbacks.append(("validation", ValidationGuard(processes)))
    callbacks += [
        (
            "stopping",
            StopWhenStalled(
                monitor=config.monitor,
                patience=config.patience,
                tol=config.tol,
                sink=print if config.verbose else noop,
            ),
        ),
        (
            "divergence",
            DivergenceGuard(
                config.learning_rate,
                monitor=config.monitor,
                keep_best=not config.validated,
                processes=processes,
            ),
        ),
    ]
    if config.verbose and processes.rank == 0:
        callbacks.append(("progress", EpochProgressBar()))
    callbacks += [
        (type(callback).__name__, copy.deepcopy(callback)) for callback in config.callbacks
    ]
    params = dict(
        module=module,
        criterion=AutoencoderLoss,
        criterion__loss=config.loss,
        optimizer=config.optimizer,
        lr=config.learning_rate,
        # Each training call says how many rounds it runs.
        max_epochs=1,
        batch_size=config.batch_size,
        dataset=RowDataset,
        dataset__device=config.device,
        dataset__scaling=config.scaling,
        iterator_train=BatchIterator,
        iterator_train__shuffle=True,
        iterator_valid=BatchIterator,
        train_split=None,
        callbacks=callbacks,
        device=config.device,
        verbose=max(0, config.verbose - 1),
    )
    if config.verbose < 2:
        params["callbacks__print_log"] = None
    for name, value in config.criterion_params.items():
        params[f"criterion__{name}"] = value
    params.update(config.net_params)
    if params["optimizer"] is torch.optim.Adam:
        # One fused kernel for all parameters instead of a dozen small
        # operations per tensor: a sixth of a small network's step on a CPU.
        # Only for Adam: the optimizer the user names may take no such option.
        params.setdefault("optimizer__fused", True)
    return config.net_class(**params)


def plan_rounds(net, n_rounds, anneal, patience):
    """Set ``net``'s schedule for its next training call, through skorch's ``set_params``.

    The learning rate anneals over ``n_rounds`` (constant unless
    ``anneal``), and training stops after ``patience`` rounds without
    improvement; a progress bar, where there is one, shows ``n_rounds``.
    """
    params = {
        "callbacks__learning_rate__lr_lambda": CosineFactor(n_rounds if anneal else None),
        "callbacks__stopping__patience": patience,
    }
    if "progress" in dict(net.callbacks_):
        params["callbacks__progress__total"] = n_rounds
    net.set_params(**params)
