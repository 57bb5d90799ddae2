"""How long and on what a fit trains: the budget, its rounds, the floor's judges, threads."""

import math
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import torch
from numpy.testing import assert_array_equal
from skorch.history import History

import sk_autoencoder._threads
from sk_autoencoder._batching import BatchIterator, RowDataset
from sk_autoencoder._budget import (
    MAX_EPOCHS,
    MAX_PARAMETER_ROWS,
    PATIENCE_SHARE,
    ROUND_STEPS,
    plan_training,
)
from sk_autoencoder._callbacks import ValidationGuard
from sk_autoencoder._scaling import Scaling
from sk_autoencoder._threads import free_cores
from tests._helpers import threads_recorder


def n_steps(estimator):
    return sum(len(row["batches"]) for row in estimator.net_.history)


def test_auto_trains_max_epochs_passes_over_small_data(digits, fast_dense):
    X = digits[0]
    # 400 rows: 360 train in batches of 20 (18 steps a pass), 40 are held out.
    autoencoder = fast_dense(max_iter="auto", n_iter_no_change=1000).fit(X)
    assert n_steps(autoencoder) == MAX_EPOCHS * 18
    assert autoencoder.n_iter_ == MAX_EPOCHS * 18 // ROUND_STEPS
    assert len(autoencoder.loss_curve_) == autoencoder.n_iter_


def test_auto_caps_the_rows_large_data_see_by_the_network_size():
    def plan(n_parameters):
        return plan_training(
            "auto",
            steps_per_pass=5_000,
            rows_per_step=200,
            n_parameters=n_parameters,
            streaming=False,
        )

    assert plan(100_000).batches_per_round == ROUND_STEPS
    assert plan(100_000).n_rounds * ROUND_STEPS == MAX_PARAMETER_ROWS // (200 * 100_000)
    # A budget that is no multiple of a round is spread over rounds of equal length.
    uneven = plan_training(
        "auto", steps_per_pass=18, rows_per_step=20, n_parameters=1_000, streaming=False
    )
    assert (uneven.n_rounds, uneven.batches_per_round) == (18, 100)
    uneven = plan_training(
        "auto", steps_per_pass=18, rows_per_step=20, n_parameters=1_000, max_epochs=30,
        streaming=False,
    )  # fmt: skip
    assert (uneven.n_rounds, uneven.batches_per_round) == (6, 90)
    # A network twice as large sees half as many rows.
    assert plan(200_000).n_rounds == plan(100_000).n_rounds // 2
    # A small network on small data keeps every pass.
    assert (
        plan_training(
            "auto", steps_per_pass=20, rows_per_step=50, n_parameters=10_000, streaming=False
        ).n_rounds
        == (MAX_EPOCHS * 20) // ROUND_STEPS
    )


def test_an_int_max_iter_trains_that_many_epochs(digits, fast_dense):
    autoencoder = fast_dense(max_iter=3, n_iter_no_change=1000).fit(digits[0])
    assert autoencoder.n_iter_ == 3
    assert n_steps(autoencoder) == 3 * 18


def test_a_streaming_step_is_one_pass_at_a_constant_rate():
    plan = plan_training(
        "auto", steps_per_pass=7, rows_per_step=16, n_parameters=100, streaming=True
    )
    assert (plan.n_rounds, plan.batches_per_round, plan.anneal) == (1, None, False)


def test_rounds_go_on_with_one_shuffled_pass_and_start_the_next():
    dataset = RowDataset(np.arange(10, dtype=np.float64)[:, None], scaling=Scaling([0.0], 1.0))
    torch.manual_seed(0)
    rows = []
    for _ in range(5):  # 5 rounds of 3 batches of 2 rows: one and a half passes
        iterator = BatchIterator(dataset, batch_size=2, shuffle=True, max_batches=3)
        assert len(iterator) == 3
        rows += [batch.ravel().tolist() for batch, _ in iterator]
    flat = np.concatenate(rows)
    assert_array_equal(np.sort(flat[:10]), np.arange(10))
    assert len(set(flat[10:].tolist())) == 10 and len(flat) == 30


def test_a_budgeted_fit_stops_when_the_held_out_rows_stop_improving(digits, fast_dense):
    # A zero learning rate: the held-out error never moves after the start.
    frozen = fast_dense(max_iter="auto", n_iter_no_change=2, net_params={"lr": 0.0})
    autoencoder = frozen.fit(digits[0])
    # 18 rounds planned: it waits a fifth of them (4 rounds), more than 2.
    n_rounds = MAX_EPOCHS * 18 // ROUND_STEPS
    assert autoencoder.n_iter_ == 1 + math.ceil(PATIENCE_SHARE * n_rounds) < n_rounds


class _ScriptedNet:
    """What the guard reads of a net: a module and a history."""

    def __init__(self):
        self.module_ = torch.nn.Linear(1, 1)
        self.history = History()


def _run_guard(per_round_scores, halves):
    guard = ValidationGuard()
    guard.watch(torch.zeros(len(halves), 1), np.asarray(halves))
    rounds = iter(per_round_scores)
    guard._scores = lambda net: np.asarray(next(rounds), dtype=np.float64)
    net = _ScriptedNet()
    guard.on_train_begin(net)
    for _ in per_round_scores[1:]:
        net.history.new_epoch()
        guard.on_epoch_end(net)
    guard.on_train_end(net)
    return guard


def test_the_floor_judges_each_half_by_the_round_the_other_half_chose():
    # Round 1 is best for the first half, round 2 for the second; each looks
    # like a gain of 2 per row on all four rows, but on the half that did not
    # choose it, each round loses 1 per row to the start.
    guard = _run_guard(
        [[0, 0, 0, 0], [5, 5, -1, -1], [-1, -1, 5, 5]], halves=[True, True, False, False]
    )
    assert np.mean(guard.best_scores_) == 2.0
    assert_array_equal(guard.cross_scores_, [-1, -1, -1, -1])


def test_a_steady_gain_passes_the_cross_check():
    guard = _run_guard(
        [[0, 0, 0, 0], [1, 2, 1, 2], [2, 3, 2, 3]], halves=[True, False, True, False]
    )
    assert_array_equal(guard.cross_scores_, [2, 3, 2, 3])
    assert guard.best_epoch_ == 2


def test_one_held_out_row_is_judged_as_it_scored():
    guard = _run_guard([[0], [1]], halves=[True])
    assert guard.cross_scores_ is None
    assert_array_equal(guard.best_scores_, [1])


def test_network_kept_says_whether_the_floor_kept_the_network(digits, fast_dense):
    X = digits[0]
    wrecked = fast_dense(learning_rate_init=0.3, max_iter=5).fit(X)
    assert not wrecked.network_kept_
    assert wrecked.validation_error_ == wrecked.pca_validation_error_
    trained = fast_dense(hidden_layer_sizes=(64,), max_iter=30).fit(X)
    assert trained.network_kept_
    assert fast_dense(init="random").fit(X).network_kept_


def test_verbose_says_what_the_floor_kept(digits, capsys, fast_dense):
    fast_dense(learning_rate_init=0.3, max_iter=2, verbose=1).fit(digits[0])
    assert "returned PCA; the network did not beat it" in capsys.readouterr().out
    fast_dense(hidden_layer_sizes=(64,), max_iter=30, verbose=1).fit(digits[0])
    assert "kept the network (held-out error" in capsys.readouterr().out


def test_training_asks_torch_for_no_more_threads_than_free_cores(digits, fast_dense, monkeypatch):
    monkeypatch.setattr(sk_autoencoder._threads, "free_cores", lambda fresh=False: 1)
    ThreadsSeen, threads_seen = threads_recorder()
    n_threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        seen = threads_seen(fast_dense(callbacks=[ThreadsSeen()]).fit(digits[0]))
        assert seen and set(seen) == {1}
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(n_threads)


def test_every_training_call_reads_the_cores_anew(digits, fast_dense, monkeypatch):
    # A reading taken just before another process took a core must not
    # decide a whole training call: its threads would share that core.
    readings = iter([2] + [1] * 1000)
    monkeypatch.setattr(sk_autoencoder._threads, "_measure_free_cores", lambda: next(readings))
    monkeypatch.setattr(sk_autoencoder._threads, "_reading", {"time": -float("inf"), "free": None})
    ThreadsSeen, threads_seen = threads_recorder()
    n_threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        assert sk_autoencoder._threads.free_cores() == 2  # a recent reading, two free cores
        seen = threads_seen(fast_dense(callbacks=[ThreadsSeen()]).fit(digits[0]))
        assert seen and set(seen) == {1}
    finally:
        torch.set_num_threads(n_threads)


def test_free_cores_is_between_one_and_the_usable_cores():
    import os

    assert 1 <= free_cores() <= len(os.sched_getaffinity(0))


@pytest.mark.skipif(
    not os.path.isdir("/proc/self/task") or len(os.sched_getaffinity(0)) < 2,
    reason="counts runnable threads in /proc, on a machine with two cores or more",
)
def test_a_core_another_process_keeps_busy_is_not_free_while_our_threads_spin():
    # This process's threads keep every core busy, as OpenMP's do spinning
    # after an operation, and another process keeps one busy too: that one
    # is not free, although no core is idle and most of their time is ours.
    usable = len(os.sched_getaffinity(0))
    n_threads = torch.get_num_threads()
    torch.set_num_threads(4 * usable)
    done = threading.Event()

    def multiply():
        matrix = torch.randn(400, 400)
        while not done.is_set():
            matrix @ matrix

    worker = threading.Thread(target=multiply)
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        worker.start()
        time.sleep(0.5)  # the busy process shows up, the torch threads have started
        readings = [free_cores(fresh=True) for _ in range(10)]
    finally:
        done.set()
        worker.join()
        busy.kill()
        busy.wait()
        torch.set_num_threads(n_threads)
    assert 1 <= max(readings) <= usable - 1, readings


@pytest.mark.parametrize("max_iter", ["many", 0, 1.5])
def test_bad_max_iter_gets_an_error_naming_it(digits, fast_dense, max_iter):
    with pytest.raises(ValueError, match="max_iter"):
        fast_dense(max_iter=max_iter).fit(digits[0])


@pytest.mark.parametrize("optimizer", [torch.optim.LBFGS, torch.optim.RMSprop, torch.optim.SGD])
def test_the_users_optimizer_trains(digits, fast_dense, optimizer):
    # Adam's fused kernel is the default's; another optimizer takes no such option.
    autoencoder = fast_dense(max_iter=3, net_params={"optimizer": optimizer}).fit(digits[0])
    assert isinstance(autoencoder.net_.optimizer_, optimizer)
    assert autoencoder.loss_curve_[-1] < autoencoder.loss_curve_[0]
