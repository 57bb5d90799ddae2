"""Helpers shared by the examples: data, the quick mode of the tests, saving figures.

Set ``SK_AUTOENCODER_EXAMPLES_QUICK=1`` to run an example in seconds (a few hundred
rows, one or two epochs: the tests and the documentation's quick build do, so that no
example can rot) and ``SK_AUTOENCODER_EXAMPLES_OUT=folder`` to choose where the
figures go (default: ``examples/output/``). The documentation build sets it to an
empty string: nothing is written and the figures stay open for sphinx-gallery.
"""

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed: every figure is written to a PNG file

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
# The MNIST loader lives in the repository's benchmarks package, which is not installed.
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.datasets import load_mnist10k  # noqa: E402

QUICK = os.environ.get("SK_AUTOENCODER_EXAMPLES_QUICK", "") not in ("", "0")
OUTPUT_DIR = os.environ.get(
    "SK_AUTOENCODER_EXAMPLES_OUT", str(REPO_ROOT / "examples" / "output")
)

# Rows per split in quick mode: enough for every class to appear, few enough for
# seconds.
QUICK_N_TRAIN = 300
QUICK_N_TEST = 100


def epochs(n_full: int) -> int:
    """``n_full`` epochs, or one in quick mode."""
    return 1 if QUICK else n_full


def load_mnist(n_train: int | None = None):
    """MNIST-10k's standard split as ``X_train, X_test, y_train, y_test``.

    ``n_train`` keeps only the first training rows (the split is already shuffled);
    quick mode keeps a few hundred rows of each part.
    """
    data = load_mnist10k()
    n_test = QUICK_N_TEST if QUICK else len(data.X_test)
    if QUICK:
        n_train = QUICK_N_TRAIN
    return (
        data.X_train[:n_train],
        data.X_test[:n_test],
        data.y_train[:n_train],
        data.y_test[:n_test],
    )


def plot_image_rows(rows, row_titles, image_shape=(28, 28), title=None):
    """One row of images per array in ``rows``, each with its title on the left."""
    n_columns = len(rows[0])
    fig, axes = plt.subplots(
        len(rows), n_columns, figsize=(n_columns * 0.9, len(rows) * 1.0), squeeze=False
    )
    for row_axes, images, row_title in zip(axes, rows, row_titles, strict=True):
        for ax, image in zip(row_axes, images, strict=True):
            ax.imshow(np.reshape(image, image_shape), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        row_axes[0].set_ylabel(
            row_title, rotation=0, ha="right", va="center", fontsize=9
        )
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def save_figure(fig, name: str) -> Path | None:
    """Write ``fig`` to ``OUTPUT_DIR/name``, close it, print the path and return it.

    With an empty ``OUTPUT_DIR`` nothing is written and the figure stays open, for
    sphinx-gallery to capture when it builds the documentation's gallery.
    """
    if not OUTPUT_DIR:
        return None
    path = Path(OUTPUT_DIR) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    print(f"Saved {path}")
    return path
