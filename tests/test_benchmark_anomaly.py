"""The anomaly suite (``benchmarks.anomaly``) and its rendering in the documentation."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from docutils.core import publish_doctree
from docutils.utils import Reporter

from benchmarks import anomaly, render
from benchmarks.cli import cpu_model
from benchmarks.report import Markdown

EXTENSIONS_DIR = Path(__file__).resolve().parent.parent / "docs" / "_ext"


def _load_extension(name, monkeypatch):
    """A module of ``docs/_ext/``, which is no package, with its folder importable."""
    monkeypatch.syspath_prepend(str(EXTENSIONS_DIR))
    spec = importlib.util.spec_from_file_location(name, EXTENSIONS_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def odds_dir(tmp_path):
    """A small table in the ODDS format: 300 rows near a line, 15 far from it."""
    rng = np.random.RandomState(0)
    normal = rng.normal(size=(300, 1)) @ rng.normal(size=(1, 5)) + 0.1 * rng.normal(size=(300, 5))
    anomalies = 4.0 + rng.normal(size=(15, 5))
    x = np.vstack([normal, anomalies])
    y = np.r_[np.zeros(300), np.ones(15)][:, None]
    np.savez(tmp_path / "tiny.npz", x=x, y=y)
    return tmp_path


def test_odds_case_follows_pyods_protocol(odds_dir):
    case = anomaly.load_odds_case("tiny", seed=1, odds_dir=odds_dir)
    assert (len(case.X_train), len(case.X_test)) == (189, 126)
    # z-scores fitted on the training split.
    np.testing.assert_allclose(case.X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(case.X_train.std(axis=0), 1.0, rtol=1e-12)
    assert case.n_components == 2
    again = anomaly.load_odds_case("tiny", seed=1, odds_dir=odds_dir)
    np.testing.assert_array_equal(case.y_test, again.y_test)


def test_missing_table_says_where_to_look(tmp_path):
    with pytest.raises(anomaly.DatasetError, match="--odds-dir"):
        anomaly.load_odds_case("absent", seed=0, odds_dir=tmp_path)


def test_suite_writes_every_seeds_auc_and_renders_it(odds_dir, tmp_path):
    out = tmp_path / "out"
    argv = ["--quick", "--cases", "tiny", "--seeds", "0", "1", "--odds-dir", str(odds_dir)]
    argv += ["--fits", "AE", "PCA", "IsolationForest", "--out", str(out)]
    assert anomaly.main(argv) == 0
    content = json.loads((out / anomaly.RESULTS_FILE).read_text())
    records = content["results"]
    methods = {"AE", "AE reconstruction", "AE Gaussian", "AE code distance"}
    methods |= {"PCA reconstruction", "PCA log-likelihood", "IsolationForest"}
    assert {(record["method"], record["seed"]) for record in records} == {
        (method, seed) for method in methods for seed in (0, 1)
    }
    assert all(0.0 <= record["roc_auc"] <= 1.0 for record in records)
    # Anomalies far from every normal row: every method ranks them well.
    assert min(record["roc_auc"] for record in records) > 0.9
    assert content["settings"]["seeds"] == [0, 1]
    assert content["settings"]["cpu"] == cpu_model()  # figures depend on the CPU
    lines = anomaly.results_lines(content, Markdown())
    row = next(line for line in lines if line.startswith("| tiny"))
    pca = np.mean([r["roc_auc"] for r in records if r["method"] == "PCA reconstruction"])
    assert f"{pca:.3f}" in row


def test_suite_is_hooked_in_the_benchmarks_command(odds_dir, tmp_path):
    from benchmarks import run

    argv = ["--suite", "anomaly", "--quick", "--cases", "tiny", "--seeds", "0"]
    argv += ["--fits", "PCA", "--odds-dir", str(odds_dir), "--out", str(tmp_path)]
    assert run.main(argv) == 0
    settings = json.loads((tmp_path / anomaly.RESULTS_FILE).read_text())["settings"]
    assert settings["command"].startswith("python -m benchmarks --suite anomaly")


def test_documentation_renders_the_committed_results_as_valid_rest(tmp_path, monkeypatch):
    extension = _load_extension("anomaly_results", monkeypatch)
    lines = extension.anomaly_lines(render.RESULTS_DIR, render.REPO_ROOT)
    assert (render.RESULTS_DIR / anomaly.RESULTS_FILE).exists()
    assert any("list-table" in line for line in lines)
    settings = {"report_level": Reporter.WARNING_LEVEL, "halt_level": Reporter.WARNING_LEVEL}
    publish_doctree("\n".join(lines), settings_overrides=settings)
    # An absent file gives a line saying so.
    [absent, _] = extension.anomaly_lines(tmp_path, render.REPO_ROOT)
    assert "No anomaly results yet" in absent
