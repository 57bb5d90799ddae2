"""skorch callbacks, one job each."""

import math
import warnings

from sklearn.exceptions import ConvergenceWarning
from skorch.callbacks import Callback, EarlyStopping
from tqdm.auto import tqdm


class EpochProgressBar(Callback):
    """A progress bar over epochs showing the latest losses (``verbose=1``)."""

    def __init__(self, total):
        self.total = total

    def on_train_begin(self, net, **kwargs):
        self.bar_ = tqdm(total=self.total, unit="epoch")

    def on_epoch_end(self, net, **kwargs):
        last = net.history[-1]
        postfix = {key: f"{last[key]:.4g}" for key in ("train_loss", "valid_loss") if key in last}
        self.bar_.set_postfix(postfix, refresh=False)
        self.bar_.update(1)

    def on_train_end(self, net, **kwargs):
        self.bar_.close()
        # A closed bar still holds its output stream, which cannot be
        # pickled: dropping it keeps a fitted verbose estimator picklable.
        del self.bar_


class DivergenceGuard(Callback):
    """Stops training when the loss stops being finite, and keeps the best weights.

    After every epoch whose ``monitor`` loss is the best so far, the module's
    weights are copied. A non-finite batch loss stops training (skorch treats a
    ``KeyboardInterrupt`` raised by a callback as a request to stop) and
    restores that copy. If no epoch finished, nothing worth keeping exists and
    training fails with an error naming the learning rate.
    """

    def __init__(self, learning_rate, monitor="train_loss"):
        self.learning_rate = learning_rate
        self.monitor = monitor

    def on_train_begin(self, net, **kwargs):
        self.best_loss_ = math.inf
        self.best_state_ = None
        self.diverged_ = False

    def on_epoch_end(self, net, **kwargs):
        loss = net.history[-1, self.monitor]
        if not loss < self.best_loss_:
            return
        self.best_loss_ = loss
        state = net.module_.state_dict()
        if self.best_state_ is None:
            self.best_state_ = {name: tensor.detach().clone() for name, tensor in state.items()}
        else:
            # Copy into the same buffers: no allocation, once per improving epoch.
            for name, tensor in state.items():
                self.best_state_[name].copy_(tensor)

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
        if training and not math.isfinite(loss.item()):
            self.diverged_ = True
            raise KeyboardInterrupt

    def on_train_end(self, net, **kwargs):
        if not self.diverged_:
            return
        n_epochs = len(net.history) - 1
        if self.best_state_ is None:
            raise ValueError(
                "Training diverged: the loss became non-finite during the first "
                f"epoch. Lower learning_rate_init (now {self.learning_rate})."
            )
        net.module_.load_state_dict(self.best_state_)
        warnings.warn(
            f"Training diverged: the loss became non-finite after {n_epochs} "
            f"epoch(s); the weights of the best epoch ({self.monitor} "
            f"{self.best_loss_:.4g}) were kept. Lower learning_rate_init (now "
            f"{self.learning_rate}) to train further.",
            ConvergenceWarning,
            stacklevel=2,
        )


class RelativeEarlyStopping(EarlyStopping):
    """skorch's ``EarlyStopping`` on a loss, with a relative threshold that holds below zero.

    skorch requires a new best below ``best * (1 - tol)``, which for a
    negative loss (a Gaussian negative log-likelihood, as a variational
    autoencoder's) lies above the best: a slightly worse epoch would count as
    an improvement and become the new best. The threshold here is
    ``best - tol * |best|`` for either sign.
    """

    def _calc_new_threshold(self, score):
        return score - self.threshold * abs(score)
