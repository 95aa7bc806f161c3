"""Where benchmark scripts put their results, and the environment they record."""

# SPDX-License-Identifier: BSD-3-Clause

import json
import os
import platform
from pathlib import Path

import numpy as np
import scipy
import sklearn
import skorch
import torch

import sklearn_scann

RESULTS = Path(__file__).resolve().parent / "results"


def environment(seed):
    """Machine, versions, threads and seed of this run, for the report."""
    return {
        "machine": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "versions": {
            "sklearn_scann": sklearn_scann.__version__,
            "scikit-learn": sklearn.__version__,
            "torch": torch.__version__,
            "skorch": skorch.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
        },
        "torch_threads": torch.get_num_threads(),
        "seed": seed,
    }


def write_results(name, *, meta, rows, markdown, out=RESULTS):
    """Write ``<name>.json`` (meta and raw rows) and ``<name>.md`` under ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(
        json.dumps({"meta": meta, "rows": rows}, indent=2, default=float) + "\n"
    )
    (out / f"{name}.md").write_text(markdown.rstrip() + "\n")
    return out / f"{name}.json"
