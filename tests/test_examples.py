"""Every example runs, in the examples' quick mode, writes a figure and keeps its word."""

import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_score

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("plot_*.py"))


def check_2d_maps(namespace):
    maps, n_test = namespace["maps"], len(namespace["X_test"])
    assert list(maps) == list(namespace["methods"])
    assert all(codes.shape == (n_test, 2) for codes in maps.values())


def check_anomaly_detection(namespace):
    # A score that ranks rows at random has a ROC AUC of 0.5; the reconstruction
    # errors (about 0.6) rank the unseen 7s above it, a flipped sign below it.
    # Not the VAE's: Bernoulli, from a random start, one epoch in quick mode
    # leaves it below chance (0.36).
    aucs = namespace["aucs"]
    assert aucs["PCA reconstruction"] > 0.5
    assert aucs["autoencoder"] > 0.5


def check_compression(namespace):
    # The PCA floor: never worse than PCA on held-out rows. The floor is
    # judged on rows held out of the training set, not on these test rows;
    # 2% allows for that, as in tests/test_floor.py.
    assert namespace["autoencoder_error"] <= 1.02 * namespace["pca_error"]


def check_denoising(namespace):
    # A denoiser that learned nothing returns about the mean image (55 here,
    # against 26 for the denoiser and 90 for the noisy digits).
    error = namespace["error"]
    X_train = namespace["X_train"]
    denoised_error = error(namespace["X_denoised"])
    assert denoised_error < error(namespace["X_noisy"])
    assert denoised_error < error(X_train.mean(axis=0, keepdims=True))


def check_grid_search(namespace):
    # "Accuracy grows with the code size: eight numbers already keep most of
    # what the classifier needs from 64 pixels." The baseline: the same
    # classifier on the 64 pixels, under the same folds (0.96 in quick mode;
    # 8 numbers give 0.94, 2 give 0.68).
    search = namespace["search"]
    classifier = clone(namespace["pipeline"][-1])
    pixels_score = cross_val_score(classifier, namespace["X"], namespace["y"], cv=3).mean()
    results = search.cv_results_
    code_sizes = np.asarray(results["param_autoencodertransformer__n_components"], dtype=int)
    for noise in namespace["param_grid"]["autoencodertransformer__noise"]:
        rows = results["param_autoencodertransformer__noise"] == noise
        scores = dict(zip(code_sizes[rows], results["mean_test_score"][rows], strict=True))
        assert scores[2] < scores[8], f"noise={noise}: {scores}"
        assert scores[8] >= 0.9 * pixels_score, f"noise={noise}: {scores}"


def check_paired_floor(error, linear_error):
    # Never worse than the linear map of the same rank: the floor is judged on
    # pairs held out of the training set, not on these test pairs; 2% allows
    # for that, as in check_compression.
    assert error <= 1.02 * linear_error


def check_watermark_removal(namespace):
    # Quick mode (300 digits, one epoch): 14.2 against 33.1 for the stamped
    # input and 17.2 for the linear map.
    check_paired_floor(namespace["cleaned_error"], namespace["linear_error"])
    assert namespace["cleaned_error"] <= 0.5 * namespace["stamped_error"]


def check_colourisation(namespace):
    # Quick mode (1,600 patches, one epoch): 1.47 against 1.89 for the linear map.
    check_paired_floor(namespace["network_error"], namespace["linear_error"])


def check_transfer_learning(namespace):
    # The reused encoder keeps PCA as its floor (2%, as for compression); one
    # epoch in quick mode shows no more than that.
    errors = namespace["errors"]
    assert errors["frozen pretrained encoder"] <= 1.02 * errors["PCA"]
    assert namespace["hidden"].shape == (5, 32, 7, 7)


# What an example promises that its quick mode can show, by example name.
PROMISES = {
    "plot_2d_maps": check_2d_maps,
    "plot_anomaly_detection": check_anomaly_detection,
    "plot_compression": check_compression,
    "plot_denoising": check_denoising,
    "plot_grid_search": check_grid_search,
    "plot_watermark_removal": check_watermark_removal,
    "plot_colourisation": check_colourisation,
    "plot_transfer_learning": check_transfer_learning,
}


@pytest.fixture
def quick_examples(tmp_path, monkeypatch):
    """Tiny settings, figures into ``tmp_path``, and ``_common`` importable as in a run."""
    monkeypatch.setenv("SK_AUTOENCODER_EXAMPLES_QUICK", "1")
    monkeypatch.setenv("SK_AUTOENCODER_EXAMPLES_OUT", str(tmp_path))
    monkeypatch.syspath_prepend(str(EXAMPLES_DIR))
    # _common reads the environment when imported: import it afresh for each test.
    monkeypatch.delitem(sys.modules, "_common", raising=False)
    return tmp_path


def test_examples_found():
    assert len(EXAMPLES) >= 8
    # A renamed example must not silently lose its check.
    assert set(PROMISES) <= {example.stem for example in EXAMPLES}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_example_runs_saves_figure_and_keeps_its_promise(example, quick_examples):
    namespace = runpy.run_path(str(example), run_name="__main__")
    figures = list(quick_examples.glob("*.png"))
    assert figures, f"{example.name} saved no PNG"
    assert all(figure.stat().st_size > 1000 for figure in figures)
    if example.stem in PROMISES:
        PROMISES[example.stem](namespace)
