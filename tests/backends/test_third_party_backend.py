"""The example third-party backend (examples/xgrad_arrayapi) through xgrad's frontend, and the
backend-authoring docs against the contract."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xgrad
from xgrad.backend import OPTIONAL_PRIMITIVES, REQUIRED_PRIMITIVES, missing_primitives

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "xgrad_arrayapi"


def test_writing_a_backend_lists_exactly_the_required_primitives():
    text = (ROOT / "docs" / "writing-a-backend.md").read_text()
    block = re.search(r"<!-- primitives:begin -->(.*?)<!-- primitives:end -->", text, re.S)
    assert block, "docs/writing-a-backend.md lost its primitives:begin/end markers"
    listed = re.findall(r"`(\w+)`", block.group(1))
    assert sorted(listed) == sorted(REQUIRED_PRIMITIVES)
    assert len(listed) == len(set(listed)), "a primitive is listed twice"
    assert f"**{len(REQUIRED_PRIMITIVES)} required" in text, "the primitive count in the intro is stale"


def test_writing_a_backend_lists_exactly_the_optional_primitives():
    text = (ROOT / "docs" / "writing-a-backend.md").read_text()
    block = re.search(r"<!-- optional-primitives:begin -->(.*?)<!-- optional-primitives:end -->",
                      text, re.S)
    assert block, "docs/writing-a-backend.md lost its optional-primitives:begin/end markers"
    listed = re.findall(r"^\| `(\w+)`", block.group(1), re.M)
    assert sorted(listed) == sorted(OPTIONAL_PRIMITIVES)


@pytest.fixture(scope="module")
def plugin():
    pytest.importorskip("array_api_strict")
    if str(EXAMPLE) not in sys.path:
        sys.path.insert(0, str(EXAMPLE))
    import xgrad_arrayapi.plugin as plugin

    # an installed xgrad-arrayapi has registered itself through its entry point already
    if "arrayapi" not in xgrad.backends.available():
        xgrad.registry.register_plugin(plugin)
    return plugin


def test_registered_available_and_complete(plugin):
    status = xgrad.backends.available()["arrayapi"]
    assert status["available"] and status["reason"] is None
    be = xgrad.backends.get_backend("arrayapi")
    assert missing_primitives(type(be)) == []
    info = xgrad.backends.describe("arrayapi")
    assert info["missing_primitives"] == []
    assert "float16" not in info["dtypes"] and "float64" in info["dtypes"]
    assert info["fused_ops"] == ["log_softmax"]


def test_unavailable_reason_without_array_api_strict(plugin, monkeypatch):
    monkeypatch.setitem(sys.modules, "array_api_strict", None)  # makes the import fail
    reason = plugin.unavailable_reason()
    assert reason is not None
    assert "array-api-strict is not installed" in reason and "pip install array-api-strict" in reason


def test_without_array_api_strict_the_backend_is_listed_as_unavailable(plugin):
    code = (
        "import sys; sys.modules['array_api_strict'] = None\n"  # the import now fails
        "import xgrad, xgrad_arrayapi.plugin as p\n"
        "if 'arrayapi' not in xgrad.backends.available(): xgrad.registry.register_plugin(p)\n"
        "s = xgrad.backends.available()['arrayapi']\n"
        "assert not s['available'], s\n"
        "print(s['reason'])\n"
        "try:\n"
        "    xgrad.zeros(2, device='arrayapi')\n"
        "except xgrad.backends.BackendUnavailableError as e:\n"
        "    print(e)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(EXAMPLE), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    reason, error = out.stdout.strip().splitlines()
    assert reason.startswith("array-api-strict is not installed")
    assert error == f"backend 'arrayapi' is unavailable: {reason}"


def test_unsupported_dtype_is_a_clear_error(plugin):
    with pytest.raises(TypeError, match="float16"):
        xgrad.zeros(2, dtype=xgrad.float16, device="arrayapi")


def _mlp_step(device: str, seed: int) -> dict[str, np.ndarray]:
    """Forward/backward of a 2-layer MLP with a cross-entropy loss on ``device``."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((6, 5))
    target = rng.integers(0, 3, size=6)
    params = {"w1": rng.standard_normal((8, 5)) * 0.5, "b1": rng.standard_normal(8) * 0.1,
              "w2": rng.standard_normal((3, 8)) * 0.5, "b2": rng.standard_normal(3) * 0.1}
    t = {k: xgrad.tensor(v, dtype=xgrad.float64, device=device, requires_grad=True)
         for k, v in params.items()}
    xt = xgrad.tensor(x, dtype=xgrad.float64, device=device)
    yt = xgrad.tensor(target, dtype=xgrad.int64, device=device)
    h = (xt @ t["w1"].T + t["b1"]).tanh()
    h = h[:, 1:].relu()  # getitem (and index_add in its backward)
    logits = h @ t["w2"][:, 1:].T + t["b2"]
    loss = -logits.log_softmax(1).gather(1, yt[:, None]).mean()
    loss.backward()
    out = {"loss": loss.detach().numpy()}
    out.update({f"grad_{k}": v.grad.numpy() for k, v in t.items()})
    return out


def test_mlp_forward_backward_matches_numpy(plugin):
    got = _mlp_step("arrayapi", 0)
    want = _mlp_step("numpy", 0)
    assert got.keys() == want.keys()
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-12, atol=1e-12, err_msg=k)
    assert np.abs(got["grad_w1"]).sum() > 0


def test_random_tensors_match_numpy_for_one_seed(plugin):
    xgrad.manual_seed(1234)
    a = xgrad.randn(4, 3, device="arrayapi", dtype=xgrad.float64).numpy()
    ia = xgrad.randint(0, 100, (7,), device="arrayapi").numpy()
    xgrad.manual_seed(1234)
    b = xgrad.randn(4, 3, device="numpy", dtype=xgrad.float64).numpy()
    ib = xgrad.randint(0, 100, (7,), device="numpy").numpy()
    np.testing.assert_allclose(a, b, rtol=1e-14, atol=0)
    np.testing.assert_array_equal(ia, ib)


def _ops(device: str) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    x = xgrad.tensor(rng.standard_normal((3, 4, 5)), dtype=xgrad.float64, device=device)
    idx = xgrad.tensor([2, 0, 2], dtype=xgrad.int64, device=device)
    vals, order = x.sort(dim=-1, descending=True)
    return [
        x[idx, :, -1].numpy(), x[x > 0.5].numpy(), x[..., ::2].numpy(), x[None, 1].numpy(),
        vals.numpy(), order.numpy(), x.cumsum(1).numpy(), x.amax(dim=(0, 2)).numpy(),
        x.argmin(1).numpy(), x.erf().numpy(), xgrad.cat([x, x[:1]], dim=0).numpy(),
        x.logsumexp(-1).numpy(), (x.floor_divide(0.3) * 2).numpy(), x.remainder(0.7).numpy(),
        (x.long() % 3).numpy(), x.prod(0).numpy(), xgrad.where(x > 0, x, 0.0).numpy(),
    ]


def test_assorted_ops_match_numpy(plugin):
    got, want = _ops("arrayapi"), _ops("numpy")
    for i, (g, w) in enumerate(zip(got, want)):
        assert g.dtype == w.dtype and g.shape == w.shape, i
        np.testing.assert_allclose(g, w, rtol=1e-13, atol=1e-14, err_msg=str(i))


def test_gradcheck_through_indexing_and_fused_log_softmax(plugin):
    rng = np.random.default_rng(3)
    x = xgrad.tensor(rng.standard_normal((2, 5)), dtype=xgrad.float64, device="arrayapi",
                     requires_grad=True)
    idx = xgrad.tensor([1, 1, 4, 0], dtype=xgrad.int64, device="arrayapi")

    def f(t):
        return (t[:, idx] * t[:, :4]).sin().sum(1) + t.log_softmax(1)[:, 0]

    assert xgrad.autograd.gradcheck(f, (x,))
