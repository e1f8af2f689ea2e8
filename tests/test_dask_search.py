"""A grid search on a real Dask cluster (worker processes) through joblib's Dask backend."""

import joblib
import numpy as np
import pytest
import torch
from distributed import Client, LocalCluster, get_task_stream
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV

from skwavpool import WavPoolClassifier


@pytest.fixture(scope="module")
def client():
    # Worker processes, as on a real cluster: each imports torch afresh.
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with cluster, Client(cluster) as client:
        yield client


def test_grid_search_on_a_dask_cluster_equals_the_serial_search(client):
    X, y = load_digits(return_X_y=True)
    X, y = X[:600] / 16, y[:600]
    # One torch thread everywhere: float sums, and so the scores, then agree bit for bit.
    estimator = WavPoolClassifier(max_epochs=4, hidden_size=16, random_state=0, n_threads=1)
    search = GridSearchCV(estimator, {"lr": [1e-3, 3e-3], "pooling": ["max", "avg"]}, cv=2)
    serial = clone(search).fit(X, y)
    with get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
        on_cluster = clone(search).fit(X, y)
    assert len(tasks.data) >= 8  # 4 candidates x 2 folds ran on the workers
    np.testing.assert_array_equal(on_cluster.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"])
    assert on_cluster.best_params_ == serial.best_params_
    np.testing.assert_array_equal(on_cluster.predict_proba(X), serial.predict_proba(X))


def test_dask_workers_run_torch_on_one_thread_each(client):
    # The nanny sets OMP_NUM_THREADS=1, which torch follows: two workers on two
    # cores, not two workers with a thread per core each.
    assert set(client.run(torch.get_num_threads).values()) == {1}
