"""scikit-learn's estimator checks on small, fast SCANN estimators."""

# SPDX-License-Identifier: BSD-3-Clause

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_scann import SCANNClassifier, SCANNRegressor

# Minibatch training on a validation split is not invariant to how a
# weight is spelled: duplicating a sample changes the split and the batches.
EXPECTED_FAILED = {
    "check_sample_weight_equivalence_on_dense_data": (
        "integer sample weights are not equivalent to repeated samples: the "
        "validation split and the minibatches see different rows"
    ),
    "check_sample_weight_equivalence_on_sparse_data": (
        "integer sample weights are not equivalent to repeated samples: the "
        "validation split and the minibatches see different rows"
    ),
}


def _fast(scheme, estimator=SCANNClassifier):
    return estimator(
        scheme,
        hidden_layer_sizes=(8,),
        initial_density=0.5,
        n_rounds=1,
        epochs_per_step=3,
        initial_epochs=20,
        learning_rate=3e-2,
        random_state=0,
    )


@parametrize_with_checks(
    [
        _fast("A"),
        _fast("B"),
        _fast("C"),
        _fast("A", SCANNRegressor),
        _fast("B", SCANNRegressor),
        _fast("C", SCANNRegressor),
    ],
    expected_failed_checks=lambda est: EXPECTED_FAILED,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
