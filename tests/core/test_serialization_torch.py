"""Checkpoints interoperate with PyTorch through safetensors (same key names both ways)."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad

torch = pytest.importorskip("torch")
st_torch = pytest.importorskip("safetensors.torch")


def test_xgrad_state_dict_loads_in_torch(tmp_path, rng):
    sd = {"0.weight": xgrad.tensor(rng.standard_normal((4, 3)), dtype=xgrad.float32),
          "0.bias": xgrad.tensor(rng.standard_normal(4), dtype=xgrad.float32),
          "2.weight": xgrad.tensor(rng.standard_normal((2, 4)), dtype=xgrad.float32),
          "2.bias": xgrad.tensor(rng.standard_normal(2), dtype=xgrad.float32)}
    xgrad.save(sd, tmp_path / "m.safetensors")
    loaded = st_torch.load_file(str(tmp_path / "m.safetensors"))
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    model.load_state_dict(loaded, strict=True)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    h = np.maximum(x @ sd["0.weight"].numpy().T + sd["0.bias"].numpy(), 0)
    expected = h @ sd["2.weight"].numpy().T + sd["2.bias"].numpy()
    np.testing.assert_allclose(model(torch.from_numpy(x)).detach().numpy(), expected, rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("device", ["numpy", "reference"])
def test_torch_safetensors_file_loads_in_xgrad(tmp_path, device):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    st_torch.save_file(model.state_dict(), str(tmp_path / "t.safetensors"))
    out = xgrad.load(tmp_path / "t.safetensors", map_location=device)
    ref = model.state_dict()
    assert sorted(out) == sorted(ref)
    for k, v in ref.items():
        assert out[k].device.type == device
        assert out[k].dtype.name == str(v.dtype).replace("torch.", "")
        np.testing.assert_array_equal(out[k].numpy(), v.numpy())
