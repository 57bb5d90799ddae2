"""
Grid search over code size and regularization
=============================================

An autoencoder is a scikit-learn transformer, so it fits in a
:class:`~sklearn.pipeline.Pipeline` and its code size and regularization can be
tuned by :class:`~sklearn.model_selection.GridSearchCV` like PCA's
``n_components``. Here an :class:`~sk_autoencoder.AutoencoderTransformer` with one
hidden layer feeds a logistic regression on scikit-learn's 8x8 digits; the search
picks the code size and the denoising ``noise`` that give the best cross-validated
accuracy.
"""

# %%
# The pipeline and the grid
# -------------------------
# ``make_pipeline`` names each step after its class, so the autoencoder's
# parameters are ``autoencodertransformer__<name>`` in the grid. With
# ``n_jobs=2`` the fits would run in two processes, each with its share of the
# cores (see :ref:`scaling_out`).
import matplotlib.pyplot as plt
import numpy as np
from _common import QUICK, epochs, save_figure
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sk_autoencoder import AutoencoderTransformer

X, y = load_digits(return_X_y=True)
if QUICK:
    X, y = X[:300], y[:300]

pipeline = make_pipeline(
    AutoencoderTransformer(
        hidden_layer_sizes=(64,),
        max_iter=epochs(30),
        random_state=0,
    ),
    LogisticRegression(max_iter=1000),
)
param_grid = {
    "autoencodertransformer__n_components": [2, 4, 8, 16, 32],
    "autoencodertransformer__noise": [0.0, 0.5, 1.0],
}
search = GridSearchCV(pipeline, param_grid, cv=3).fit(X, y)
print(f"Best cross-validated accuracy: {search.best_score_:.3f}, with")
for name, value in search.best_params_.items():
    print(f"    {name}={value}")

# %%
# Cross-validated accuracy against code size, one line per noise level
# --------------------------------------------------------------------
# ``cv_results_`` holds the mean and standard deviation of the test scores of
# every combination of the grid.
results = search.cv_results_
code_size_of_row = np.asarray(
    results["param_autoencodertransformer__n_components"],
    dtype=int,
)
fig, ax = plt.subplots(figsize=(6, 4))
for noise in param_grid["autoencodertransformer__noise"]:
    rows = np.flatnonzero(results["param_autoencodertransformer__noise"] == noise)
    ax.errorbar(
        code_size_of_row[rows],
        results["mean_test_score"][rows],
        yerr=results["std_test_score"][rows],
        marker="o",
        capsize=3,
        label=f"noise={noise}",
    )
ax.set_xscale("log", base=2)
code_sizes = param_grid["autoencodertransformer__n_components"]
ax.set_xticks(code_sizes, [str(size) for size in code_sizes])
ax.set_xlabel("code size (n_components)")
ax.set_ylabel("3-fold CV accuracy")
ax.set_title("GridSearchCV: autoencoder + logistic regression on digits")
ax.legend()
save_figure(fig, "grid_search.png")

# %%
# Accuracy grows with the code size: eight numbers already keep most of what the
# classifier needs from 64 pixels. The noise levels give close results on these
# small images; where the differences are within the error bars, prefer the
# simpler model.
