"""One run: a method fitted on a data set's training split and measured on its test split.

Both suites measure a (method, data set, code size) run through :func:`measure_run`:
the images suite (``benchmarks.run``) and the tabular suite (``benchmarks.tabular``,
once per protocol). It skips a method that the data set does not suit, fits and
times it, transforms and reconstructs the held-out rows, and records what both
suites report: ``fit_seconds``, ``sq_error_per_sample`` and ``r2``. Each suite adds
its own measures through ``more``, from the same fitted run.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone

from benchmarks import metrics
from benchmarks.datasets import Dataset
from benchmarks.methods import Method


@dataclass
class RunResult:
    """What one (data set, method, code size) run produced.

    Parameters
    ----------
    record : dict
        The run's flat record (``benchmarks.report.FIELDS`` in the images suite).
    reconstructed_examples : ndarray of shape (n_examples, n_features) or None
        Reconstructions of the test rows ``dataset.example_indices()``, for plots.
    test_codes : ndarray of shape (n_test, 2) or None
        The test set's codes, kept for 2-D codes only, for plots.
    failed : bool
        Whether the method raised; the error is in ``record["note"]``.
    """

    record: dict
    reconstructed_examples: np.ndarray | None = None
    test_codes: np.ndarray | None = None
    failed: bool = False


@dataclass(frozen=True)
class Fitted:
    """A method fitted on ``dataset``'s training split, and what it gives on the test split.

    Parameters
    ----------
    dataset : Dataset
        The data set the run is on.
    estimator : object
        The fitted estimator (the last of the timed fits).
    codes_test : ndarray of shape (n_test, n_components)
        ``estimator.transform(dataset.X_test)``.
    X_reconstructed : ndarray of shape (n_test, n_features) or None
        ``estimator.inverse_transform(codes_test)``; None for a method without
        ``inverse_transform``.
    fit_seconds : float
        The median time of the fits.
    transform_seconds : float
        The median time of the transform over the run's passes.
    peak_memory_mb : float or None
        The fits' peak increase of resident memory, in MiB; None where it was not
        measured, or cannot be (``metrics.peak_memory_increase_mb``).
    """

    dataset: Dataset
    estimator: object
    codes_test: np.ndarray
    X_reconstructed: np.ndarray | None
    fit_seconds: float
    transform_seconds: float
    peak_memory_mb: float | None = None


def measure_run(
    dataset: Dataset,
    method: Method,
    n_components: int,
    record: dict,
    *,
    quick: bool,
    random_state: int,
    repeats: int = 1,
    peak_memory: bool = False,
    more: Callable[[Fitted, RunResult], None] | None = None,
) -> RunResult:
    """Fit one method on the training split and measure it on the test split.

    A method that the data set does not suit (``method.skip_reason``) is skipped, and
    one that raises is recorded as failed, each with its reason in ``record["note"]``:
    one broken method must not lose the results of the others.

    Parameters
    ----------
    dataset : Dataset
        The training split to fit on, the test split to measure on.
    method : Method
        What to fit, made by ``method.make(n_components, dataset, quick, random_state)``.
    n_components : int
        The code size.
    record : dict
        The run's record, its identifying fields set; the measures are written into
        it: ``fit_seconds``, ``sq_error_per_sample`` and ``r2`` (or the note ``"no
        inverse_transform"``), ``peak_memory_mb`` with ``peak_memory``.
    quick : bool
        Fewer training epochs for the neural methods.
    random_state : int
        The method's ``random_state``.
    repeats : int, default=1
        Fits (at most ``method.max_fit_repeats``) and transform passes; the median
        time of each is kept.
    peak_memory : bool, default=False
        Whether to measure the fits' peak increase of resident memory.
    more : callable, default=None
        ``more(fitted, result)``: the suite's own measures of the :class:`Fitted` run,
        written into ``result``.

    Returns
    -------
    RunResult
        ``record``, and whatever ``more`` kept for plots.
    """
    skip_reason = method.skip_reason(n_components, dataset)
    if skip_reason is not None:
        record["note"] = f"skipped: {skip_reason}"
        return RunResult(record)
    try:
        fitted = _fit_and_transform(
            dataset, method, n_components, quick, random_state, repeats, peak_memory
        )
        record["fit_seconds"] = fitted.fit_seconds
        if peak_memory:
            record["peak_memory_mb"] = fitted.peak_memory_mb
        if fitted.X_reconstructed is None:
            record["note"] = "no inverse_transform"
        else:
            X_test, X_reconstructed = dataset.X_test, fitted.X_reconstructed
            record.update(
                sq_error_per_sample=metrics.squared_error_per_sample(X_test, X_reconstructed),
                r2=metrics.reconstruction_r2(X_test, X_reconstructed),
            )
        result = RunResult(record)
        if more is not None:
            more(fitted, result)
        return result
    except Exception as exc:  # noqa: BLE001
        record["note"] = f"failed: {type(exc).__name__}: {exc}"
        return RunResult(record, failed=True)


def _fit_and_transform(dataset, method, n_components, quick, random_state, repeats, peak_memory):
    unfitted = method.make(n_components, dataset, quick, random_state)

    def fit():
        return clone(unfitted).fit(dataset.X_train)

    fit_repeats = min(repeats, method.max_fit_repeats or repeats)

    def timed_fits():
        return metrics.median_seconds(fit, fit_repeats)

    peak_memory_mb = None
    if peak_memory:
        peak_memory_mb, (fit_seconds, estimator) = metrics.peak_memory_increase_mb(timed_fits)
    else:
        fit_seconds, estimator = timed_fits()
    transform_seconds, codes_test = metrics.median_seconds(
        lambda: estimator.transform(dataset.X_test), repeats
    )
    X_reconstructed = None
    if hasattr(estimator, "inverse_transform"):
        X_reconstructed = estimator.inverse_transform(codes_test)
    return Fitted(
        dataset,
        estimator,
        codes_test,
        X_reconstructed,
        fit_seconds,
        transform_seconds,
        peak_memory_mb,
    )
