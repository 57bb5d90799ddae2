"""Anomaly detection: the autoencoders' ``score_samples`` against PCA, pyod and IsolationForest.

Run with ``python -m benchmarks.anomaly`` or ``python -m benchmarks --suite anomaly``.
Prints the ROC AUC of each method on each case (the mean over the seeds, then every
seed's) and writes ``anomaly.json`` to ``--out``; the committed copy is
``benchmarks/results/anomaly.json``, which the user guide's "Anomaly detection" page
renders (:func:`results_lines`). It measures and reports; it fails on nothing.

Cases:

- the ODDS development list (``DEVELOPMENT_TABLES``, in ``--odds-dir``; see its
  README.md), by pyod's own protocol: tables above ``MAX_ROWS`` rows subsampled to
  that many with ``RandomState(0)``, a 60/40 split with ``train_test_split(...,
  test_size=0.4, random_state=np.random.RandomState(seed))``, z-scores fitted on the
  training split, every detector fitted on the training split as it is (anomalies
  included, no labels), ROC AUC on the test split; code size
  ``min(ceil(n_features / 4), 32)``;
- ``mnist-7``: the MNIST-10k training split without its 7s, the test split with its
  7s as the anomalies, grey levels in [0, 1], code size 32 and pyod's network for it
  (784-256-128-32, 20 epochs).

Methods (``METHODS``; one fit can give several scores, timed once):

- ``AE``: ``AutoencoderTransformer(n_components=k, random_state=seed)``'s
  ``score_samples``; from the same fit, the scores it was chosen among:
  ``AE reconstruction``, the squared reconstruction error (what
  ``score_samples`` was before), ``AE Gaussian``, probabilistic PCA's form (a
  Gaussian code and a Gaussian residual, :func:`gaussian_scores`), and ``AE code
  distance``, the code's Mahalanobis distance alone;
- ``VAE``: ``VariationalAutoencoderTransformer(n_components=k, random_state=seed)``'s
  ``score_samples``, and ``VAE ELBO``, the same fit's per-row ELBO;
- ``PCA reconstruction`` and ``PCA log-likelihood`` (``PCA.score_samples``) at the
  same code size, one fit;
- ``pyod AutoEncoder`` with its defaults (on ``mnist-7`` the network above); skipped,
  with a note, where pyod is not installed (``pip install pyod``);
- ``IsolationForest(random_state=seed)``.
"""

import argparse
import importlib.util
import math
import os
import platform
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from benchmarks import metrics
from benchmarks.cli import add_threads_argument, library_versions, machine_settings
from benchmarks.datasets import DatasetError, load_mnist10k
from benchmarks.report import Terminal, format_three_decimals, table_lines, write_json

ODDS_DIR = Path(os.environ.get("SK_AUTOENCODER_ODDS_DIR", "/work/shared/data/odds"))
DEVELOPMENT_TABLES = (
    "annthyroid",
    "breastw",
    "cover",
    "http",
    "mammography",
    "smtp",
    "thyroid",
    "wine",
)
MNIST_CASE = "mnist-7"
# The digit held out of MNIST's training rows, the anomaly of its test rows.
MNIST_ANOMALY = 7
MNIST_CODE_SIZE = 32
# pyod's AutoEncoder on MNIST: its network and epochs there.
PYOD_MNIST_PARAMS = {"hidden_neuron_list": [256, 128, 32], "epoch_num": 20}
DEFAULT_SEEDS = (0, 1, 2)
# pyod's protocol subsamples larger tables to this many rows, with RandomState(0).
MAX_ROWS = 20_000
TEST_SIZE = 0.4
# ``--quick``: training epochs of the neural methods, to check that the suite runs.
QUICK_EPOCHS = 2
RESULTS_FILE = "anomaly.json"
COMMAND = "python -m benchmarks.anomaly"


@dataclass
class AnomalyCase:
    """Training rows (anomalies included, unlabelled) and labelled test rows.

    ``y_test`` is 1 for an anomaly; ``n_components`` the code size of every method
    that has one.
    """

    name: str
    seed: int
    X_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_components: int


def code_size(n_features):
    """The code size of a table: a quarter of its columns, rounded up, at most 32."""
    return min(math.ceil(n_features / 4), 32)


def load_odds_case(name, seed, odds_dir=ODDS_DIR) -> AnomalyCase:
    """An ODDS table split, subsampled and standardised as pyod's benchmark does."""
    path = Path(odds_dir) / f"{name}.npz"
    if not path.exists():
        raise DatasetError(
            f"no ODDS table {path}: pass --odds-dir, the folder of the ODDS .npz files "
            "(x and y arrays), or set SK_AUTOENCODER_ODDS_DIR."
        )
    with np.load(path) as data:
        X, y = data["x"].astype(np.float64), data["y"].ravel().astype(int)
    if len(X) > MAX_ROWS:
        rows = np.random.RandomState(0).choice(len(X), MAX_ROWS, replace=False)
        X, y = X[rows], y[rows]
    X_train, X_test, _, y_test = train_test_split(
        X, y, test_size=TEST_SIZE, random_state=np.random.RandomState(seed)
    )
    scaler = StandardScaler().fit(X_train)
    return AnomalyCase(
        name,
        seed,
        scaler.transform(X_train),
        scaler.transform(X_test),
        y_test,
        code_size(X.shape[1]),
    )


def load_mnist_case(seed) -> AnomalyCase:
    """MNIST-10k's training split without its 7s; its test split, 7s as the anomalies."""
    dataset = load_mnist10k()
    return AnomalyCase(
        MNIST_CASE,
        seed,
        dataset.X_train[dataset.y_train != MNIST_ANOMALY],
        dataset.X_test,
        (dataset.y_test == MNIST_ANOMALY).astype(int),
        MNIST_CODE_SIZE,
    )


# ---------------------------------------------------------------------------
# Methods: each fits once on the training rows and returns the fit's seconds
# and its anomaly scores on the test rows (greater is more anomalous), one or
# more per fit.
# ---------------------------------------------------------------------------


def _epochs(quick):
    return {"max_iter": QUICK_EPOCHS} if quick else {}


def timed_fit(estimator, X):
    """``estimator`` fitted on ``X``, and the seconds the fit took."""
    start = time.perf_counter()
    estimator.fit(X)
    return estimator, time.perf_counter() - start


def squared_errors(estimator, X):
    """Squared reconstruction error of each row."""
    return np.sum((X - estimator.inverse_transform(estimator.transform(X))) ** 2, axis=1)


def code_distances(estimator, X_train, X):
    """Squared Mahalanobis distance of each row's code from the training rows' codes."""
    codes_train, codes = estimator.transform(X_train), estimator.transform(X)
    covariance = np.atleast_2d(np.cov(codes_train, rowvar=False))
    deviations = codes - codes_train.mean(axis=0)
    return np.einsum("ij,ij->i", deviations @ np.linalg.pinv(covariance), deviations)


def gaussian_scores(estimator, X_train, X):
    """Minus the log-likelihood, less constants, of a Gaussian code and a Gaussian residual.

    Probabilistic PCA's form, ``M + e / sigma^2``, with the residual variance
    ``sigma^2`` of the training rows per discarded dimension: for PCA itself,
    ``-PCA.score_samples`` up to a constant.
    """
    n_features, n_components = X.shape[1], estimator.n_components_
    residual_variance = np.sum(squared_errors(estimator, X_train)) / (
        (len(X_train) - 1) * max(n_features - n_components, 1)
    )
    return code_distances(estimator, X_train, X) + squared_errors(estimator, X) / residual_variance


def autoencoder_scores(case, quick):
    """The default autoencoder's score, and the other scores of the same fit it was chosen among."""
    from sk_autoencoder import AutoencoderTransformer

    estimator, seconds = timed_fit(
        AutoencoderTransformer(
            n_components=case.n_components, random_state=case.seed, **_epochs(quick)
        ),
        case.X_train,
    )
    return seconds, {
        "AE": -estimator.score_samples(case.X_test),
        "AE reconstruction": squared_errors(estimator, case.X_test),
        "AE Gaussian": gaussian_scores(estimator, case.X_train, case.X_test),
        "AE code distance": code_distances(estimator, case.X_train, case.X_test),
    }


def variational_scores(case, quick):
    from sk_autoencoder import VariationalAutoencoderTransformer
    from sk_autoencoder._base import BaseAutoencoder

    estimator, seconds = timed_fit(
        VariationalAutoencoderTransformer(
            n_components=case.n_components, random_state=case.seed, **_epochs(quick)
        ),
        case.X_train,
    )
    # The per-row ELBO that score_samples returned before it became the anomaly
    # score; score(X) is its mean.
    elbo = BaseAutoencoder.score_samples(estimator, case.X_test)
    return seconds, {"VAE": -estimator.score_samples(case.X_test), "VAE ELBO": -elbo}


def pca_scores(case, quick):
    pca, seconds = timed_fit(
        PCA(n_components=case.n_components, random_state=case.seed), case.X_train
    )
    return seconds, {
        "PCA reconstruction": squared_errors(pca, case.X_test),
        "PCA log-likelihood": -pca.score_samples(case.X_test),
    }


def pyod_available():
    return importlib.util.find_spec("pyod") is not None


def pyod_scores(case, quick):
    from pyod.models.auto_encoder import AutoEncoder

    params = dict(PYOD_MNIST_PARAMS) if case.name == MNIST_CASE else {}
    if quick:
        params["epoch_num"] = QUICK_EPOCHS
    detector, seconds = timed_fit(
        AutoEncoder(verbose=0, random_state=case.seed, **params), case.X_train
    )
    return seconds, {"pyod AutoEncoder": detector.decision_function(case.X_test)}


def isolation_forest_scores(case, quick):
    forest, seconds = timed_fit(IsolationForest(random_state=case.seed), case.X_train)
    return seconds, {"IsolationForest": -forest.score_samples(case.X_test)}


# Fit name -> (function, the methods it scores, whether it needs pyod).
METHODS = {
    "AE": (
        autoencoder_scores,
        ("AE", "AE reconstruction", "AE Gaussian", "AE code distance"),
        False,
    ),
    "VAE": (variational_scores, ("VAE", "VAE ELBO"), False),
    "PCA": (pca_scores, ("PCA reconstruction", "PCA log-likelihood"), False),
    "pyod": (pyod_scores, ("pyod AutoEncoder",), True),
    "IsolationForest": (isolation_forest_scores, ("IsolationForest",), False),
}
METHOD_NAMES = tuple(name for _, names, _ in METHODS.values() for name in names)


def run_case(case, fits, quick):
    """One record per method scored on ``case``: ROC AUC and the fit's seconds."""
    records = []
    for fit in fits:
        function, names, needs_pyod = METHODS[fit]
        base = {"case": case.name, "seed": case.seed, "n_components": case.n_components}
        if needs_pyod and not pyod_available():
            note = "skipped: pyod is not installed (pip install pyod)"
            records += [{**base, "method": name, "note": note} for name in names]
            continue
        metrics.warm_up_torch()
        seconds, scores = function(case, quick)
        for name in names:
            auc = float(roc_auc_score(case.y_test, scores[name]))
            records.append({**base, "method": name, "roc_auc": auc, "fit_seconds": seconds})
    return records


# ---------------------------------------------------------------------------
# Tables: the terminal's, and the documentation's from the committed file.
# ---------------------------------------------------------------------------


def _mean(values):
    values = [value for value in values if value is not None]
    return float(np.mean(values)) if values else None


def _methods_of(records, methods=METHOD_NAMES):
    present = {record["method"] for record in records}
    return [name for name in methods if name in present]


def _cases_of(records):
    return list(dict.fromkeys(record["case"] for record in records))


def summary_rows(records, field="roc_auc", methods=METHOD_NAMES):
    """A row per case, a column per method: ``field``'s mean over the seeds.

    After the ODDS tables, a row with the mean over them and their seeds (the
    development list's figure), before any other case.
    """
    methods = _methods_of(records, methods)
    cases = _cases_of(records)
    tables = [case for case in cases if case != MNIST_CASE]

    def row(label, selected):
        cells = {"case": label}
        for method in methods:
            cells[method] = _mean(
                record.get(field) for record in selected if record["method"] == method
            )
        return cells

    rows = [row(case, [r for r in records if r["case"] == case]) for case in tables]
    if len(tables) > 1:
        rows.append(row("mean of the tables", [r for r in records if r["case"] in tables]))
    rows += [
        row(case, [r for r in records if r["case"] == case]) for case in cases if case not in tables
    ]
    return rows


def seed_rows(records):
    """A row per (case, seed), a column per method: ROC AUC."""
    rows = []
    for case in _cases_of(records):
        seeds = sorted({record["seed"] for record in records if record["case"] == case})
        for seed in seeds:
            cells = {"case": case, "seed": seed}
            for record in records:
                if (record["case"], record["seed"]) == (case, seed):
                    cells[record["method"]] = record.get("roc_auc")
            rows.append(cells)
    return rows


def _columns(records, first, formatter=format_three_decimals, methods=METHOD_NAMES):
    columns = {field: (heading, str) for field, heading in first}
    columns.update({method: (method, formatter) for method in _methods_of(records, methods)})
    return columns


def skipped_notes(records):
    return sorted({record["note"] for record in records if record.get("note")})


def results_lines(content, fmt) -> list[str]:
    """The results file's tables, written by ``fmt`` (``benchmarks.report``'s writers)."""
    records = content["results"]
    if not records:
        return ["The anomaly results file holds no results.", ""]
    lines = [
        "ROC AUC on the test rows, the mean over the seeds "
        f"({', '.join(str(seed) for seed in (content.get('settings') or {}).get('seeds', []))}):",
        "",
    ]
    lines += table_lines(
        summary_rows(records), _columns(records, [("case", "case")]), ("case",), fmt
    )
    lines += [f"{fmt.text(note)}." for note in skipped_notes(records)]
    lines += [""] if skipped_notes(records) else []
    seed_table = table_lines(
        seed_rows(records),
        _columns(records, [("case", "case"), ("seed", "seed")]),
        ("case", "seed"),
        fmt,
    )
    lines += fmt.folded("ROC AUC of every seed", seed_table)
    # One column per fit: its first score's records carry its seconds.
    first_scores = {names[0]: fit for fit, (_, names, _) in METHODS.items()}
    fits = [
        {**record, "method": first_scores[record["method"]]}
        for record in records
        if record["method"] in first_scores
    ]
    seconds = table_lines(
        summary_rows(fits, "fit_seconds", methods=list(METHODS)),
        _columns(fits, [("case", "case")], lambda value: f"{value:.2f}", methods=list(METHODS)),
        ("case",),
        fmt,
    )
    lines += fmt.folded(
        "Fit seconds, the mean over the seeds (a fit serves all its scores)", seconds
    )
    return lines


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def build_parser():
    parser = argparse.ArgumentParser(
        prog=COMMAND,
        description=(
            "Rank anomalies: ROC AUC of the autoencoders' score_samples against PCA, "
            "pyod's AutoEncoder and IsolationForest on ODDS tables (pyod's protocol) "
            "and on MNIST without its 7s. Writes anomaly.json to --out."
        ),
    )
    parser.add_argument("--suite", help=argparse.SUPPRESS)  # from python -m benchmarks
    parser.add_argument(
        "--cases",
        nargs="+",
        metavar="NAME",
        default=[*DEVELOPMENT_TABLES, MNIST_CASE],
        help="ODDS tables and mnist-7 (default: the development list and mnist-7)",
    )
    parser.add_argument(
        "--fits",
        nargs="+",
        metavar="NAME",
        choices=list(METHODS),
        default=list(METHODS),
        help=f"fits among {', '.join(METHODS)} (default: all)",
    )
    parser.add_argument(
        "--seeds",
        nargs="+",
        type=int,
        default=list(DEFAULT_SEEDS),
        help="seeds of the split and of the methods (default: %(default)s)",
    )
    parser.add_argument("--odds-dir", type=Path, default=ODDS_DIR, help="the ODDS .npz files")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("benchmark_results"),
        metavar="DIR",
        help="output directory (default: %(default)s)",
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_EPOCHS} epochs per neural fit"
    )
    add_threads_argument(parser)
    return parser


def _settings(argv, args, duration_seconds):
    return {
        "suite": "anomaly",
        # Through ``python -m benchmarks --suite anomaly`` or this module's own.
        "command": shlex.join(
            ["python", "-m", "benchmarks" if "--suite" in argv else "benchmarks.anomaly", *argv]
        ),
        "quick": args.quick,
        "seeds": args.seeds,
        "cases": args.cases,
        "threads": args.threads,
        "duration_seconds": duration_seconds,
        **machine_settings(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": library_versions("pyod"),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def load_case(name, seed, odds_dir):
    if name == MNIST_CASE:
        return load_mnist_case(seed)
    return load_odds_case(name, seed, odds_dir)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error("--threads must be positive")
    start = time.perf_counter()
    records = []
    with metrics.limited_threads(args.threads):
        for seed in args.seeds:
            for name in args.cases:
                try:
                    case = load_case(name, seed, args.odds_dir)
                except DatasetError as exc:
                    print(f"error: {exc}", file=sys.stderr)
                    return 2
                records += run_case(case, args.fits, args.quick)
                print(f"{name} seed {seed} done", file=sys.stderr, flush=True)
    duration_seconds = time.perf_counter() - start
    content = {"settings": _settings(argv, args, duration_seconds), "results": records}
    terminal = Terminal()
    print(terminal.join(results_lines(content, terminal)))
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(records, args.out / RESULTS_FILE, content["settings"])
    print(f"Wrote {args.out / RESULTS_FILE} in {duration_seconds:.0f} s.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
