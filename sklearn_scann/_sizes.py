"""Sizes given relative to the number of input features, resolved to counts."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

__all__ = ["resolve_size"]


def resolve_size(value, n_features: int, name: str, *, at_most_features=False) -> int:
    """A count from an int (taken as is) or a float (times ``n_features``).

    One rule serves the classifier's hidden layer sizes and the reducer's
    kept features, so that DR+SCANN shrinks the starting network by exactly
    the feature compression ratio. A float becomes
    ``max(1, round(value * n_features))``. With ``at_most_features`` the
    count may not exceed ``n_features`` (a float must then lie in (0, 1]).
    """
    if isinstance(value, bool) or not isinstance(value, Integral | Real):
        raise TypeError(f"{name} entries must be int or float, got {value!r}")
    if isinstance(value, Integral):
        if value < 1:
            raise ValueError(f"{name} entries must be >= 1 when an int, got {value}")
        if at_most_features and value > n_features:
            raise ValueError(
                f"{name}={value} is larger than the number of features "
                f"({n_features}); use an int <= {n_features} or a float in "
                "(0, 1] (a fraction of the features)."
            )
        return int(value)
    if at_most_features and not 0 < value <= 1:
        raise ValueError(
            f"{name} must be in (0, 1] when a float (a fraction of the "
            f"features), got {value}"
        )
    if not np.isfinite(value) or value <= 0:
        raise ValueError(
            f"float {name} entries are multiples of the number of input "
            f"features and must be > 0, got {value}"
        )
    return max(1, int(round(value * n_features)))
