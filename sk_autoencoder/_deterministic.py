"""What the dense and convolutional autoencoders share: the deterministic variants as parts."""

from sk_autoencoder._anomaly import AnomalyScoresMixin
from sk_autoencoder._base import BaseAutoencoder
from sk_autoencoder._floor import PCAStartMixin
from sk_autoencoder._modules import Autoencoder
from sk_autoencoder._ordered import OrderedAutoencoder, OrderedCodesMixin, nested_prefix_sizes
from sk_autoencoder._pca_start import with_affine_paths
from sk_autoencoder._regularisers import RegularisersMixin


class DeterministicAutoencoder(
    AnomalyScoresMixin, PCAStartMixin, OrderedCodesMixin, RegularisersMixin, BaseAutoencoder
):
    """Base of the autoencoders whose code is a function of the input.

    It composes the parts: the anomaly scores (``score_samples``), the PCA
    floor (``init``), ordered codes (``ordered``) and the regularisers
    (``noise``, ``sparsity``, ``contraction``). A subclass builds its encoder and decoder and hands
    them to :meth:`_assemble_module`.
    """

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        **PCAStartMixin._parameter_constraints,
        **OrderedCodesMixin._parameter_constraints,
        **RegularisersMixin._parameter_constraints,
    }

    def _assemble_module(self, encoder, decoder, *, n_features, scaling, loss, noise):
        """The autoencoder around ``encoder`` and ``decoder``, as ``init`` and ``ordered`` ask.

        Subclasses build their encoder and decoder and finish :meth:`_build_module`
        here. The architecture depends on the parameters alone, never on the
        data, so that :func:`sk_autoencoder.load` rebuilds it before loading
        weights; the data enter in ``_initialize`` (``_start_from_pca``).
        """
        n_components = self._n_components(n_features)
        starts_as_pca = self.init == "pca"
        if starts_as_pca:
            encoder, decoder = with_affine_paths(
                encoder, decoder, n_features, n_components, n_components
            )
        common = dict(scaling=scaling, loss=loss, noise=noise, clip_output=starts_as_pca)
        if self.ordered:
            module = OrderedAutoencoder(
                encoder, decoder, prefix_sizes=nested_prefix_sizes(n_components), **common
            )
        else:
            module = Autoencoder(encoder, decoder, **common)
        # The contractive penalty differentiates the code with respect to the input.
        module.needs_input_gradient = self.contraction > 0
        return module
