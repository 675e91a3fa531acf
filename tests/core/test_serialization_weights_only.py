"""xgrad.save/load of any plain data, weights_only semantics (PyTorch >= 2.6), whole modules
with weights_only=False, file objects, format-1 files, atomicity. torch is the oracle for
what weights_only=True accepts and refuses."""
from __future__ import annotations

import io
import json
import os
import pickle
import warnings
from collections import OrderedDict

import numpy as np
import pytest
import xgrad
from xgrad import serialization

torch = pytest.importorskip("torch")


def _plain(lib):
    t = lib.arange(6.0).reshape(2, 3)
    extra = {} if lib is torch else {  # torch's weights_only refuses numpy; xgrad stores it as data
        "np": np.arange(4, dtype=np.int16), "np2": np.ones((2, 2), dtype=np.float64),
        "npscalar": np.float32(1.5)}
    return extra | {
        "t": t, "same": t, "i": 3, "f": 2.5, "nan": float("nan"), "big": 2 ** 70, "s": "héllo",
        "b": b"\x00\xffbytes", "none": None, "flag": True,
        "nested": [1, (2.0, [t, {"k": None}]), {7: "seven"}],
        "od": OrderedDict([("z", 1), ("a", 2)]), "dtype": lib.float64, "empty": [],
        "fkeys": {1.5: 1, None: 2, False: 3}, "set": {1, "a", (2, 3)}, "complex": 1 - 2j,
        "bytearray": bytearray(b"ab"), "size": lib.Size([2, 3]),
    }


def _check_plain(out, lib):
    assert out["t"].tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert out["same"] is out["t"]
    assert out["i"] == 3 and type(out["i"]) is int and out["f"] == 2.5 and np.isnan(out["nan"])
    assert out["big"] == 2 ** 70 and out["s"] == "héllo" and out["b"] == b"\x00\xffbytes"
    assert out["none"] is None and out["flag"] is True
    if lib is xgrad:
        _check_numpy(out)
    assert out["nested"][1][0] == 2.0 and isinstance(out["nested"][1], tuple)
    assert out["nested"][1][1][0] is out["t"] and out["nested"][2] == {7: "seven"}
    assert type(out["od"]) is OrderedDict and list(out["od"]) == ["z", "a"]
    assert out["dtype"] == lib.float64
    assert out["empty"] == [] and out["fkeys"] == {1.5: 1, None: 2, False: 3}
    assert out["set"] == {1, "a", (2, 3)} and out["complex"] == 1 - 2j
    assert type(out["bytearray"]) is bytearray and out["bytearray"] == b"ab"
    assert type(out["size"]) is lib.Size and out["size"] == (2, 3)


def _check_numpy(out):
    assert out["np"].dtype == np.int16 and out["np"].tolist() == [0, 1, 2, 3]
    assert isinstance(out["np2"], np.ndarray) and out["np2"].dtype == np.float64
    assert out["npscalar"] == np.float32(1.5) and out["npscalar"].dtype == np.float32


def test_plain_data_round_trips_like_torch(tmp_path):
    for lib in (torch, xgrad):
        path = tmp_path / f"{lib.__name__}.ckpt"
        lib.save(_plain(lib), path)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # torch 2.13 does not warn when weights_only is omitted
            _check_plain(lib.load(path), lib)
        _check_plain(lib.load(path, weights_only=True), lib)


def test_optimizer_state_dict_round_trip(tmp_path):
    model = xgrad.nn.Linear(3, 2)
    opt = xgrad.optim.Adam(model.parameters(), lr=1e-3)
    model(xgrad.ones(4, 3)).sum().backward()
    opt.step()
    sd = {"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 4, "rng": xgrad.initial_seed()}
    xgrad.save(sd, tmp_path / "ck.pt")
    back = xgrad.load(tmp_path / "ck.pt")
    opt2 = xgrad.optim.Adam(xgrad.nn.Linear(3, 2).parameters(), lr=1e-3)
    opt2.load_state_dict(back["optim"])
    s1, s2 = opt.state_dict(), opt2.state_dict()
    assert s1["param_groups"] == s2["param_groups"]
    for k, st in s1["state"].items():
        for name, v in st.items():
            w = s2["state"][k][name]
            assert (v.tolist() if isinstance(v, xgrad.Tensor) else v) == \
                (w.tolist() if isinstance(w, xgrad.Tensor) else w)
    assert back["epoch"] == 4


class TNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 3)


RAN: list = []


def _record(what):
    RAN.append(what)


class Evil:
    def __reduce__(self):
        return (_record, ("pwned",))


class Net(xgrad.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = xgrad.nn.Linear(2, 3)
        self.head = self.fc  # shared submodule


def test_whole_module_needs_weights_only_false(tmp_path):
    xgrad.manual_seed(0)
    net = Net()
    buf = io.BytesIO()
    xgrad.save(net, buf)
    tbuf = io.BytesIO()
    torch.save(TNet(), tbuf)
    for lib, b in ((torch, tbuf), (xgrad, buf)):
        b.seek(0)
        with pytest.raises(pickle.UnpicklingError, match="(?s)Weights only load failed.*weights_only"):
            lib.load(b)
    buf.seek(0)
    back = xgrad.load(buf, weights_only=False)
    assert type(back) is Net and back.head is back.fc
    assert isinstance(back.fc.weight, xgrad.nn.Parameter) and back.fc.weight.requires_grad
    x = xgrad.randn(4, 2)
    np.testing.assert_array_equal(back.fc(x).detach().numpy(), net.fc(x).detach().numpy())
    # the module's tensors are safetensors entries, not pickle payload
    from safetensors.numpy import load as st_load

    buf.seek(0)
    assert any(a.dtype == np.float32 and a.shape == (3, 2) for a in st_load(buf.read()).values())


def test_explicit_pickle_module_with_weights_only_errors_like_torch(tmp_path):
    xgrad.save({"a": 1}, tmp_path / "a.pt")
    torch.save({"a": 1}, tmp_path / "t.pt")
    for lib, p in ((torch, "t.pt"), (xgrad, "a.pt")):
        with pytest.raises(RuntimeError, match="explicit pickle_module"):
            lib.load(tmp_path / p, pickle_module=pickle, weights_only=True)


def test_no_code_runs_with_weights_only(tmp_path):
    RAN.clear()
    xgrad.save({"x": Evil()}, tmp_path / "e.pt")
    with pytest.raises(pickle.UnpicklingError):
        xgrad.load(tmp_path / "e.pt")
    assert RAN == []
    xgrad.load(tmp_path / "e.pt", weights_only=False)
    assert RAN == ["pwned"]


def test_file_objects_and_map_location():
    buf = io.BytesIO()
    xgrad.save({"w": xgrad.ones(3), "n": np.zeros(2)}, buf)
    buf.seek(0)
    out = xgrad.load(buf, map_location="reference")
    assert out["w"].device == xgrad.device("reference") and out["n"].tolist() == [0.0, 0.0]


def test_format_version_1_files_still_load(tmp_path):
    from safetensors.numpy import save as st_save

    tree = {"d": [["w", {"t": "w"}], ["epoch", {"v": 3}], ["hist", {"l": [{"v": 1.5}, {"u": [{"v": None}]}]}],
                  [5, {"v": "int key"}]]}
    payload = st_save({"w": np.arange(3, dtype=np.float32)},
                      metadata={"format": "pt", "xgrad": json.dumps(tree), "xgrad_format_version": "1"})
    (tmp_path / "v1.st").write_bytes(payload)
    out = xgrad.load(tmp_path / "v1.st")
    assert out["w"].tolist() == [0.0, 1.0, 2.0] and out["epoch"] == 3
    assert out["hist"] == [1.5, (None,)] and out[5] == "int key"


def test_interrupted_save_with_pickled_object_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "m.pt"
    xgrad.save(Net(), path)
    before = path.read_bytes()

    def crash(fh, payload):
        fh.write(payload[:10])
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization, "_write_payload", crash)
    with pytest.raises(KeyboardInterrupt):
        xgrad.save({"new": xgrad.zeros(5)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["m.pt"]
    assert type(xgrad.load(path, weights_only=False)) is Net
