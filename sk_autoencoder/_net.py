"""The one place where estimator parameters become a skorch net."""

import copy

import torch
from skorch import NeuralNet
from skorch.utils import noop, to_tensor

from sk_autoencoder._batching import BatchIterator, RowDataset
from sk_autoencoder._callbacks import (
    CosineLearningRate,
    DivergenceGuard,
    EpochProgressBar,
    RelativeEarlyStopping,
    TrainLossOverProcesses,
    ValidationGuard,
)
from sk_autoencoder._distributed import SingleProcess
from sk_autoencoder._losses import AutoencoderLoss


class AutoencoderNet(NeuralNet):
    """skorch's ``NeuralNet``, minus a per-batch cost, plus data-parallel training steps.

    skorch switches every submodule to train or eval mode before every batch;
    walking a module tree costs about as much as a forward pass through a
    small network. Here the switch happens only when the mode changes.

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

    def _set_training(self, training=True):
        modules = [getattr(self, name + "_") for name in self._modules + self._criteria]
        if any(getattr(module, "training", training) != training for module in modules):
            super()._set_training(training)


def build_net(
    estimator,
    module,
    *,
    loss,
    batch_size,
    device,
    center,
    scale,
    validated,
    criterion_params=None,
    processes=None,
):
    """A skorch net that trains ``module`` as ``estimator``'s parameters say.

    Adam with ``learning_rate_init``, annealed to zero along a cosine over
    the epochs of a ``fit``; training stops when the monitored loss has not
    improved by a relative ``tol`` for ``n_iter_no_change`` epochs, as
    ``MLPRegressor`` does; silent unless ``verbose``. With ``validated``, the
    estimator holds rows out (it sets ``train_split``) and a
    :class:`~sk_autoencoder._callbacks.ValidationGuard` scores them from
    epoch 0 on and keeps the best state. The estimator's ``callbacks`` and
    ``net_params`` come last, so a user can override any of this.

    The net's class and its optimizer are the estimator's ``_net_class`` and
    ``_optimizer``: a variant with more modules or optimizers (a second
    network, trained adversarially) brings a net class that registers them,
    and :func:`sk_autoencoder.save` saves every module and optimizer the net
    registers.

    Parameters
    ----------
    estimator : BaseAutoencoder
        Source of the hyper-parameters.
    module : torch.nn.Module
        The initialised autoencoder.
    loss : {"mse", "bce"}
        Resolved reconstruction loss.
    batch_size : int
        Resolved batch size.
    device : torch.device
        Resolved device.
    center, scale
        The internal scaling, applied to training rows in float64.
    validated : bool
        Whether training is validated on held-out rows.
    criterion_params : dict, default=None
        Extra parameters of :class:`~sk_autoencoder._losses.AutoencoderLoss`.
    processes : SingleProcess or ProcessGroup, default=None
        The processes that train the module together (see
        :mod:`~sk_autoencoder._distributed`); None for this one alone.
    """
    processes = processes or SingleProcess()
    # A budgeted fit stops when its held-out rows stop improving.
    watches_held_out = estimator.early_stopping or (validated and estimator.max_iter == "auto")
    monitor = "valid_loss" if watches_held_out else "train_loss"
    callbacks = [("learning_rate", CosineLearningRate())]
    if processes.world_size > 1:
        callbacks.append(("train_loss_over_processes", TrainLossOverProcesses(processes)))
    if validated:
        callbacks.append(("validation", ValidationGuard(processes)))
    callbacks += [
        (
            "stopping",
            RelativeEarlyStopping(
                monitor=monitor,
                patience=estimator.n_iter_no_change,
                threshold=estimator.tol,
                threshold_mode="rel",
                load_best=False,
                sink=print if estimator.verbose else noop,
            ),
        ),
        (
            "divergence",
            DivergenceGuard(
                estimator.learning_rate_init,
                monitor=monitor,
                keep_best=not validated,
                processes=processes,
            ),
        ),
    ]
    if estimator.verbose and processes.rank == 0:
        callbacks.append(("progress", EpochProgressBar()))
    callbacks += [
        (type(callback).__name__, copy.deepcopy(callback))
        for callback in (estimator.callbacks or [])
    ]
    params = dict(
        module=module,
        criterion=AutoencoderLoss,
        criterion__loss=loss,
        optimizer=estimator._optimizer,
        lr=estimator.learning_rate_init,
        # Each training call says how many rounds it runs.
        max_epochs=1,
        batch_size=batch_size,
        dataset=RowDataset,
        dataset__device=device,
        dataset__center=center,
        dataset__scale=scale,
        iterator_train=BatchIterator,
        iterator_train__shuffle=True,
        iterator_valid=BatchIterator,
        train_split=None,
        callbacks=callbacks,
        device=device,
        verbose=max(0, estimator.verbose - 1),
    )
    if estimator.verbose < 2:
        params["callbacks__print_log"] = None
    if estimator._optimizer is torch.optim.Adam:
        # One fused kernel for all parameters instead of a dozen small
        # operations per tensor: a sixth of a small network's step on a CPU.
        params["optimizer__fused"] = True
    for name, value in (criterion_params or {}).items():
        params[f"criterion__{name}"] = value
    params.update(estimator.net_params or {})
    return estimator._net_class(**params)
