"""Searching the code size at the cost of one fit: :class:`CodeSizeSearchCV`.

An ordered code (``ordered=True``) is trained so that each of its prefixes is
a code, so one fit at the largest size gives every smaller one. A search that
knows which candidates differ only in the code size, or only in the steps
after the autoencoder, fits the network once per fold for all of them;
:class:`~sklearn.model_selection.GridSearchCV` cannot, since it clones and
fits every candidate on every fold apart, and its joblib workers share no
memory.
"""

import time
from collections import defaultdict
from numbers import Integral

import numpy as np
from numpy.ma import MaskedArray
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone, is_classifier
from sklearn.metrics import check_scoring
from sklearn.model_selection import ParameterGrid, check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing, get_tags, indexable
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.metaestimators import available_if
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted

from sk_autoencoder._base import BaseAutoencoder
from sk_autoencoder._ordered import OrderedCodesMixin


def _is_passthrough(step):
    return step is None or (isinstance(step, str) and step == "passthrough")


def _autoencoder_position(estimator):
    """The steps of ``estimator`` and the position of its one autoencoder, or a clear error.

    A bare autoencoder is a pipeline of one step. The autoencoder is found by
    type among the top-level steps, and must support ``ordered=True``.
    """
    if isinstance(estimator, Pipeline):
        steps = list(estimator.steps)
    elif isinstance(estimator, BaseAutoencoder):
        steps = [(None, estimator)]
    else:
        raise TypeError(
            "CodeSizeSearchCV searches the code size of an autoencoder: estimator must be an "
            "AutoencoderTransformer or ConvAutoencoderTransformer, or a Pipeline with one "
            f"such step; got {type(estimator).__name__}."
        )
    positions = [
        position for position, (_, step) in enumerate(steps) if isinstance(step, BaseAutoencoder)
    ]
    names = [name for name, _ in steps]
    if not positions:
        raise ValueError(
            f"The pipeline has no autoencoder step (steps {names}): CodeSizeSearchCV needs "
            "one AutoencoderTransformer or ConvAutoencoderTransformer among them."
        )
    if len(positions) > 1:
        raise ValueError(
            f"The pipeline has {len(positions)} autoencoder steps, "
            f"{[names[position] for position in positions]}: CodeSizeSearchCV searches the "
            "code size of one. Search the others' with GridSearchCV around it."
        )
    position = positions[0]
    autoencoder = steps[position][1]
    if not isinstance(autoencoder, OrderedCodesMixin):
        raise ValueError(
            f"{type(autoencoder).__name__} cannot be ordered (it has no ordered=True): "
            "CodeSizeSearchCV scores every code size from one ordered fit. Use "
            "AutoencoderTransformer or ConvAutoencoderTransformer, or GridSearchCV, which "
            "fits every code size apart."
        )
    return steps, position


def _fit_network(model, X, y, max_components):
    """Fit the steps of ``model`` up to its autoencoder, the autoencoder ordered at full width.

    Returns the steps (fitted up to the autoencoder), the autoencoder's
    position and its input. The autoencoder validates its input and says
    when the largest code size is wider than it.
    """
    steps, position = _autoencoder_position(model)
    for _, step in steps[:position]:
        if not _is_passthrough(step):
            X = step.fit_transform(X, y)
    steps[position][1].set_params(n_components=max_components, ordered=True).fit(X)
    return steps, position, X


def _cloned(params):
    """``params`` with their estimators cloned, as GridSearchCV sets them.

    A grid's own objects are then never fitted, nor shared between folds.
    """
    return {name: clone(value, safe=False) for name, value in params.items()}


def _assemble(steps):
    """Fitted steps as the estimator they were: a Pipeline, or the bare autoencoder."""
    if steps[0][0] is None:
        return steps[0][1]
    return Pipeline(steps)


def _fit_tail(tail, codes, y, n_components, params):
    """Fit clones of the steps after the autoencoder, set with ``params``, on the first units."""
    if not tail:
        return []
    pipeline = Pipeline([(name, clone(step)) for name, step in tail])
    pipeline.set_params(**_cloned(params))
    pipeline.fit(_safe_indexing(codes, slice(0, n_components), axis=1), y)
    return pipeline.steps


def _evaluate_network(
    estimator, network_params, candidates, X, y, train, test, scorer, max_components
):
    """Fit one network setting on one fold and score every candidate that shares it.

    Parameters
    ----------
    candidates : list of (int, int, dict)
        ``(candidate index, code size, parameters of the steps after the
        autoencoder)``.

    Returns
    -------
    list of (int, float, float, float)
        ``(candidate index, test score, fit seconds, score seconds)``; the
        fit of the steps up to the autoencoder is shared out evenly among the
        candidates.
    """
    start = time.perf_counter()
    X_train, X_test = _safe_indexing(X, train), _safe_indexing(X, test)
    y_train = None if y is None else _safe_indexing(y, train)
    y_test = None if y is None else _safe_indexing(y, test)
    model = clone(estimator).set_params(**_cloned(network_params))
    steps, position, X_code = _fit_network(model, X_train, y_train, max_components)
    head, (name, autoencoder), tail = steps[:position], steps[position], steps[position + 1 :]
    codes = autoencoder.transform(X_code) if tail else None
    shared_seconds = (time.perf_counter() - start) / len(candidates)
    results = []
    # Cut the code from the widest size down: truncation keeps a prefix.
    for n_components in sorted({size for _, size, _ in candidates}, reverse=True):
        autoencoder.truncate(n_components)
        for index, size, params in candidates:
            if size != n_components:
                continue
            start = time.perf_counter()
            fitted = head + [(name, autoencoder)] + _fit_tail(tail, codes, y_train, size, params)
            fitted_seconds = time.perf_counter() - start
            start = time.perf_counter()
            score = scorer(_assemble(fitted), X_test, y_test)
            score_seconds = time.perf_counter() - start
            results.append((index, float(score), shared_seconds + fitted_seconds, score_seconds))
    return results


def _same_values(first, second):
    """Whether two parameter dicts set the same values (the same objects, or equal ones)."""
    if first.keys() != second.keys():
        return False
    for key, value in first.items():
        other = second[key]
        if value is other:
            continue
        try:
            if type(value) is not type(other) or not bool(value == other):
                return False
        except (TypeError, ValueError):
            # Arrays, and objects whose == is not a truth value.
            return False
    return True


def _masked_parameter_arrays(candidate_params):
    """``param_<name>`` of ``cv_results_``: one masked array per parameter, as GridSearchCV's."""
    values = defaultdict(dict)
    for index, params in enumerate(candidate_params):
        for name, value in params.items():
            values[f"param_{name}"][index] = value
    arrays = {}
    for key, by_index in values.items():
        try:
            inferred = np.array(list(by_index.values()))
            dtype = inferred.dtype if inferred.dtype.kind != "U" and inferred.ndim == 1 else object
        except ValueError:
            dtype = object
        array = MaskedArray(np.empty(len(candidate_params), dtype=dtype), mask=True)
        for index, value in by_index.items():
            array[index] = value
        arrays[key] = array
    return arrays


def _best_estimator_has(attribute):
    """Delegate ``attribute`` to ``best_estimator_``, or before fitting to ``estimator``."""

    def check(self):
        if not self.refit:
            raise AttributeError(
                f"This CodeSizeSearchCV was initialized with refit=False: {attribute} is "
                "available only after refitting on the best parameters (best_params_)."
            )
        fitted = hasattr(self, "best_estimator_")
        getattr(self.best_estimator_ if fitted else self.estimator, attribute)
        return True

    return check


class CodeSizeSearchCV(MetaEstimatorMixin, BaseEstimator):
    """Cross-validated search over an autoencoder's code size, at the cost of one fit per fold.

    Like :class:`~sklearn.model_selection.GridSearchCV` over
    ``n_components`` (and ``param_grid``), but on each fold the autoencoder
    is fitted once, ordered (``ordered=True``) at the largest code size, and
    every code size ``k`` is scored from the first ``k`` units of that code.
    Parameters of the steps after the autoencoder (a classifier's ``C``) do
    not refit it either: only parameters of the autoencoder and of the steps
    before it change the network, and it is fitted once per fold for each
    distinct setting of those.

    Parameters
    ----------
    estimator : estimator object
        An :class:`AutoencoderTransformer` or
        :class:`ConvAutoencoderTransformer`, or a
        :class:`~sklearn.pipeline.Pipeline` with exactly one such step (found
        by type among its steps). The autoencoder's own ``n_components`` and
        ``ordered`` are set by the search.
    n_components : int or list of int
        The code sizes to search, each at most the number of features the
        autoencoder receives; an int is one code size.
    param_grid : dict or list of dicts, default=None
        The other parameters to search, as in
        :class:`~sklearn.model_selection.GridSearchCV`, named as
        ``estimator.set_params`` names them; every combination is searched
        with every code size. Not ``n_components`` or ``ordered`` of the
        autoencoder.
    cv : int, cross-validation generator or iterable, default=5
        As in :class:`~sklearn.model_selection.GridSearchCV`: an int is the
        number of folds, stratified for a classifier.
    scoring : str, callable or None, default=None
        One score, greater is better (:func:`~sklearn.metrics.check_scoring`).
        None uses ``estimator``'s ``score``: the downstream estimator's for
        a pipeline, and for an autoencoder that ends it the reconstruction
        score, the negative squared error per sample from the ``k``-unit code.
    n_jobs : int, default=None
        Jobs running the folds and network settings in parallel (joblib);
        None is 1, -1 all processors.
    refit : bool, default=True
        Refit the best candidate on the whole of ``X``: the autoencoder
        ordered at the largest code size, then cut to the best one.
    verbose : int, default=0
        1 says how many fits run; more passes joblib's progress messages on.

    Attributes
    ----------
    cv_results_ : dict of ndarrays
        As :class:`~sklearn.model_selection.GridSearchCV`'s: ``params``,
        ``param_<name>``, ``split<i>_test_score``, ``mean_test_score``,
        ``std_test_score``, ``rank_test_score``, ``mean_fit_time``,
        ``std_fit_time``, ``mean_score_time`` and ``std_score_time``. The
        candidates are in the order of ``GridSearchCV(estimator, grid)``
        with ``grid`` the ``param_grid`` plus the autoencoder's
        ``n_components``. A candidate's fit time is its share of the fold's
        fit up to the autoencoder, divided evenly among the candidates that
        share it, plus the fit of its own downstream steps.
    best_estimator_ : estimator
        The best candidate refitted on all of ``X`` (with ``refit=True``).
        Its autoencoder keeps ``n_components=max(n_components)`` and
        ``ordered=True``, the width it was trained at, and is cut to the best
        code size (:meth:`~AutoencoderTransformer.truncate`): its
        ``n_components_`` is the best code size.
    best_score_ : float
        Mean cross-validated score of the best candidate.
    best_params_ : dict
        Parameters of the best candidate, the code size under the
        autoencoder's ``n_components`` (``"<step>__n_components"`` in a
        pipeline).
    best_index_ : int
        Index of the best candidate in ``cv_results_``: the first of those
        ranked first.
    scorer_ : callable
        The scorer used on the held-out folds and by :meth:`score`.
    n_splits_ : int
        Number of cross-validation folds.
    refit_time_ : float
        Seconds of the refit on all of ``X`` (with ``refit=True``).

    See Also
    --------
    sklearn.model_selection.GridSearchCV : Fits every candidate on every fold.
    AutoencoderTransformer.error_curve : Every prefix's error from one fit.
    AutoencoderTransformer.truncate : Cut an ordered code to its first units.

    Notes
    -----
    The scores are those of the ordered network cut to each size, which is
    not what a network fitted at that size alone would score: an ordered code
    pays for the ordering at its full width and gains at the small sizes (see
    the user guide). The choice is as good as the search's, at the price of
    one fit per fold and network setting instead of one per candidate.

    Every downstream candidate is fitted on the training fold's codes and
    scored, as GridSearchCV scores it, on the fitted pipeline and the test
    fold. A failing fit raises; there is no ``error_score``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sk_autoencoder import AutoencoderTransformer, CodeSizeSearchCV
    >>> X, y = load_digits(return_X_y=True)
    >>> autoencoder = AutoencoderTransformer(
    ...     hidden_layer_sizes=(16,), max_iter=2, random_state=0
    ... )
    >>> pipeline = make_pipeline(autoencoder, LogisticRegression(max_iter=200))
    >>> search = CodeSizeSearchCV(
    ...     pipeline,
    ...     [2, 8, 16],
    ...     param_grid={"logisticregression__C": [0.1, 1.0]},
    ...     cv=3,
    ... ).fit(X[:300], y[:300])
    >>> # 6 candidates on 3 folds, from 3 autoencoder fits
    >>> len(search.cv_results_["params"])
    6
    >>> best_size = search.best_params_["autoencodertransformer__n_components"]
    >>> search.best_estimator_[0].n_components_ == best_size
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"])],
        "n_components": [Integral, "array-like"],
        "param_grid": [dict, list, None],
        "cv": ["cv_object"],
        "scoring": [str, callable, None],
        "n_jobs": [Integral, None],
        "refit": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimator,
        n_components,
        *,
        param_grid=None,
        cv=5,
        scoring=None,
        n_jobs=None,
        refit=True,
        verbose=0,
    ):
        self.estimator = estimator
        self.n_components = n_components
        self.param_grid = param_grid
        self.cv = cv
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.verbose = verbose

    def _code_sizes(self):
        sizes = self.n_components
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if not sizes:
            raise ValueError("n_components is empty: give at least one code size to search.")
        valid = [isinstance(size, Integral) and not isinstance(size, bool) for size in sizes]
        if not all(valid) or min(sizes) < 1:
            raise ValueError(
                f"n_components must hold positive integers, the code sizes; got {sizes}."
            )
        return [int(size) for size in sizes]

    def _grids(self, steps, position):
        """``param_grid`` as a list of grids, checked not to set what the search sets."""
        grids = self.param_grid or {}
        grids = [grids] if isinstance(grids, dict) else list(grids)
        name = steps[position][0]
        prefix = "" if name is None else f"{name}__"
        for grid in grids:
            if not isinstance(grid, dict):
                raise TypeError(f"param_grid must be a dict or a list of dicts; got {grid!r}.")
            for parameter in (f"{prefix}n_components", f"{prefix}ordered"):
                if parameter in grid:
                    raise ValueError(
                        f"param_grid sets {parameter!r}, which the search sets: give the code "
                        "sizes as n_components, and every fit is ordered."
                    )
        return grids

    def _code_size_key(self, steps, position):
        name = steps[position][0]
        return "n_components" if name is None else f"{name}__n_components"

    @staticmethod
    def _split_params(params, steps, position):
        """``params`` as (those that change the network, those of the steps after it).

        A parameter of a step after the autoencoder, or such a step itself,
        leaves the network as it is; any other one (the autoencoder's, those
        of the steps before it, the pipeline's own) may change it.
        """
        downstream_steps = {name for name, _ in steps[position + 1 :]}
        network, downstream = {}, {}
        for key, value in params.items():
            target = downstream if key.split("__", 1)[0] in downstream_steps else network
            target[key] = value
        return network, downstream

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, **params):
        """Score every candidate by cross-validation, one network fit per fold and setting.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            Targets of a downstream estimator; None for a bare autoencoder.
        **params : dict
            Only ``groups``, the group labels of a group cross-validation
            splitter, as GridSearchCV takes them; no fit parameters are passed
            on to the steps.

        Returns
        -------
        self : object
            The fitted search.
        """
        groups = params.pop("groups", None)
        if params:
            raise TypeError(
                f"CodeSizeSearchCV.fit takes groups only, not {sorted(params)}: it passes no "
                "fit parameters on to the steps."
            )
        code_sizes = self._code_sizes()
        max_components = max(code_sizes)
        steps, position = _autoencoder_position(self.estimator)
        key = self._code_size_key(steps, position)
        grids = self._grids(steps, position)
        X, y, groups = indexable(X, y, groups)
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        splits = list(cv.split(X, y, groups))
        self.n_splits_ = len(splits)
        self.scorer_ = check_scoring(self.estimator, scoring=self.scoring)

        candidate_params = list(ParameterGrid([{**grid, key: code_sizes} for grid in grids]))
        settings = []  # (network parameters, [(candidate index, code size, downstream)])
        for index, params in enumerate(candidate_params):
            params = dict(params)
            n_components = params.pop(key)
            network, downstream = self._split_params(params, steps, position)
            candidate = (index, n_components, downstream)
            for setting, candidates in settings:
                if _same_values(setting, network):
                    candidates.append(candidate)
                    break
            else:
                settings.append((network, [candidate]))
        if self.verbose > 0:
            print(
                f"Fitting {self.n_splits_} folds for each of {len(settings)} network settings: "
                f"{self.n_splits_ * len(settings)} autoencoder fits for "
                f"{len(candidate_params)} candidates"
            )

        out = Parallel(n_jobs=self.n_jobs, verbose=max(self.verbose - 1, 0))(
            delayed(_evaluate_network)(
                self.estimator, network, candidates, X, y, train, test, self.scorer_, max_components
            )
            for network, candidates in settings
            for train, test in splits
        )
        measures = np.empty((3, len(candidate_params), self.n_splits_))
        for task, results in enumerate(out):
            split = task % self.n_splits_
            for index, *values in results:
                measures[:, index, split] = values
        self.cv_results_ = self._results(candidate_params, *measures)
        self.best_index_ = int(np.flatnonzero(self.cv_results_["rank_test_score"] == 1)[0])
        self.best_params_ = candidate_params[self.best_index_]
        self.best_score_ = float(self.cv_results_["mean_test_score"][self.best_index_])
        if self.refit:
            start = time.perf_counter()
            self.best_estimator_ = self._refit(X, y, key, max_components)
            self.refit_time_ = time.perf_counter() - start
        return self

    def _results(self, candidate_params, scores, fit_seconds, score_seconds):
        results = {}
        for name, array in (("fit_time", fit_seconds), ("score_time", score_seconds)):
            results[f"mean_{name}"] = array.mean(axis=1)
            results[f"std_{name}"] = array.std(axis=1)
        results.update(_masked_parameter_arrays(candidate_params))
        results["params"] = candidate_params
        for split in range(scores.shape[1]):
            results[f"split{split}_test_score"] = scores[:, split]
        results["mean_test_score"] = scores.mean(axis=1)
        results["std_test_score"] = scores.std(axis=1)
        # Not-a-number scores rank last, as in GridSearchCV.
        means = np.nan_to_num(results["mean_test_score"], nan=-np.inf)
        results["rank_test_score"] = rankdata(-means, method="min").astype(np.int32)
        return results

    def _refit(self, X, y, key, max_components):
        params = dict(self.best_params_)
        n_components = params.pop(key)
        model = clone(self.estimator).set_params(**_cloned(params))
        steps, position, X_code = _fit_network(model, X, y, max_components)
        autoencoder = steps[position][1].truncate(n_components)
        tail = steps[position + 1 :]
        if tail:
            # The pipeline's own steps, fitted in place.
            Pipeline(tail).fit(autoencoder.transform(X_code), y)
        return model

    def score(self, X, y=None):
        """Return the score of ``best_estimator_`` on ``X``, by ``scorer_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            Targets, or None for a bare autoencoder.

        Returns
        -------
        score : float
            The score the search ranked the candidates by: for a bare
            autoencoder by default, the negative squared reconstruction
            error per sample from the best code size.
        """
        check_is_fitted(self)
        _best_estimator_has("score")(self)
        return float(self.scorer_(self.best_estimator_, X, y))

    @available_if(_best_estimator_has("predict"))
    def predict(self, X):
        """Predict with ``best_estimator_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            ``best_estimator_.predict(X)``.
        """
        check_is_fitted(self)
        return self.best_estimator_.predict(X)

    @available_if(_best_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Predict class probabilities with ``best_estimator_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.

        Returns
        -------
        y_proba : ndarray of shape (n_samples, n_classes)
            ``best_estimator_.predict_proba(X)``, in the order of ``classes_``.
        """
        check_is_fitted(self)
        return self.best_estimator_.predict_proba(X)

    @available_if(_best_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Predict class log-probabilities with ``best_estimator_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.

        Returns
        -------
        y_log_proba : ndarray of shape (n_samples, n_classes)
            ``best_estimator_.predict_log_proba(X)``, in the order of ``classes_``.
        """
        check_is_fitted(self)
        return self.best_estimator_.predict_log_proba(X)

    @available_if(_best_estimator_has("decision_function"))
    def decision_function(self, X):
        """Compute the decision function of ``best_estimator_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.

        Returns
        -------
        y_score : ndarray of shape (n_samples,) or (n_samples, n_classes)
            ``best_estimator_.decision_function(X)``.
        """
        check_is_fitted(self)
        return self.best_estimator_.decision_function(X)

    @available_if(_best_estimator_has("transform"))
    def transform(self, X):
        """Transform ``X`` with ``best_estimator_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components_)
            ``best_estimator_.transform(X)``: for an autoencoder, codes of
            the best size.
        """
        check_is_fitted(self)
        return self.best_estimator_.transform(X)

    @available_if(_best_estimator_has("transform"))
    def fit_transform(self, X, y=None, **params):
        """Fit the search, then transform ``X`` with ``best_estimator_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            Targets of a downstream estimator; None for a bare autoencoder.
        **params : dict
            Only ``groups``, as in :meth:`fit`.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components_)
            For an autoencoder, codes of the best size.
        """
        return self.fit(X, y, **params).transform(X)

    @available_if(_best_estimator_has("inverse_transform"))
    def inverse_transform(self, X):
        """Map codes back to the input space with ``best_estimator_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components_)
            Codes, as :meth:`transform` returns them.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            ``best_estimator_.inverse_transform(X)``.
        """
        check_is_fitted(self)
        return self.best_estimator_.inverse_transform(X)

    @available_if(_best_estimator_has("score_samples"))
    def score_samples(self, X):
        """Score each sample with ``best_estimator_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``best_estimator_.score_samples(X)``: for an autoencoder, the
            negative squared reconstruction error of each sample.
        """
        check_is_fitted(self)
        return self.best_estimator_.score_samples(X)

    @property
    def classes_(self):
        """Class labels of ``best_estimator_``, a classifier's."""
        _best_estimator_has("classes_")(self)
        return self.best_estimator_.classes_

    @property
    def n_features_in_(self):
        """Number of features seen during fit, with ``refit=True``."""
        if not hasattr(self, "best_estimator_"):
            raise AttributeError(
                f"{type(self).__name__} has no n_features_in_: it is set by fit with refit=True."
            )
        return self.best_estimator_.n_features_in_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        estimator_tags = get_tags(self.estimator)
        tags.estimator_type = estimator_tags.estimator_type
        tags.classifier_tags = estimator_tags.classifier_tags
        tags.regressor_tags = estimator_tags.regressor_tags
        tags.transformer_tags = estimator_tags.transformer_tags
        tags.input_tags.sparse = estimator_tags.input_tags.sparse
        return tags
