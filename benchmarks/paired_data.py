"""The paired problems of the gallery and ``benchmarks.paired``: inputs and their targets.

- Watermark removal: MNIST-10k digits under a fixed stamp of bright pixels
  (:func:`stamp`), the clean digits as targets. The stamp saturates the
  pixels it covers, so what lay under it is lost and must be inferred from
  the rest of the digit: no per-pixel affine map undoes it.
- Colourisation: 8 x 8 patches of scikit-learn's two sample photographs,
  grey (64 values) in, colour (192 values) out (:func:`colour_patches`).
"""

import numpy as np
from sklearn.datasets import load_sample_images
from sklearn.feature_extraction.image import extract_patches_2d

# The stamp: a ring and a bar of full-intensity pixels, centred low and right
# of the 28 x 28 frame, where it crosses the strokes of most digits.
STAMP_CENTRE = (18.0, 18.0)
STAMP_RADII = (3.5, 5.0)


def stamp(image_shape=(28, 28)):
    """The fixed watermark, a flat row of 0s and 1s of ``image_shape``'s size."""
    rows, columns = np.indices(image_shape, dtype=np.float64)
    distance = np.hypot(rows - STAMP_CENTRE[0], columns - STAMP_CENTRE[1])
    ring = (distance >= STAMP_RADII[0]) & (distance <= STAMP_RADII[1])
    bar = (np.abs(rows - STAMP_CENTRE[0]) <= 0.5) & (np.abs(columns - STAMP_CENTRE[1]) <= 5)
    return (ring | bar).astype(np.float32).ravel()


def stamped(X, watermark=None):
    """``X`` (pixels in [0, 1]) under the watermark: each stamped pixel turns fully on."""
    watermark = stamp() if watermark is None else watermark
    return np.maximum(X, watermark).astype(X.dtype)


# Patches per photograph: the training part's and the test part's.
N_PATCHES = (8000, 2000)
QUICK_N_PATCHES = (800, 300)
PATCH_SIZE = (8, 8)
# The share of each photograph's columns, from the left, that training patches
# come from; test patches come from the rest, so none overlaps a training one.
TRAINING_COLUMNS = 0.6
# ITU-R BT.601 luma weights of red, green and blue.
LUMA = np.array([0.299, 0.587, 0.114])


def grey(patches):
    """Luma of colour patches ``(n, height, width, 3)`` as flat rows ``(n, height * width)``."""
    return (patches @ LUMA).reshape(len(patches), -1).astype(np.float32)


def colour_rows(patches):
    """Colour patches ``(n, height, width, 3)`` as flat rows, channels last."""
    return patches.reshape(len(patches), -1).astype(np.float32)


def colour_patches(quick=False, random_state=0):
    """Grey and colour 8 x 8 patches of both sample photographs, split by columns.

    Returns
    -------
    grey_train, colour_train, grey_test, colour_test : ndarray
        Float32 rows in [0, 1]: grey patches have 64 values, colour ones 192
        (red, green and blue of each pixel in turn).
    """
    n_train, n_test = QUICK_N_PATCHES if quick else N_PATCHES
    parts = {"train": [], "test": []}
    for index, image in enumerate(load_sample_images().images):
        image = image.astype(np.float64) / 255
        boundary = int(TRAINING_COLUMNS * image.shape[1])
        for name, region, n_patches in (
            ("train", image[:, :boundary], n_train),
            ("test", image[:, boundary:], n_test),
        ):
            seed = random_state * 10 + 2 * index + (name == "test")
            parts[name].append(
                extract_patches_2d(region, PATCH_SIZE, max_patches=n_patches, random_state=seed)
            )
    train, test = np.concatenate(parts["train"]), np.concatenate(parts["test"])
    return grey(train), colour_rows(train), grey(test), colour_rows(test)


class ReducedRankBaseline:
    """The linear floor of paired targets computed by scikit-learn alone.

    The least-squares fit of the targets on the inputs (``LinearRegression``),
    then the projection of its predictions onto the top ``n_components``
    principal directions of its fitted values (``PCA``): reduced-rank
    regression, the map a :class:`~sk_autoencoder.PairedAutoencoderRegressor`
    starts as and is never worse than on held-out pairs.
    """

    def __init__(self, n_components):
        self.n_components = n_components

    def fit(self, X, target):
        from sklearn.decomposition import PCA
        from sklearn.linear_model import LinearRegression

        self.regression_ = LinearRegression().fit(X, target)
        self.pca_ = PCA(n_components=self.n_components).fit(self.regression_.predict(X))
        return self

    def predict(self, X):
        return self.pca_.inverse_transform(self.pca_.transform(self.regression_.predict(X)))
