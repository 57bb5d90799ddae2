"""Training on (input, target) pairs: batches of both, sliced at the same positions."""

from skorch.dataset import unpack_data

from sk_autoencoder._batching import RowDataset
from sk_autoencoder._net import AutoencoderNet


class PairedRowDataset(RowDataset):
    """The rows of ``X`` and of the targets ``y``, served a pair of batches at a time.

    Each side is a :class:`~sk_autoencoder._batching.RowDataset` in its own
    units: the targets become one scaled float32 tensor on the device where
    the inputs do, and a batch is the same positions of both.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Inputs in the user's units.
    y : ndarray of shape (n_samples, n_outputs)
        Targets in the user's units.
    device : str or torch.device
    scaling, target_scaling : Scaling
        The internal scalings of the inputs and of the targets.
    """

    def __init__(self, X, y=None, *, device="cpu", scaling, target_scaling):
        if y is None or y.shape[0] != X.shape[0]:
            raise ValueError("Paired training needs one target row for each input row.")
        super().__init__(X, device=device, scaling=scaling)
        self.targets = RowDataset(y, device=device, scaling=target_scaling)
        if (self._tensor is None) != (self.targets._tensor is None):
            # A side read from the host reads its batch's rows in sorted order;
            # both sides read alike, so that a batch's pairs stay aligned.
            self._tensor = self.targets._tensor = None

    def batch(self, positions):
        """``(X_batch, target_batch)``: the input and target rows at ``positions``."""
        target_positions = positions if self.indices is None else self.indices[positions]
        return self.rows(positions), self.targets.rows(target_positions)


class PairedAutoencoderNet(AutoencoderNet):
    """The skorch net of paired training: its module sees each batch's targets.

    The dataset scales the targets with the module's own target scaling,
    the one saved with the weights, so that training goes on after
    :func:`sk_autoencoder.load` as it would have before saving.
    """

    def get_dataset(self, X, y=None):
        return PairedRowDataset(
            X, y, target_scaling=self.module_.target_scaling, **self.get_params_for("dataset")
        )

    def train_step_single(self, batch, **fit_params):
        _, target_batch = unpack_data(batch)
        return super().train_step_single(batch, target_scaled=target_batch, **fit_params)
