"""
Watermark removal from paired images
====================================

Every digit carries the same stamp, a ring and a bar of bright pixels, and the
task is to recover the clean digit. The stamp turns the pixels it covers fully on,
so what lay under it is lost: the model has to infer those strokes from the rest
of the digit. :class:`~sk_autoencoder.PairedAutoencoderRegressor` learns from
(stamped, clean) pairs: ``fit(X_stamped, X_clean)``, the clean digit being the
target ``y`` of a multi-output regressor.

Its floor is the best linear map of the code's rank from stamped to clean digits
(reduced-rank regression): it starts as that map and keeps its network only where
held-out pairs say it does better.
"""

# %%
# Stamped digits and their clean targets
# --------------------------------------
import numpy as np
from _common import QUICK, load_mnist, plot_image_rows, save_figure

from benchmarks.paired_data import ReducedRankBaseline, stamped
from sk_autoencoder import PairedAutoencoderRegressor

X_train, X_test, y_train, y_test = load_mnist()
X_train_stamped, X_test_stamped = stamped(X_train), stamped(X_test)

# %%
# Learn from the pairs, with a code of 32 numbers
# -----------------------------------------------
# The default budget in full; one epoch in the examples' quick mode.
model = PairedAutoencoderRegressor(
    n_components=32, max_iter=1 if QUICK else "auto", random_state=0
).fit(X_train_stamped, X_train)
X_cleaned = model.predict(X_test_stamped)

# The floor, computed by scikit-learn alone: least squares of the clean digits
# on the stamped ones, then PCA of its predictions, 32 components.
linear = ReducedRankBaseline(n_components=32).fit(X_train_stamped, X_train)
X_linear = linear.predict(X_test_stamped)


def error(X):
    """Squared error to the clean held-out digits, per digit."""
    return float(np.mean(np.sum((X - X_test) ** 2, axis=1)))


stamped_error = error(X_test_stamped)
linear_error = error(X_linear)
cleaned_error = error(X_cleaned)
print(f"Error to the clean digits: stamped input {stamped_error:.2f}")
print(f"Error to the clean digits: linear map of rank 32 {linear_error:.2f}")
print(f"Error to the clean digits: paired autoencoder {cleaned_error:.2f}")
print(
    f"Ratios: {cleaned_error / stamped_error:.3f} of the stamped input's, "
    f"{cleaned_error / linear_error:.3f} of the linear map's"
)

# %%
# Stamped inputs, the linear map, and the network
# -----------------------------------------------
shown = [np.flatnonzero(y_test == digit)[0] for digit in np.unique(y_test)]
fig = plot_image_rows(
    [X_test[shown], X_test_stamped[shown], X_linear[shown], X_cleaned[shown]],
    ["clean", "stamped input", "linear map", "paired AE"],
    title="Watermark removal, code size 32",
)
save_figure(fig, "watermark_removal.png")

# %%
# The linear map can only blend the pixels around the stamp; the network has learnt
# what the strokes of each digit look like and draws them back under it. The
# figures of ``python -m benchmarks.paired`` over three seeds are in the user
# guide's :ref:`paired_targets` page.
