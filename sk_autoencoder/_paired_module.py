"""The torch side of paired targets: an encoder of inputs, a decoder of targets."""

from sk_autoencoder._modules import Autoencoder


class PairedAutoencoder(Autoencoder):
    """An encoder from inputs and a decoder to targets, each side in its own units.

    The input enters through ``scaling``, as an autoencoder's does; the
    decoder outputs targets in the units of ``target_scaling``, which the
    module holds as a second submodule so that it moves and saves with the
    weights. Training compares the decoder's output with the batch's targets
    (``forward(X_scaled, target_scaled)``). Scoring takes pairs in one row:
    the input's ``n_features`` values, then the target's.

    Parameters
    ----------
    encoder, decoder : nn.Module
        From scaled inputs to codes, and from codes to the loss's space of
        the targets.
    scaling, target_scaling : Scaling
        The internal scalings of the inputs and of the targets.
    loss, noise, clip_output
        As in :class:`~sk_autoencoder._modules.Autoencoder`, for the targets.
    """

    def __init__(
        self, encoder, decoder, *, scaling, target_scaling, loss, noise=0.0, clip_output=False
    ):
        super().__init__(
            encoder, decoder, scaling=scaling, loss=loss, noise=noise, clip_output=clip_output
        )
        self.target_scaling = target_scaling
        self.n_features = int(scaling.center.shape[0])

    @property
    def output_scaling(self):
        return self.target_scaling

    def _split(self, pairs):
        return pairs[:, : self.n_features], pairs[:, self.n_features :]

    def score_rows(self, pairs):
        """Negative squared error per pair to the target, in the target's units.

        ``pairs`` holds each row's input, then its target, in the user's units.
        """
        X, target = self._split(pairs)
        return self._score_scaled(self.standardize(X), self.target_scaling(target))

    def score_scaled_rows(self, pairs_scaled):
        """:meth:`score_rows` of pairs whose both sides are already in the network's units."""
        return self._score_scaled(*self._split(pairs_scaled))
