"""The methods under benchmark, in a registry that new methods join with ``register``.

A method is a name and a factory ``make(n_components, dataset, quick, random_state)``
that returns an unfitted scikit-learn transformer: ``fit`` and ``transform``, and
``inverse_transform`` where the method can reconstruct (otherwise the reconstruction
scores are reported as missing). ``quick`` asks for a cheaper configuration (fewer
epochs) for ``python -m benchmarks --quick``.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA, KernelPCA
from sklearn.manifold import Isomap
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from benchmarks.datasets import Dataset


@dataclass(frozen=True)
class Method:
    """A benchmarked method.

    Parameters
    ----------
    name : str
        Name in reports, plots and ``--methods``.
    make : callable
        ``make(n_components, dataset, quick, random_state)`` returns an unfitted
        transformer.
    max_train_samples : int, default=None
        Skip data sets with more training rows, for methods whose memory grows with
        the square of the number of samples.
    needs_images : bool, default=False
        Skip data sets without an ``image_shape`` (convolutional methods).
    max_fit_repeats : int, default=None
        Cap on the repeats of ``fit`` (transform timings still use every
        repeat). Neural networks fit for seconds or minutes, far above timer
        noise, so a median over repeats would only multiply the run time.
    """

    name: str
    make: Callable
    max_train_samples: int | None = None
    needs_images: bool = False
    max_fit_repeats: int | None = None

    def skip_reason(self, n_components: int, dataset: Dataset) -> str | None:
        """Why this method does not run on ``dataset`` at this code size, or None."""
        if n_components >= dataset.n_features:
            return f"code size {n_components} >= {dataset.n_features} features: nothing to compress"
        if self.max_train_samples is not None and dataset.n_train > self.max_train_samples:
            return f"{dataset.n_train} training rows > {self.max_train_samples}: n_samples^2 memory"
        if self.needs_images and dataset.image_shape is None:
            return "needs images (image_shape)"
        return None


METHODS: dict[str, Method] = {}


def register(method: Method) -> Method:
    """Add ``method`` to the registry; ``python -m benchmarks`` runs it by default.

    Import heavy or optional packages inside the factory, not at module level, so
    that the suite still runs where they are missing (that run is then reported as
    failed)::

        def make_autoencoder(n_components, dataset, quick, random_state):
            from sk_autoencoder import AutoencoderTransformer

            return AutoencoderTransformer(
                n_components=n_components,
                max_iter=5 if quick else 50,
                random_state=random_state,
            )

        register(Method("Autoencoder", make_autoencoder))
    """
    if method.name.lower() in (name.lower() for name in METHODS):
        raise ValueError(f"A method named {method.name!r} is already registered.")
    METHODS[method.name] = method
    return method


def get_method(name: str) -> Method:
    """Look a registered method up by name, ignoring case."""
    for registered_name, method in METHODS.items():
        if registered_name.lower() == name.lower():
            return method
    raise ValueError(f"Unknown method {name!r}; choose from {', '.join(METHODS)}.")


def make_pca(n_components, dataset, quick, random_state):
    return PCA(n_components=n_components, random_state=random_state)


def _multiply(X, factor):
    return X * factor


def make_kernel_pca(n_components, dataset, quick, random_state):
    # KernelPCA learns its pre-image map (inverse_transform) by kernel ridge on the
    # codes with the same rbf gamma as the input. The codes' scale is fixed (below 1)
    # whatever the input's, so a gamma suited to raw digits (0-16 grey levels) makes
    # every kernel value on the codes ~1 and every reconstruction the mean image.
    # Scaling the input to unit total variance lets gamma=1 suit both sides; the
    # forward kernel is then SVC's gamma="scale".
    scale = float(np.sqrt(dataset.n_features * dataset.X_train.var(dtype=np.float64)))
    unit_variance = FunctionTransformer(
        _multiply,
        inverse_func=_multiply,
        kw_args={"factor": 1 / scale},
        inv_kw_args={"factor": scale},
    )
    kernel_pca = KernelPCA(
        n_components=n_components,
        kernel="rbf",
        gamma=1.0,
        fit_inverse_transform=True,
        random_state=random_state,
    )
    return make_pipeline(unit_variance, kernel_pca)


def make_isomap(n_components, dataset, quick, random_state):
    return Isomap(n_components=n_components, n_neighbors=10)


register(Method("PCA", make_pca))
register(Method("KernelPCA", make_kernel_pca, max_train_samples=3000))
register(Method("Isomap", make_isomap, max_train_samples=5000))

# ---------------------------------------------------------------------------
# Autoencoders (sk_autoencoder). ``import sk_autoencoder`` stays inside the
# factories. The full run uses the estimators' defaults (what a user gets);
# ``--quick`` caps the epochs so that the whole quick run stays under 5 minutes
# on 2 CPU cores. Every variant shares the deep network, so a row differs from
# "AE deep" by its regulariser alone.
# ---------------------------------------------------------------------------

QUICK_EPOCHS = 10


def _dense_autoencoder(**variant):
    def make(n_components, dataset, quick, random_state):
        from sk_autoencoder import AutoencoderTransformer

        params = dict(n_components=n_components, random_state=random_state, **variant)
        if quick:
            params["max_iter"] = QUICK_EPOCHS
        return AutoencoderTransformer(**params)

    return make


# The estimator as a user gets it: defaults everywhere but the code size and the seed.
make_default_autoencoder = _dense_autoencoder()

register(Method("AE vanilla", _dense_autoencoder(hidden_layer_sizes=()), max_fit_repeats=1))
register(Method("AE deep", make_default_autoencoder, max_fit_repeats=1))
register(Method("AE denoising", _dense_autoencoder(noise=0.2), max_fit_repeats=1))
register(Method("AE sparse", _dense_autoencoder(sparsity=1e-4), max_fit_repeats=1))
register(Method("AE contractive", _dense_autoencoder(contraction=1e-4), max_fit_repeats=1))
register(Method("AE ordered", _dense_autoencoder(ordered=True), max_fit_repeats=1))


QUICK_CONV_EPOCHS = 3


def make_conv_autoencoder(n_components, dataset, quick, random_state):
    from sk_autoencoder import ConvAutoencoderTransformer

    params = dict(
        n_components=n_components, image_shape=dataset.image_shape, random_state=random_state
    )
    if quick:
        params["max_iter"] = QUICK_CONV_EPOCHS
    return ConvAutoencoderTransformer(**params)


def make_variational_autoencoder(n_components, dataset, quick, random_state):
    from sk_autoencoder import VariationalAutoencoderTransformer

    params = dict(n_components=n_components, random_state=random_state)
    if quick:
        params["max_iter"] = QUICK_EPOCHS
    return VariationalAutoencoderTransformer(**params)


register(Method("Conv AE", make_conv_autoencoder, needs_images=True, max_fit_repeats=1))
register(Method("VAE", make_variational_autoencoder, max_fit_repeats=1))


def quick_note(*, conv: bool = True) -> str:
    """How ``--quick`` cuts training, for table and figure titles.

    ``"quick: 10 epochs, 3 for conv"``: a reader must not take a quick figure for
    one of the estimators' defaults. Read at call time, so it follows the constants.
    """
    note = f"quick: {QUICK_EPOCHS} epochs"
    return f"{note}, {QUICK_CONV_EPOCHS} for conv" if conv else note
