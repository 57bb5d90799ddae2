"""Which rows training holds out and scores, for the PCA floor and ``early_stopping`` alike."""

import numpy as np


def n_held_out(n_samples, validation_fraction):
    """How many of ``n_samples`` rows are held out: at least one, and one kept for training."""
    return min(max(int(round(validation_fraction * n_samples)), 1), n_samples - 1)


def can_hold_out(n_samples):
    """Whether ``n_samples`` rows are enough to hold one out and train on another."""
    return n_samples >= 2


def n_folds(n_samples, validation_fraction):
    """How many disjoint sets of held-out rows (folds) ``n_samples`` rows hold."""
    if not can_hold_out(n_samples):
        return 0
    return n_samples // n_held_out(n_samples, validation_fraction)


def validation_split(n_samples, validation_fraction, seed, fold=0):
    """Training and held-out row positions, or None when there are too few rows to hold out.

    At least one row is held out and one kept for training. The rows are
    ordered at random with ``seed`` and cut into :func:`n_folds` folds of
    the held-out size; ``fold`` says which is held out (0 unless the floor
    judges on more rows than one fold holds).
    """
    if not can_hold_out(n_samples):
        return None
    n_valid = n_held_out(n_samples, validation_fraction)
    order = np.random.RandomState(seed).permutation(n_samples)
    held_out = order[fold * n_valid : (fold + 1) * n_valid]
    training = np.ones(n_samples, dtype=bool)
    training[held_out] = False
    return np.flatnonzero(training), np.sort(held_out)


# Held-out rows scored after every round at the most: enough to choose a
# state and decide against PCA, few enough that scoring costs a few percent
# of a round of training on large data.
MAX_SCORED_ROWS = 2000


def scored_rows(held_out, seed):
    """The held-out positions scored in training, and which of them form the first half.

    At most :data:`MAX_SCORED_ROWS` of ``held_out`` (sorted), drawn with
    ``seed``; the halves split them at random, so that each half's best round
    can be judged on the other's rows.
    """
    random_state = np.random.RandomState(seed + 1)
    if len(held_out) > MAX_SCORED_ROWS:
        held_out = np.sort(random_state.choice(held_out, MAX_SCORED_ROWS, replace=False))
    halves = np.zeros(len(held_out), dtype=bool)
    halves[random_state.permutation(len(held_out))[: len(held_out) // 2]] = True
    return held_out, halves
