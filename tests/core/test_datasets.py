"""Dataset fingerprints: bounded, stable across processes."""

from __future__ import annotations

import numpy as np

from autolog.datasets import fingerprint, head
from tests.helpers import run_python


def test_dataset_digest_is_stable_across_processes_for_object_arrays():
    code = ("import numpy as np\nfrom autolog.datasets import fingerprint\n"
            "print(fingerprint(np.array([['a', 1], ['b', 2]], dtype=object))['digest'])")
    first, second = run_python(code), run_python(code)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout


def test_fingerprint_and_head_are_bounded_and_copy():
    data = np.arange(5000 * 3, dtype=float).reshape(5000, 3)
    fp = fingerprint(data)
    assert fp["shape"] == [5000, 3] and fp["dtypes"] == "float64"
    assert fp["sample_rows"] == 2000
    changed = data.copy()
    changed[2500, 0] = -1.0  # outside the sampled head and tail: same digest
    assert fingerprint(changed)["digest"] == fp["digest"]
    changed[0, 0] = -1.0
    assert fingerprint(changed)["digest"] != fp["digest"]
    rows = head(data, 5)
    rows[0, 0] = 99.0
    assert data[0, 0] == 0.0
