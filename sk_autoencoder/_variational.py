"""Variational autoencoder: a generative model with a scikit-learn face."""

from numbers import Integral, Real

from sklearn.utils import check_random_state, check_scalar
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from sk_autoencoder._anomaly import AnomalyScoresMixin
from sk_autoencoder._base import BaseAutoencoder
from sk_autoencoder._docstrings import fill_shared_docs
from sk_autoencoder._floor import PCAFloorMixin
from sk_autoencoder._modules import VariationalAutoencoder, check_layer_sizes, dense_stack
from sk_autoencoder._pca_start import (
    ppca_affine_paths,
    set_affine_paths,
    start_as_ppca,
    with_affine_paths,
)


@fill_shared_docs
class VariationalAutoencoderTransformer(AnomalyScoresMixin, PCAFloorMixin, BaseAutoencoder):
    """Variational autoencoder (VAE) as a scikit-learn transformer.

    ``n_components`` defaults to 2, where ``PCA()`` keeps every component:
    pass the code size you want (``None`` keeps as many units as features).

    The encoder maps each row through ``hidden_layer_sizes`` to a Gaussian
    posterior over a code of ``n_components`` values; the decoder mirrors it
    back to the parameters of the data's likelihood. Training maximises the
    evidence lower bound (ELBO), with the KL term weighed by ``beta``, so the
    codes of the training data fill a standard normal prior: decoding draws
    from that prior (:meth:`sample`) gives new data, and the 2-D maps have no
    holes. :meth:`transform` gives the posterior mean and :meth:`score` the
    mean ELBO, a lower bound of the average log-likelihood, as ``PCA.score``
    gives its log-likelihood; :meth:`score_samples` is an anomaly score from
    the posterior means and their reconstruction, as for the deterministic
    autoencoders (see the user guide's "Anomaly detection" page).

    Parameters
    ----------
    n_components : int or None, default=2
        Size of the code, as PCA's ``n_components``; None keeps as many units
        as features.
    {{hidden_layer_sizes}}
    beta : float, default=1.0
        Weight of the KL divergence of the posterior from the prior in the
        training loss. 1 is the VAE; above 1 trades reconstruction for a
        more regular, disentangled code (beta-VAE).
    {{activation}}
    loss : {"auto", "mse", "bce"}, default="auto"
        Likelihood of the data given the code. "bce" is Bernoulli (data in
        [0, 1]), from a random start. "mse" is Gaussian, with one variance
        shared by all features and fitted to the data; the network starts as
        probabilistic PCA (a linear Gaussian VAE with PPCA's exact posterior,
        whose ELBO is PPCA's log-likelihood), and PCA is its floor as for the
        deterministic autoencoders: the held-out rows' ELBO never ends below
        PPCA's. "auto" takes "bce" when the training data lie in [0, 1], else
        "mse".
    {{batch_size}}
    {{learning_rate_init}}
    {{max_iter}}
    {{training}}

    Attributes
    ----------
    {{n_components_}}
    {{fitted_data}}
    network_kept_ : bool
        Whether the trained network is used: False where PPCA's floor fell
        back to probabilistic PCA.
    validation_error_ : float
        Negative ELBO per held-out row of the model returned (Gaussian
        likelihood, where PPCA is the floor).
    pca_validation_error_ : float
        Probabilistic PCA's negative log-likelihood on the same rows:
        ``validation_error_`` is never above it.
    {{n_judged_rows_}}
    {{fitted_training}}

    See Also
    --------
    AutoencoderTransformer : Deterministic dense autoencoder.
    ConvAutoencoderTransformer : Convolutional autoencoder for images.
    sklearn.decomposition.PCA : Probabilistic PCA is the linear-Gaussian VAE.

    Notes
    -----
    With ``loss="mse"`` the likelihood is Gaussian with one variance for all
    features. A fixed variance (as in the squared-error loss) sets the balance
    between reconstruction and KL arbitrarily and too often lets the code
    collapse onto the prior; here each batch uses its maximum-likelihood
    variance, its mean squared error (the optimal sigma-VAE [2]_), and the
    running average of it is the variance used by :meth:`score`.
    Scores are in the data's original units: the density of the internally
    scaled data is corrected by the scaling's Jacobian. With ``loss="bce"``
    the likelihood is Bernoulli, a density for binary data and the usual
    cross-entropy surrogate for grey levels in [0, 1].

    References
    ----------
    .. [1] D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes",
       ICLR 2014.
    .. [2] O. Rybkin, K. Daniilidis and S. Levine, "Simple and Effective VAE
       Training with Calibrated Decoders", ICML 2021.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sk_autoencoder import VariationalAutoencoderTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> vae = VariationalAutoencoderTransformer(
    ...     n_components=2, max_iter=5, random_state=0
    ... )
    >>> vae.fit_transform(X).shape
    (1797, 2)
    >>> vae.sample(3, random_state=0).shape
    (3, 64)
    >>> vae.score_samples(X[:4]).shape
    (4,)
    """

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        "hidden_layer_sizes": [tuple, list],
        "beta": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes=(256, 128),
        beta=1.0,
        activation="relu",
        loss="auto",
        batch_size="auto",
        learning_rate_init=1e-3,
        max_iter="auto",
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        device="auto",
        random_state=None,
        verbose=0,
        callbacks=None,
        net_params=None,
    ):
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.beta = beta
        self.activation = activation
        self.loss = loss
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.net_params = net_params

    def _starts_as_pca(self):
        # A Gaussian likelihood contains probabilistic PCA; a Bernoulli one does not.
        return self.loss_ == "mse"

    def _start_from_pca(self, statistics, first):
        module = self.net_.module_
        if first:
            start_as_ppca(
                module,
                statistics.components,
                statistics.explained_variance,
                statistics.likelihood_variance,
            )
        else:
            *paths, _ = ppca_affine_paths(
                statistics.components,
                statistics.explained_variance,
                statistics.likelihood_variance,
                statistics.offset,
            )
            set_affine_paths(module, *paths)

    def _build_module(self, n_features, scaling, loss):
        hidden = check_layer_sizes(self.hidden_layer_sizes)
        n_components = self._n_components(n_features)
        encoder = dense_stack((n_features, *hidden, 2 * n_components), self.activation)
        decoder = dense_stack((n_components, *hidden[::-1], n_features), self.activation)
        if loss == "mse":
            encoder, decoder = with_affine_paths(
                encoder, decoder, n_features, 2 * n_components, n_components
            )
        return VariationalAutoencoder(encoder, decoder, scaling=scaling, loss=loss)

    def _criterion_params(self):
        return {"beta": self.beta}

    def score(self, X, y=None):
        """Mean ELBO over ``X``, a lower bound of the average log-likelihood.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows whose ELBO is averaged.
        y : None
            Ignored.

        Returns
        -------
        score : float
            Mean ELBO per sample.
        """
        return super().score(X)

    def sample(self, n_samples=1, random_state=None):
        """Generate new samples by decoding codes drawn from the prior.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws of the codes; an int gives the same samples
            every time.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_in_)
            The means of the likelihood at the drawn codes, in the original
            units and in the training data's float dtype.
        """
        check_is_fitted(self)
        check_scalar(n_samples, "n_samples", Integral, min_val=1)
        codes = check_random_state(random_state).standard_normal((n_samples, self.n_components_))
        return self._map_rows("decode", codes.astype(self.mean_.dtype), self.n_features_in_)
