"""benchmarks.paired: its problems, a quick run end to end, and the committed run's claims."""

import json

import numpy as np
import pytest

from benchmarks import paired
from benchmarks.cli import cpu_model
from benchmarks.paired_data import colour_patches, stamp, stamped
from benchmarks.render import RESULTS_DIR


def test_stamp_saturates_the_pixels_it_covers_and_leaves_the_others():
    watermark = stamp()
    X = np.random.RandomState(0).uniform(size=(5, 784)).astype(np.float32)
    X_stamped = stamped(X)
    covered = watermark == 1
    assert 30 < covered.sum() < 100
    assert np.all(X_stamped[:, covered] == 1)
    assert np.array_equal(X_stamped[:, ~covered], X[:, ~covered])
    assert X_stamped.dtype == np.float32


def test_colour_patches_are_grey_in_colour_out_from_disjoint_columns():
    grey_train, colour_train, grey_test, colour_test = colour_patches(quick=True)
    assert grey_train.shape[1] == 64 and colour_train.shape[1] == 192
    assert len(grey_train) == len(colour_train) and len(grey_test) == len(colour_test)
    # Grey is the luma of the colour patch it comes with.
    luma = colour_train.reshape(len(colour_train), 64, 3) @ np.array([0.299, 0.587, 0.114])
    np.testing.assert_allclose(grey_train, luma, atol=1e-6)


def test_quick_run_writes_every_measurement(tmp_path):
    argv = ["--quick", "--seeds", "0", "--only", "colourisation", "--out", str(tmp_path)]
    [result] = paired.main(argv)
    content = json.loads((tmp_path / "paired_quick.json").read_text())
    assert content["results"] == [result]
    assert content["settings"]["command"].endswith(" ".join(argv))
    assert content["settings"]["cpu"] == cpu_model()  # figures depend on the CPU
    assert result["ratio_to_linear"] == pytest.approx(result["error"] / result["linear_error"])
    # The floor on its held-out pairs.
    assert result["validation_error"] <= result["linear_validation_error"]


def test_committed_run_meets_the_targets_it_is_quoted_for():
    content = json.loads((RESULTS_DIR / "paired.json").read_text())
    assert not content["settings"]["quick"]
    results = content["results"]
    assert {result["problem"] for result in results} == set(paired.PROBLEMS)
    for result in results:
        assert result["ratio_to_linear"] < 1, result["benchmark"]
        assert result["ratio_to_start"] < 1, result["benchmark"]
        if result["problem"] == "watermark":
            assert result["n_components"] == 32
            assert result["ratio_to_input"] <= 0.5, result["benchmark"]
