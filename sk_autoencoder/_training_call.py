"""What one training call of an estimator trains on: :class:`TrainingCall`.

``fit`` and ``partial_fit`` make one and hand it to every training hook of
:class:`~sk_autoencoder._base.BaseAutoencoder` and of the parts mixed into
it, instead of passing the same rows, mode and processes through each
hook's signature.
"""

from dataclasses import dataclass, field

from sk_autoencoder._distributed import SingleProcess


# Not comparable (``eq=False``): two calls on equal rows are still two calls,
# and comparing arrays element-wise gives no single truth value.
@dataclass(frozen=True, eq=False)
class TrainingCall:
    """One training call: a fit, a ``partial_fit`` step, or one process's share of a fit.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        The validated rows this call trains on: all the data of a fit, the
        chunk of a ``partial_fit`` step, or this process's shard of the rows
        where processes train one model together.
    streaming : bool
        Whether the call is a ``partial_fit`` step, one pass over a chunk of
        a stream, rather than a fit: a stream's floor follows an
        ``IncrementalPCA`` of its chunks and trains one pass at a constant
        rate, where a fit plans its own rounds and starts from the PCA of all
        its rows.
    processes : SingleProcess or ProcessGroup, default=SingleProcess()
        The processes that train the model together, each on its own ``X``
        (see :mod:`~sk_autoencoder._distributed`): whatever a hook computes
        from the rows (the scaling, the loss, the PCA start, the floor's
        decision, the anomaly statistics) it reduces over them, so every
        process takes the same decision.
    held_out_fold : int, default=0
        Which fold of the rows is held out (see
        :func:`~sk_autoencoder._held_out.validation_split`). Not 0 only in a
        refit that the PCA floor makes to judge its decision on more rows
        than one fold holds.
    seed : int or None, default=None
        The seed of the fit, drawn from ``random_state`` where None; such a
        refit takes its original's, so that it orders the rows into the same
        folds and its network starts from the same weights.
    """

    X: object
    streaming: bool
    processes: object = field(default_factory=SingleProcess)
    held_out_fold: int = 0
    seed: int | None = None
