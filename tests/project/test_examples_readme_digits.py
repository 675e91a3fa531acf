"""The examples run end to end: the README program (loss falls) and the digits CNN (quick mode)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import xgrad
from xgrad import nn

ROOT = Path(__file__).resolve().parents[2]


def run(script: str, *args: str, timeout: float = 240) -> str:
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / script), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_readme_program_trains_and_loss_falls():
    out = run("simple_net.py")
    losses = [float(v) for v in re.findall(r"^Epoch (\d+), Loss: ([\d.]+)$", out, flags=re.M)
              for v in v[1:]]
    epochs = re.findall(r"^Epoch (\d+),", out, flags=re.M)
    assert epochs == [str(i) for i in range(1, 11)]
    assert all(b < a for a, b in zip(losses, losses[1:])), losses
    assert losses[-1] < losses[0]


def test_tutorial_targets_are_rejected_like_pytorch():
    """The circulating variant labels with ``torch.max(x, 1)[1]``: indices up to 783 for 10
    classes. As in PyTorch, the loss refuses them and names the bad target."""
    xgrad.manual_seed(0)
    x = xgrad.randn(8, 784)
    targets = xgrad.max(x, 1)[1]
    bad = {t for t in targets.tolist() if t >= 10}
    assert bad
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    with pytest.raises(IndexError, match=r"^Target (\d+) is out of bounds\.") as err:
        nn.CrossEntropyLoss()(model(x), targets)
    assert int(str(err.value).split()[1]) in bad
    assert "10 classes" in str(err.value)


def test_tutorial_targets_error_text_matches_torch():
    torch = pytest.importorskip("torch")
    x = xgrad.randn(4, 784)
    targets = xgrad.max(x, 1)[1]
    logits = xgrad.zeros(4, 10)
    with pytest.raises(IndexError) as ours:
        nn.CrossEntropyLoss()(logits, targets)
    with pytest.raises(IndexError) as theirs:
        torch.nn.CrossEntropyLoss()(torch.zeros(4, 10), torch.from_numpy(targets.numpy()))
    pattern = re.compile(r"^Target (\d+) is out of bounds\.")
    assert pattern.match(str(theirs.value)) and pattern.match(str(ours.value))
    assert int(pattern.match(str(ours.value)).group(1)) in set(targets.tolist())


@pytest.mark.slow
def test_digits_quick(tmp_path):
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    out = run("digits.py", "--quick", "--out", str(tmp_path))
    first = float(re.search(r"first loss ([\d.]+)", out).group(1))
    final = float(re.search(r"final loss ([\d.]+)", out).group(1))
    acc = float(re.search(r"test accuracy ([\d.]+)", out).group(1))
    reloaded = float(re.search(r"reloaded accuracy ([\d.]+)", out).group(1))
    assert final < first
    assert acc >= 0.85 and reloaded == acc
    ckpt = tmp_path / "digits_cnn.safetensors"
    png = tmp_path / "digits_curves.png"
    assert ckpt.stat().st_size > 10_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    state = xgrad.load(ckpt)
    assert state["epoch"] == 4 and len(state["history"]["loss"]) == 4
    assert "features.0.weight" in state["model"] and state["optimizer"]["param_groups"]
