"""
Colourising grey patches of photographs
=======================================

Grey 8 x 8 patches in (64 values), colour patches out (192 values: red, green and
blue of each pixel): :class:`~sk_autoencoder.PairedAutoencoderRegressor` learns
from (grey, colour) pairs, and its decoder writes a target three times as wide as
its input. The patches come from scikit-learn's two sample photographs: training
patches from the left 60% of each photograph, test patches from the rest, so that
no test patch overlaps a training one.

Its floor is the best linear map of the code's rank from grey to colour patches:
the network starts as it and is kept only where held-out pairs say it does better.
"""

# %%
# Grey and colour patches
# -----------------------
import matplotlib.pyplot as plt
import numpy as np
from _common import QUICK, save_figure

from benchmarks.paired_data import PATCH_SIZE, ReducedRankBaseline, colour_patches
from sk_autoencoder import PairedAutoencoderRegressor

grey_train, colour_train, grey_test, colour_test = colour_patches(quick=QUICK)
print(f"{len(grey_train)} training patches, {len(grey_test)} test patches")

# %%
# Learn colour from grey, with a code of 16 numbers
# -------------------------------------------------
model = PairedAutoencoderRegressor(
    n_components=16, max_iter=1 if QUICK else "auto", random_state=0
).fit(grey_train, colour_train)
colour_predicted = model.predict(grey_test)
linear = ReducedRankBaseline(n_components=16).fit(grey_train, colour_train)
colour_linear = linear.predict(grey_test)


def error(colour):
    """Squared error to the true colour patches, per patch."""
    return float(np.mean(np.sum((colour - colour_test) ** 2, axis=1)))


linear_error, network_error = error(colour_linear), error(colour_predicted)
print(f"Error to the colour patches: linear map of rank 16 {linear_error:.3f}")
print(f"Error to the colour patches: paired autoencoder {network_error:.3f}")
print(f"Ratio to the linear map: {network_error / linear_error:.3f}")

# %%
# Grey input, the linear map, the network, the true colours
# ---------------------------------------------------------
# The most colourful test patches, where colour matters most.
saturation = np.ptp(colour_test.reshape(len(colour_test), -1, 3), axis=2).mean(axis=1)
shown = np.argsort(saturation)[-8:]
rows = {
    "grey input": np.repeat(grey_test[shown][..., None], 3, axis=-1),
    "linear map": colour_linear[shown],
    "paired AE": colour_predicted[shown],
    "colour": colour_test[shown],
}
fig, axes = plt.subplots(len(rows), len(shown), figsize=(len(shown) * 0.9, len(rows)))
for row_axes, (title, patches) in zip(axes, rows.items(), strict=True):
    for ax, patch in zip(row_axes, patches, strict=True):
        ax.imshow(np.clip(patch.reshape(*PATCH_SIZE, 3), 0, 1), interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
    row_axes[0].set_ylabel(title, rotation=0, ha="right", va="center", fontsize=9)
fig.suptitle("Colourisation of 8 x 8 patches, code size 16")
fig.tight_layout()
save_figure(fig, "colourisation.png")

# %%
# Grey values alone do not say whether a patch is a blue sky or a brown roof; the
# network learns which textures and brightnesses go with which colours, which no
# linear map of the pixels can. The figures of ``python -m benchmarks.paired`` over
# three seeds are in the user guide's :ref:`paired_targets` page.
