"""Ordered codes: the first ``k`` units are a good code for every ``k``, as PCA's are.

The training side (nested dropout over prefix sizes, and the module that
decodes a prefix), then the estimator's part (:class:`OrderedCodesMixin`).
"""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, RealNotInt
from sklearn.utils.validation import check_is_fitted

from sk_autoencoder._modules import Autoencoder

# Code units fitted when ``n_components`` is a fraction of variance to
# explain (at most the number of features): as wide as the last hidden layer
# of the default dense network. Training with nested dropout costs the same
# at any width; the error curve behind ``explained_variance_ratio_`` costs one
# decoder pass over the training data per unit.
MAX_FRACTION_COMPONENTS = 128


def is_fraction(n_components):
    """Whether ``n_components`` is a fraction of variance to explain, not a number of units."""
    return isinstance(n_components, Real) and not isinstance(n_components, Integral)


def nested_prefix_sizes(n_components):
    """The code prefixes the ordered loss trains: powers of two below ``n_components``, then it.

    Doubling sizes spread the training signal evenly over the orders of
    magnitude of the code size, with ``log2(n_components) + 1`` decoder passes
    per batch instead of ``n_components``.
    """
    sizes = [2**power for power in range(max(n_components - 1, 0).bit_length())]
    return tuple(size for size in sizes if size < n_components) + (n_components,)


def nested_dropout(code, prefix_sizes):
    """``code`` with each row cut to a prefix drawn uniformly from ``prefix_sizes``.

    The ordered-code loss term during training: the units past a row's prefix
    are zeroed, so the expected reconstruction loss is the mean over prefix
    sizes of the loss of reconstructing from that prefix alone (a Matryoshka
    loss, Kusupati et al., 2022, sampled as in nested dropout, Rippel et al.,
    2014). Sampling one prefix per row costs one decoder pass, where decoding
    every prefix (:func:`prefix_codes`) costs one per prefix size; measured on
    MNIST, the sampled form reaches a better curve in the same time.
    """
    sizes = torch.tensor(prefix_sizes, device=code.device)
    kept = sizes[torch.randint(len(sizes), (code.shape[0], 1), device=code.device)]
    units = torch.arange(code.shape[1], device=code.device)
    return code * (units < kept).to(code.dtype)


def prefix_codes(code, prefix_sizes):
    """``code`` once per prefix size, the units past the prefix zeroed, stacked on the batch axis.

    Decoding the stack and taking the mean reconstruction loss over it gives
    the mean over prefix sizes ``k`` of the loss of reconstructing from the
    first ``k`` units alone: the expectation :func:`nested_dropout` samples.

    Parameters
    ----------
    code : Tensor of shape (n_samples, n_components)
    prefix_sizes : tuple of int

    Returns
    -------
    Tensor of shape (len(prefix_sizes) * n_samples, n_components)
        Prefix after prefix, each over every sample.
    """
    units = torch.arange(code.shape[1], device=code.device)
    masks = torch.stack([units < size for size in prefix_sizes]).to(code.dtype)
    return (masks.unsqueeze(1) * code.unsqueeze(0)).flatten(0, 1)


class OrderedAutoencoder(Autoencoder):
    """An autoencoder whose first ``k`` code units are a good code for every ``k``.

    Training reconstructs each row from a prefix of its code drawn from
    :func:`nested_prefix_sizes`
    (:func:`nested_dropout`). ``n_active``
    is how many leading units :meth:`encode` returns; :meth:`decode` fills the
    rest with zeros, the value the prefixes were trained with.

    Parameters
    ----------
    encoder, decoder, scaling, loss, noise
        As in :class:`Autoencoder`.
    prefix_sizes : tuple of int
        Prefix sizes the loss averages over, the last one the full code.
    """

    def __init__(self, encoder, decoder, *, prefix_sizes, **kwargs):
        super().__init__(encoder, decoder, **kwargs)
        self.prefix_sizes = tuple(prefix_sizes)
        self.register_buffer("n_active", torch.tensor(self.prefix_sizes[-1]))

    @property
    def n_components(self):
        return self.prefix_sizes[-1]

    def encode_scaled(self, X_scaled):
        return super().encode_scaled(X_scaled)[:, : int(self.n_active)]

    def decode_scaled(self, code):
        padding = code.new_zeros(code.shape[0], self.n_components - code.shape[1])
        return super().decode_scaled(torch.cat([code, padding], dim=1))

    def prefix_errors(self, X):
        """Squared error per row (a column per ``k``) of the reconstruction from ``k`` units."""
        code = self.encoder(self.standardize(X))
        errors = []
        for size in range(1, self.n_components + 1):
            reconstruction = self.to_input_space(self.decoder(prefix_codes(code, (size,))))
            errors.append((X - reconstruction).pow(2).flatten(1).sum(dim=1))
        return torch.stack(errors, dim=1)

    def _decoder_input(self, code):
        return nested_dropout(code, self.prefix_sizes)


class OrderedCodesMixin:
    """The ``ordered`` parameter: nested codes, their prefixes and a fractional ``n_components``.

    Nested codes give :meth:`error_curve` and ``explained_variance_ratio_``;
    :meth:`truncate` cuts a fitted code to a prefix.

    Mixed into an estimator built on :class:`~sk_autoencoder._base.BaseAutoencoder`
    whose module is an :class:`~sk_autoencoder._modules.OrderedAutoencoder`
    when ``ordered=True``.
    """

    _parameter_constraints: dict = {
        "ordered": ["boolean"],
        "n_components": [
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="neither"),
            None,
        ],
    }

    def _check_training_data(self, X):
        super()._check_training_data(X)
        if is_fraction(self.n_components) and not self.ordered:
            raise ValueError(
                f"n_components={self.n_components}, a fraction of variance to explain, "
                "needs ordered=True: only ordered codes can be cut to the smallest "
                "size that explains it."
            )

    def _n_components(self, n_features):
        if is_fraction(self.n_components):
            return min(n_features, MAX_FRACTION_COMPONENTS)
        return super()._n_components(n_features)

    def _after_training(self, call):
        super()._after_training(call)
        if self.ordered:
            self._fit_ordering(call)

    def _fit_ordering(self, call):
        """``explained_variance_ratio_`` and the code size for a fraction, on the ``call``'s rows.

        Processes training one model together measure it on all their rows.

        The ratio of unit ``k`` is the gain in reconstruction R^2 from adding
        it to the first ``k - 1``, so their sum up to ``k`` is the R^2 of the
        first ``k`` units, as the sum of PCA's ratios is its explained variance.
        """
        module = self.net_.module_
        module.n_active.fill_(module.n_components)
        X = call.X
        squared_errors = call.processes.mean_over_rows(self._prefix_error_curve(X), X.shape[0])
        # The total variance per sample, as the internal scaling measured it.
        total = self.n_features_in_ * self.scale_**2
        r2 = 1.0 - squared_errors / total
        n_components = module.n_components
        if is_fraction(self.n_components):
            reached = np.flatnonzero(r2 >= self.n_components)
            n_components = int(reached[0]) + 1 if len(reached) else module.n_components
        module.n_active.fill_(n_components)
        self.n_components_ = n_components
        self.explained_variance_ratio_ = np.diff(r2[:n_components], prepend=0.0)

    def error_curve(self, X):
        """Mean squared reconstruction error from the first ``k`` code units, for every ``k``.

        One fit gives the whole curve, as PCA's components do; an ordered
        autoencoder (``ordered=True``) is trained so that every prefix of its
        code is a good code. The other units are set to zero.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to reconstruct from each prefix of their code, in the units
            the estimator was fitted on.

        Returns
        -------
        errors : ndarray of shape (n_components,)
            ``errors[k - 1]`` is the squared error per sample, summed over
            features, of reconstructing ``X`` from the first ``k`` units, for
            ``k`` up to the fitted code width (``n_components``, or the cap when
            it is a fraction).
        """
        check_is_fitted(self)
        if not self.ordered:
            raise ValueError("error_curve needs an ordered code; fit with ordered=True.")
        X = self._validate_rows(X, reset=False)
        return self._prefix_error_curve(X)

    def truncate(self, n_components):
        """Keep the first ``n_components`` units of the fitted ordered code.

        An ordered code is trained so that each of its prefixes is a code:
        one fit at the largest size serves every smaller one, and this cuts
        the fitted estimator to one of them, in place. Afterwards
        ``transform`` returns ``n_components`` columns, ``inverse_transform``
        takes them (the units past them decode as zero, as in
        :meth:`error_curve`), ``score`` and ``score_samples`` are those of
        the shorter code, and ``n_components_``,
        ``explained_variance_ratio_`` and ``get_feature_names_out`` follow.
        The parameter ``n_components`` keeps the width the network was
        trained at, and ``fit`` or ``partial_fit`` train and return that
        whole width again. :class:`~sk_autoencoder.CodeSizeSearchCV` cuts its
        ``best_estimator_`` so.

        Parameters
        ----------
        n_components : int
            Code units to keep, from 1 to ``n_components_``.

        Returns
        -------
        self : object
            The estimator, its code cut to ``n_components`` units.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from sk_autoencoder import AutoencoderTransformer
        >>> X, _ = load_digits(return_X_y=True)
        >>> autoencoder = AutoencoderTransformer(
        ...     n_components=8, hidden_layer_sizes=(16,), ordered=True,
        ...     max_iter=2, random_state=0,
        ... ).fit(X)
        >>> autoencoder.truncate(3).transform(X).shape
        (1797, 3)
        >>> autoencoder.get_feature_names_out()
        array(['autoencodertransformer0', 'autoencodertransformer1',
               'autoencodertransformer2'], dtype=object)
        """
        check_is_fitted(self)
        if not self.ordered:
            raise ValueError(
                "truncate needs an ordered code; fit with ordered=True: the first units of "
                "an unordered code are not trained to be a code on their own."
            )
        valid = isinstance(n_components, Integral) and not isinstance(n_components, bool)
        if not (valid and 1 <= n_components <= self.n_components_):
            raise ValueError(
                f"n_components={n_components!r} must be an integer from 1 to "
                f"n_components_={self.n_components_}: truncate keeps a prefix of the "
                "fitted code."
            )
        n_components = int(n_components)
        self.net_.module_.n_active.fill_(n_components)
        self.n_components_ = n_components
        self.explained_variance_ratio_ = self.explained_variance_ratio_[:n_components]
        return self

    def _prefix_error_curve(self, X):
        n_components = self.net_.module_.n_components
        return self._map_rows("prefix_errors", X, n_components).mean(axis=0, dtype=np.float64)
