"""``--xgrad-seed`` / ``$XGRAD_CONFORMANCE_SEED`` salt every sample seed of the conformance
suite, so reruns see new inputs, and the report records the salt so a failure replays."""
from __future__ import annotations

import json
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from conformance_harness import suite_env
from xgrad.conformance.catalog import all_cases
from xgrad.conformance.sampling import SEED_ENV, draw, seed_for


def test_unsalted_seeds_are_the_test_id_crc(monkeypatch):
    monkeypatch.delenv(SEED_ENV, raising=False)
    assert seed_for("exp", 0, "float32") == zlib.crc32(b"exp|0|float32")


def test_salt_changes_every_seed_and_the_samples_drawn(monkeypatch):
    case = all_cases()["exp"]
    sample = case.inputs[0]

    def values(salt: str | None) -> np.ndarray:
        if salt is None:
            monkeypatch.delenv(SEED_ENV, raising=False)
        else:
            monkeypatch.setenv(SEED_ENV, salt)
        rng = np.random.default_rng(seed_for(case.name, 0, "float32"))
        return np.concatenate([np.ravel(v) for v in draw(case, sample, rng)])

    base, seven, seven_again, eight = values(None), values("7"), values("7"), values("8")
    assert not np.array_equal(base, seven) and not np.array_equal(seven, eight)
    np.testing.assert_array_equal(seven, seven_again)


def test_bad_salt_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(SEED_ENV, "seven")
    with pytest.raises(ValueError, match="XGRAD_CONFORMANCE_SEED must be an integer, got 'seven'"):
        seed_for("exp")


def _suite(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pytest", "--pyargs", "xgrad.conformance", "-p",
           "no:cacheprovider", "-q", "--xgrad-backend", "numpy", "-k", "test_forward and exp]",
           "--xgrad-report", str(tmp_path / "conformance.json"), *args]
    return subprocess.run(cmd, cwd=tmp_path, env=suite_env(tmp_path), capture_output=True,
                          text=True, timeout=300)


def test_report_records_the_seed(tmp_path):
    proc = _suite(tmp_path, "--xgrad-seed", "12345")
    assert proc.returncode == 0, proc.stdout[-2000:]
    report = json.loads((tmp_path / "conformance.json").read_text())
    assert report["seed"] == 12345 and report["summary"]["passed"] >= 2
    assert "seed 12345" in (tmp_path / "conformance.md").read_text()


def test_non_integer_seed_option_is_a_usage_error(tmp_path):
    proc = _suite(tmp_path, "--xgrad-seed", "abc")
    assert proc.returncode == 4 and "--xgrad-seed expects an integer, got 'abc'" in proc.stderr
