"""Tests of the benchmark suite: it runs end to end, and its data are what they claim."""

import gzip
import json
import math
import urllib.error

import numpy as np
import pytest
from sklearn.decomposition import PCA
from threadpoolctl import threadpool_limits

from benchmarks import datasets, methods
from benchmarks.datasets import DatasetError, load_mnist10k, load_user_data, read_idx
from benchmarks.methods import METHODS, Method
from benchmarks.metrics import squared_error_per_sample
from benchmarks.report import FIELDS
from benchmarks.run import main


def test_benchmarks_main_writes_results_and_plots(tmp_path, capsys):
    argv = ["--datasets", "digits", "--methods", "PCA", "--n-components", "2"]
    argv += ["--repeats", "1", "--out", str(tmp_path)]

    assert main(argv) == 0

    written = {path.name for path in tmp_path.iterdir()}
    expected_plots = {
        "error_vs_code_size.png",
        "error_vs_fit_time.png",
        "reconstructions_digits.png",
        "maps_2d_digits.png",
    }
    assert {"results.json", "results.csv"} | expected_plots <= written
    (record,) = json.loads((tmp_path / "results.json").read_text())["results"]
    assert set(record) == set(FIELDS)
    assert (record["dataset"], record["method"], record["n_components"]) == (
        "digits",
        "PCA",
        2,
    )
    numbers = [record[field] for field in FIELDS[3:-1]]
    assert all(math.isfinite(number) for number in numbers), record
    assert "| digits" in capsys.readouterr().out


def test_benchmarks_run_every_autoencoder_end_to_end(tmp_path, monkeypatch, one_torch_thread):
    # Two epochs are enough to show the whole path works, not to compete.
    monkeypatch.setattr(methods, "QUICK_EPOCHS", 2)
    monkeypatch.setattr(methods, "QUICK_CONV_EPOCHS", 1)
    autoencoders = [name for name in METHODS if name.startswith(("AE", "Conv", "VAE"))]
    argv = ["--datasets", "digits", "--methods", *autoencoders, "--n-components", "2"]
    argv += ["--quick", "--out", str(tmp_path)]

    assert main(argv) == 0

    records = json.loads((tmp_path / "results.json").read_text())["results"]
    assert [record["method"] for record in records] == autoencoders
    for record in records:
        assert math.isfinite(record["sq_error_per_sample"]), record
        assert 0 < record["knn_accuracy"] <= 1 and 0 < record["trustworthiness"] <= 1
    assert (tmp_path / "maps_2d_digits.png").stat().st_size > 0


def test_benchmarks_main_reports_skipped_code_size(tmp_path):
    argv = ["--datasets", "swiss_roll", "--methods", "PCA", "--n-components", "32"]

    assert main([*argv, "--repeats", "1", "--out", str(tmp_path)]) == 0

    (record,) = json.loads((tmp_path / "results.json").read_text())["results"]
    assert record["note"].startswith("skipped: code size 32 >= 20 features")
    assert record["sq_error_per_sample"] is None


def test_benchmarks_main_records_a_failing_method_and_goes_on(tmp_path, monkeypatch):
    def make_broken(n_components, dataset, quick, random_state):
        raise RuntimeError("broken on purpose")

    monkeypatch.setitem(METHODS, "Broken", Method("Broken", make_broken))
    argv = ["--datasets", "digits", "--methods", "Broken", "PCA", "--n-components", "8"]

    assert main([*argv, "--repeats", "1", "--out", str(tmp_path)]) == 1

    broken, pca = json.loads((tmp_path / "results.json").read_text())["results"]
    assert broken["note"] == "failed: RuntimeError: broken on purpose"
    assert pca["sq_error_per_sample"] > 0


def _write_idx(path, magic, sizes, n_data_bytes):
    header = np.array([magic, *sizes], dtype=">u4").tobytes()
    with gzip.open(path, "wb") as f:
        f.write(header + bytes(n_data_bytes))


def test_read_idx_reads_shape_from_header(tmp_path):
    path = tmp_path / "images.gz"
    _write_idx(path, 2051, (3, 2, 4), 3 * 2 * 4)

    images = read_idx(path, expected_magic=2051)

    assert images.shape == (3, 2, 4)
    assert images.dtype == np.uint8


def test_read_idx_rejects_wrong_magic_number(tmp_path):
    path = tmp_path / "corrupted.gz"
    _write_idx(path, 2049, (3, 2, 4), 3 * 2 * 4)

    with pytest.raises(DatasetError, match="magic number 2049, expected 2051"):
        read_idx(path, expected_magic=2051)


def test_read_idx_rejects_size_mismatch(tmp_path):
    path = tmp_path / "truncated.gz"
    _write_idx(path, 2051, (3, 2, 4), 10)

    with pytest.raises(DatasetError, match=r"shape \(3, 2, 4\).*holds 10 bytes"):
        read_idx(path, expected_magic=2051)


def test_mnist10k_split_and_pca_reference_errors():
    mnist = load_mnist10k()
    assert mnist.X_train.shape == (8000, 784)
    assert mnist.X_test.shape == (2000, 784)
    assert mnist.X_train.dtype == np.float32
    assert mnist.image_shape == (28, 28)

    # Reference figures of /work/shared/data/README.md, the project's common yardstick.
    # One BLAS thread: on 2 busy cores two threads run up to 10x slower.
    for n_components, reference in [(2, 43.85), (8, 29.50), (32, 13.35)]:
        with threadpool_limits(limits=1):
            pca = PCA(n_components=n_components, random_state=0).fit(mnist.X_train)
        X_reconstructed = pca.inverse_transform(pca.transform(mnist.X_test))
        error = squared_error_per_sample(mnist.X_test, X_reconstructed)
        assert error == pytest.approx(reference, abs=0.01)


def test_load_user_data_from_npy_and_csv(tmp_path):
    X = np.arange(40 * 3, dtype=np.float64).reshape(40, 3)
    np.save(tmp_path / "table.npy", X)
    np.savetxt(tmp_path / "table.csv", X, delimiter=",", header="a,b,c", comments="")
    np.savetxt(tmp_path / "labels.txt", np.arange(40) % 2, fmt="%d")

    from_npy = load_user_data(tmp_path / "table.npy")
    from_csv = load_user_data(tmp_path / "table.csv", tmp_path / "labels.txt")

    assert from_npy.name == "table"
    assert (from_npy.n_train, from_npy.n_test, from_npy.n_features) == (30, 10, 3)
    assert from_npy.y_train is None
    np.testing.assert_array_equal(from_npy.X_test, from_csv.X_test)
    assert from_csv.X_train.dtype == np.float32
    # Labels stay aligned with their rows through the split.
    np.testing.assert_array_equal(
        from_csv.y_test.astype(int), (from_csv.X_test[:, 0] / 3).astype(int) % 2
    )


def test_load_user_data_rejects_missing_file_and_text(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        load_user_data(tmp_path / "missing.csv")
    (tmp_path / "words.csv").write_text("a,b\n1,2\n3,oops\n")
    with pytest.raises(DatasetError, match="not a numeric comma-separated table"):
        load_user_data(tmp_path / "words.csv")


def test_openml_loader_offline_suggests_mnist10k(monkeypatch):
    def fetch_openml_offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(datasets, "fetch_openml", fetch_openml_offline)

    with pytest.raises(DatasetError, match="offline.*--datasets mnist10k"):
        datasets.load_mnist784()


def test_main_offline_openml_exits_with_message(monkeypatch, tmp_path, capsys):
    def fetch_openml_offline(*args, **kwargs):
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setattr(datasets, "fetch_openml", fetch_openml_offline)

    assert main(["--dataset", "fashion_mnist784", "--out", str(tmp_path)]) == 2
    assert "seems to be offline" in capsys.readouterr().err
