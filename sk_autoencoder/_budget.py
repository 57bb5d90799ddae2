"""How long a fit trains: a budget of steps that follows the data.

A fixed number of epochs makes a fit's cost grow with the rows while its
gain does not: a million-row table seen a hundred times costs half an hour
where two passes already give most of the gain, and a table of a few hundred
rows seen a hundred times has taken only a few thousand steps. With
``max_iter="auto"`` a fit gets a budget of optimizer steps: a hundred passes
over small data, as many steps as ``MAX_ROWS_SEEN`` rows make over large
data. It trains in *rounds* of at most ``ROUND_STEPS`` steps, and the rows
held out for the PCA floor are scored after every round, so a long pass is
not the unit of decision: training stops early when they stop improving,
and the learning rate anneals over the budget.
"""

import math
from dataclasses import dataclass

# Passes over the training rows a small data set keeps: the steps that the
# defaults were tuned with before the budget existed.
MAX_EPOCHS = 100
# Rows a fit sees at the most (as steps of ``batch_size`` rows). Measured on
# generated and real tables of 10^5 to 10^6 rows: past a few million rows
# seen, held-out error moves by a few percent while time grows linearly.
MAX_ROWS_SEEN = 6_000_000
# Steps between two scorings of the held-out rows.
ROUND_STEPS = 100


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


def plan_training(max_iter, *, steps_per_pass, rows_per_step, max_epochs=MAX_EPOCHS, streaming):
    """The :class:`TrainingPlan` of a ``fit`` (or a streaming ``partial_fit`` step).

    Parameters
    ----------
    max_iter : int or "auto"
        An int trains that many epochs, a round each; "auto" trains the budget.
    steps_per_pass : int
        Optimizer steps in one pass over the training rows.
    rows_per_step : int
        Rows per step (over every process training the model).
    max_epochs : int, default=MAX_EPOCHS
        Passes over small data at the most.
    streaming : bool
        A ``partial_fit`` step: one pass at a constant learning rate.
    """
    if streaming:
        return TrainingPlan(n_rounds=1, batches_per_round=None, anneal=False)
    if max_iter != "auto":
        return TrainingPlan(n_rounds=int(max_iter), batches_per_round=None, anneal=True)
    budget = budget_steps(steps_per_pass, rows_per_step, max_epochs)
    round_steps = min(ROUND_STEPS, budget)
    return TrainingPlan(
        n_rounds=math.ceil(budget / round_steps), batches_per_round=round_steps, anneal=True
    )


def budget_steps(steps_per_pass, rows_per_step, max_epochs=MAX_EPOCHS):
    """Steps of ``max_iter="auto"``: ``max_epochs`` passes, or ``MAX_ROWS_SEEN`` rows if fewer."""
    return max(1, min(max_epochs * steps_per_pass, MAX_ROWS_SEEN // rows_per_step))
