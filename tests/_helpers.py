"""Helpers the test modules share: errors as the floor measures them, the estimator list.

Imported as ``from tests._helpers import ...``: under ``--import-mode=importlib``
pytest imports conftest.py as ``tests.conftest``, so ``from conftest import``
fails, and the fixtures stay in conftest.py.
"""

import inspect

import torch
from sklearn.base import BaseEstimator, MetaEstimatorMixin

import sk_autoencoder

# A zero learning rate runs the training loop without moving a weight: the
# network as it stands before the first step (PCA, for the default start).
UNTRAINED = dict(max_iter=1, net_params={"lr": 0.0})

# Every estimator class in __all__, so that one added there is tested without
# a change in the tests. A meta-estimator (CodeSizeSearchCV) needs an
# estimator to wrap and is tested around one in tests/test_search.py.
PUBLIC_ESTIMATORS = [
    obj
    for obj in (getattr(sk_autoencoder, name) for name in sk_autoencoder.__all__)
    if inspect.isclass(obj)
    and issubclass(obj, BaseEstimator)
    and not issubclass(obj, MetaEstimatorMixin)
]


def squared_error(X, X_reconstructed):
    """Squared error per row, summed over the features, averaged over the rows."""
    return float(((X - X_reconstructed) ** 2).sum(axis=1).mean())


def reconstruction(estimator, X):
    return estimator.inverse_transform(estimator.transform(X))


def reconstruction_error(estimator, X):
    """:func:`squared_error` of the estimator's reconstruction of ``X``."""
    return squared_error(X, reconstruction(estimator, X))


def threads_recorder():
    """A callback that records the torch threads each epoch trained on, and its reader.

    Made here, inside a function, so that workers get them pickled by value:
    worker processes cannot import the test modules.
    """
    from skorch.callbacks import Callback

    class ThreadsSeen(Callback):
        def initialize(self):
            self.seen_ = []
            return self

        def on_epoch_end(self, net, **kwargs):
            self.seen_.append(torch.get_num_threads())

    def threads_seen(estimator):
        """The threads each epoch of the fitted ``estimator`` trained on."""
        return dict(estimator.net_.callbacks_)["ThreadsSeen"].seen_

    return ThreadsSeen, threads_seen
