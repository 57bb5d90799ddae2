"""How long a fit trains: a budget of steps that follows the data.

A fixed number of epochs makes a fit's cost grow with the rows while its
gain does not: a million-row table seen a hundred times costs half an hour
where two passes already give most of the gain, and a table of a few hundred
rows seen a hundred times has taken only a few thousand steps. With
``max_iter="auto"`` a fit gets a budget of optimizer steps: a hundred passes
over small data, over large data as many rows as ``MAX_PARAMETER_ROWS``
allows the network's size. It trains in *rounds* of at most ``ROUND_STEPS`` steps, and the rows
held out for the PCA floor are scored after every round, so a long pass is
not the unit of decision: training stops early when they stop improving,
and the learning rate anneals over the budget.
"""

import math
from dataclasses import dataclass

# Passes over the training rows a small data set keeps: the steps that the
# defaults were tuned with before the budget existed.
MAX_EPOCHS = 100
# Rows seen times trainable parameters a fit spends at the most: a step's
# cost grows with both. For the default network on a table of 14 to 50
# columns (75,000 to 95,000 parameters) it is 11 to 13 million rows, about
# two minutes on one CPU thread; nycflights13's 245,509 rows are seen about
# 60 times, a million rows about 12 times, while MNIST-10k keeps its 100
# passes. Measured on nycflights13: 68 passes reach 1.17 times the
# held-out error of 100, 27 passes about 1.4 times.
MAX_PARAMETER_ROWS = 1.0e12
# Steps between two scorings of the held-out rows.
ROUND_STEPS = 100
# A budgeted fit stops when its held-out error has not improved for
# ``n_iter_no_change`` rounds or this share of its planned rounds, whichever
# is more. Ten rounds alone stopped nycflights13 after 10 of its 60 passes,
# at 0.172 times PCA's held-out error, where 68 passes reach 0.111: at a
# high learning rate the error stalls, then improves again as it anneals.
PATIENCE_SHARE = 0.2


@dataclass(frozen=True)
class TrainingPlan:
    """The rounds of one training call.

    Attributes
    ----------
    n_rounds : int
        Rounds to run at the most (early stopping may end sooner).
    batches_per_round : int or None
        Steps per round; None for a whole pass (an epoch) per round.
    anneal : bool
        Whether the learning rate anneals to zero over the ``n_rounds``.
    """

    n_rounds: int
    batches_per_round: int | None
    anneal: bool


def plan_training(
    max_iter, *, steps_per_pass, rows_per_step, n_parameters, max_epochs=MAX_EPOCHS, streaming
):
    """The :class:`TrainingPlan` of a ``fit`` (or a streaming ``partial_fit`` step).

    Parameters
    ----------
    max_iter : int or "auto"
        An int trains that many epochs, a round each; "auto" trains the budget.
    steps_per_pass : int
        Optimizer steps in one pass over the training rows.
    rows_per_step : int
        Rows per step (over every process training the model).
    n_parameters : int
        Trainable parameters of the network.
    max_epochs : int, default=MAX_EPOCHS
        Passes over small data at the most.
    streaming : bool
        A ``partial_fit`` step: one pass at a constant learning rate.
    """
    if streaming:
        return TrainingPlan(n_rounds=1, batches_per_round=None, anneal=False)
    if max_iter != "auto":
        return TrainingPlan(n_rounds=int(max_iter), batches_per_round=None, anneal=True)
    budget = budget_steps(steps_per_pass, rows_per_step, n_parameters, max_epochs)
    n_rounds = math.ceil(budget / ROUND_STEPS)
    # Rounds of equal length, as close to the budget as whole steps allow.
    return TrainingPlan(
        n_rounds=n_rounds, batches_per_round=math.ceil(budget / n_rounds), anneal=True
    )


def budget_steps(steps_per_pass, rows_per_step, n_parameters, max_epochs=MAX_EPOCHS):
    """Steps of ``max_iter="auto"``: ``max_epochs`` passes, or what ``MAX_PARAMETER_ROWS`` allow."""
    capped = int(MAX_PARAMETER_ROWS // (rows_per_step * max(n_parameters, 1)))
    return max(1, min(max_epochs * steps_per_pass, capped))
