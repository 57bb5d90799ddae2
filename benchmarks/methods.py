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
    """

    name: str
    make: Callable
    max_train_samples: int | None = None
    needs_images: bool = False

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
# Autoencoders (sk_autoencoder): register them here, as in ``register``'s
# docstring. Keep ``import sk_autoencoder`` inside the factories. With
# ``quick=True`` a factory must keep the whole ``--quick`` run (4 data sets x
# 3 code sizes x every method, 1 repeat) under 5 minutes on 2 CPU cores.
# ConvAutoencoderTransformer: Method(..., needs_images=True) and pass
# image_shape=dataset.image_shape.
# ---------------------------------------------------------------------------
