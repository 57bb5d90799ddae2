"""Which rows training holds out and scores, for the PCA floor and ``early_stopping`` alike."""

import numpy as np


def validation_split(n_samples, validation_fraction, seed):
    """Training and held-out row positions, or None when there are too few rows to hold out.

    At least one row is held out and one kept for training.
    """
    if n_samples < 2:
        return None
    n_valid = min(max(int(round(validation_fraction * n_samples)), 1), n_samples - 1)
    order = np.random.RandomState(seed).permutation(n_samples)
    return np.sort(order[n_valid:]), np.sort(order[:n_valid])


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
