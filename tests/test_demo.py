"""The README's demo (``python -m sklearn_scann``) runs and reports every model."""

import re

from sklearn_scann.__main__ import main


def test_demo_reports_start_up_apart_and_every_model(capsys):
    main(["--quiet"])
    out = capsys.readouterr().out
    start_up = re.search(r"start-up \(.*\): (\d+\.\d+) s, not counted", out)
    assert start_up is not None
    rows = {
        m.group(1): (float(m.group(2)), int(m.group(3).replace(",", "")))
        for m in re.finditer(r"^(\S+\(.*?\))\s+(\d\.\d{4})\s+([\d,]+)\s+\d", out, re.M)
    }
    assert set(rows) >= {"MLPClassifier(100)", "SCANNClassifier('B')"}
    assert any(name.startswith("DR+SCANN(") for name in rows)
    mlp_accuracy, mlp_connections = rows["MLPClassifier(100)"]
    for name, (accuracy, connections) in rows.items():
        assert accuracy > 0.9, name
        if name != "MLPClassifier(100)":
            assert connections < mlp_connections / 5, name
