"""
Grid search over code size and regularization
=============================================

An autoencoder is a scikit-learn transformer, so it fits in a ``Pipeline`` and its
code size and regularization can be tuned by ``GridSearchCV`` like PCA's
``n_components``. Here a deep autoencoder feeds a logistic regression on
scikit-learn's 8x8 digits; the search picks the code size and the denoising
``noise`` that give the best cross-validated accuracy.
"""

# %%
# The pipeline and the grid
# -------------------------
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
    AutoencoderTransformer(hidden_layer_sizes=(64,), max_iter=epochs(30), random_state=0),
    LogisticRegression(max_iter=1000),
)
param_grid = {
    "autoencodertransformer__n_components": [2, 4, 8, 16, 32],
    "autoencodertransformer__noise": [0.0, 0.5, 1.0],
}
search = GridSearchCV(pipeline, param_grid, cv=3).fit(X, y)
print(f"Best parameters: {search.best_params_}, accuracy {search.best_score_:.3f}")

# %%
# Cross-validated accuracy against code size, one line per noise level
# ----------------------------------------------------------------------
results = search.cv_results_
fig, ax = plt.subplots(figsize=(6, 4))
for noise in param_grid["autoencodertransformer__noise"]:
    rows = np.flatnonzero(results["param_autoencodertransformer__noise"] == noise)
    ax.errorbar(
        np.asarray(results["param_autoencodertransformer__n_components"][rows], dtype=int),
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
