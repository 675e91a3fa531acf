"""The four PyTorch-style example programs (char-level GPT, VAE, DCGAN, LSTM word model) run
end to end in ``--quick`` mode and really learn: each asserts its loss (for the GAN, the
Fréchet distance of generated to real pixels) falls by a clear margin, that the checkpoint
it wrote reloads, and that it sampled."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
pytestmark = pytest.mark.slow


def run(script: str, *args: str, cwd: Path) -> str:
    # tiny matrices: one BLAS thread is much faster than several fighting over 2 cores
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, str(EXAMPLES / script), "--quick", *args],
                          capture_output=True, text=True, timeout=300, cwd=cwd, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def floats(pattern: str, text: str) -> list[float]:
    return [float(v) for v in re.findall(pattern, text)]


def test_char_gpt_learns_and_samples(tmp_path):
    out = run("char_gpt.py", "--out", str(tmp_path), cwd=tmp_path)
    train = floats(r"train loss ([\d.]+)", out)
    val = floats(r"val loss ([\d.]+)", out)
    assert len(train) == 6 and len(val) == 6
    # starts near ln(vocab) = ln 31 ~ 3.43; the quick run reaches ~0.7
    assert train[0] > 3.0 and train[-1] < train[0] - 1.5, out
    assert min(val) < val[0] - 0.8, out
    assert (tmp_path / "ckpt.pt").stat().st_size > 100_000
    sample = out.split("sample:\n", 1)[1]
    assert sample.startswith("The ") and len(sample.strip()) >= 100


def test_vae_digits_learns(tmp_path):
    pytest.importorskip("sklearn")
    out = run("vae_digits.py", "--out", str(tmp_path), cwd=tmp_path)
    before = floats(r"Before training: Test set loss: ([\d.]+)", out)[0]
    test = floats(r"Epoch: \d+ Average loss: [\d.]+  Test set loss: ([\d.]+)", out)
    reloaded = floats(r"reloaded test loss ([\d.]+)", out)[0]
    # an untrained Bernoulli decoder costs ~64 ln 2 ~ 44 nats per image; quick reaches ~26
    assert before > 40 and test[-1] < before - 12, out
    assert abs(reloaded - test[-1]) < 1.5, out  # new eps draws, same model
    assert len(out.strip().splitlines()[-1]) > 30  # ASCII-art samples from the prior


def test_dcgan_digits_generated_images_approach_real_ones(tmp_path):
    pytest.importorskip("sklearn")
    out = run("dcgan_digits.py", "--out", str(tmp_path), cwd=tmp_path)
    initial = floats(r"initial pixel FD ([\d.]+)", out)[0]
    final = floats(r"final pixel FD ([\d.]+)", out)[0]
    assert re.search(r"Loss_D: [\d.]+ Loss_G: [\d.]+ D\(x\): [\d.]+", out)
    # the quick run goes from ~46 to ~8 (a noise generator stays near its start)
    assert final < 0.5 * initial, out
    assert (tmp_path / "netG.pt").exists()


def test_word_lm_learns_and_generates(tmp_path):
    out = run("word_lm.py", "--save", str(tmp_path / "model.pt"), cwd=tmp_path)
    before = floats(r"before training \| valid loss ([\d.]+)", out)[0]
    val = floats(r"end of epoch +\d+ \| time: +[\d.]+s \| valid loss ([\d.]+)", out)
    test = floats(r"End of training \| test loss ([\d.]+)", out)[0]
    # uniform over 35 words is ln 35 ~ 3.56; the grammar's entropy is far lower
    assert before > 3.3 and val[-1] < before - 1.5 and test < before - 1.5, out
    generated = out.rsplit("=" * 89, 1)[1].split()
    assert len(generated) >= 20
