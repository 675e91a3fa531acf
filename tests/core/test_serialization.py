"""xgrad.save / xgrad.load: round trips across backends, atomic writes, hostile files."""
from __future__ import annotations

import json
import os
import struct

import numpy as np
import pytest
import xgrad
from xgrad import serialization


def nested(rng):
    return {
        "model": {"fc1.weight": xgrad.tensor(rng.standard_normal((3, 2)), dtype=xgrad.float32),
                  "fc1.bias": xgrad.tensor(rng.standard_normal(3)),
                  "bn.num_batches_tracked": xgrad.tensor(5)},
        "optimizer": {"state": {0: {"step": 3, "exp_avg": xgrad.ones(3, 2)}, 1: {"step": 3}},
                      "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1],
                                        "foreach": None, "amsgrad": False}]},
        "epoch": 7, "best": float("inf"), "name": "run-1", "mask": xgrad.tensor([True, False]),
        "ids": xgrad.tensor([1, 2], dtype=xgrad.int32), "half": xgrad.ones(2, dtype=xgrad.float16),
        "history": [0.5, 0.25, xgrad.tensor(1.5)],
    }


def assert_same(a, b, device):
    assert type(a) is type(b), (a, b)
    if isinstance(a, xgrad.Tensor):
        assert a.dtype is b.dtype and a.shape == b.shape and b.device.type == device
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert_same(a[k], b[k], device)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y, device)
    else:
        assert a == b


@pytest.mark.parametrize("src,dst", [("numpy", "reference"), ("reference", "numpy"),
                                     ("numpy", "cpu")])
def test_round_trip_across_backends(src, dst, tmp_path, rng):
    with xgrad.device(src):
        obj = nested(rng)
    xgrad.save(obj, tmp_path / "ck.safetensors")
    back = xgrad.load(str(tmp_path / "ck.safetensors"), map_location=dst)
    assert_same(obj, back, "numpy" if dst == "cpu" else dst)


def test_default_map_location_is_default_device(tmp_path, rng):
    xgrad.save({"w": xgrad.ones(2)}, tmp_path / "a.st")
    with xgrad.device("reference"):
        assert xgrad.load(tmp_path / "a.st")["w"].device.type == "reference"


def test_flat_state_dict_keys_are_tensor_names(tmp_path):
    from safetensors.numpy import load_file

    sd = {"fc1.weight": xgrad.ones(2, 3), "fc1.bias": xgrad.zeros(2)}
    xgrad.save(sd, tmp_path / "m.safetensors")
    raw = load_file(str(tmp_path / "m.safetensors"))
    assert sorted(raw) == ["fc1.bias", "fc1.weight"]
    np.testing.assert_array_equal(raw["fc1.weight"], np.ones((2, 3), np.float32))


def test_plain_safetensors_file_loads(tmp_path):
    from safetensors.numpy import save_file

    save_file({"a": np.arange(3, dtype=np.int64), "b": np.ones((2, 2), np.float64)},
              str(tmp_path / "p.safetensors"))
    out = xgrad.load(tmp_path / "p.safetensors")
    assert sorted(out) == ["a", "b"] and out["a"].tolist() == [0, 1, 2]
    assert out["b"].dtype is xgrad.float64


def test_file_objects(tmp_path):
    with open(tmp_path / "f.st", "wb") as fh:
        xgrad.save({"x": xgrad.arange(4)}, fh)
    with open(tmp_path / "f.st", "rb") as fh:
        assert xgrad.load(fh)["x"].tolist() == [0, 1, 2, 3]


def test_non_plain_objects_need_weights_only_false(tmp_path):
    import pickle

    xgrad.save({"a": {"b": object()}}, tmp_path / "x.st")
    msg = r"(?s)builtins.object object at 'a.b'.*weights_only=False"
    with pytest.raises(pickle.UnpicklingError, match=msg):
        xgrad.load(tmp_path / "x.st")
    assert type(xgrad.load(tmp_path / "x.st", weights_only=False)["a"]["b"]) is object
    xgrad.save({("tuple", "key"): 1}, tmp_path / "y.st")
    # a pickled blob that needs no global (a dict with tuple keys) loads under weights_only,
    # as torch.load does
    assert xgrad.load(tmp_path / "y.st") == {("tuple", "key"): 1}
    assert xgrad.load(tmp_path / "y.st", weights_only=False) == {("tuple", "key"): 1}
    with pytest.raises(TypeError, match="pickling it failed"):
        xgrad.save({"f": lambda: 0}, tmp_path / "z.st")
    assert not os.path.exists(tmp_path / "z.st")


def test_interrupted_save_keeps_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ck.safetensors"
    xgrad.save({"w": xgrad.ones(1000), "epoch": 1}, path)
    before = path.read_bytes()

    def half_then_crash(fh, payload):
        fh.write(payload[: len(payload) // 2])
        raise OSError("disk full")

    monkeypatch.setattr(serialization, "_write_payload", half_then_crash)
    with pytest.raises(OSError, match="disk full"):
        xgrad.save({"w": xgrad.zeros(1000), "epoch": 2}, path)
    assert path.read_bytes() == before
    assert xgrad.load(path)["epoch"] == 1
    assert os.listdir(tmp_path) == ["ck.safetensors"]  # no temporary file left behind

    def fail_replace(src, dst):
        raise OSError("rename failed")

    monkeypatch.undo()
    monkeypatch.setattr(os, "replace", fail_replace)
    with pytest.raises(OSError, match="rename failed"):
        xgrad.save({"w": xgrad.zeros(1000), "epoch": 3}, path)
    monkeypatch.undo()
    assert xgrad.load(path)["epoch"] == 1 and os.listdir(tmp_path) == ["ck.safetensors"]


def test_truncated_corrupted_and_foreign_files(tmp_path):
    good = tmp_path / "good.st"
    xgrad.save({"w": xgrad.ones(64), "n": 1}, good)
    data = good.read_bytes()
    cases = {
        "empty.st": (b"", "shorter than the 8-byte header"),
        "trunc_header.st": (data[:20], "does not fit in the file"),
        "trunc_body.st": (data[:-16], "truncated"),
        "random.st": (bytes(np.random.default_rng(0).integers(0, 256, 300, dtype=np.uint8)),
                      "not a valid"),
        "pickle.st": (b"\x80\x04\x95" + bytes(50), "pickle"),
        "zip.st": (b"PK\x03\x04" + bytes(60), "pickle"),
    }
    n = struct.unpack("<Q", data[:8])[0]
    header = data[8:8 + n].replace(b'\\"t\\": \\"w\\"', b'\\"t\\": \\"q\\"')
    assert header != data[8:8 + n]
    cases["meta.st"] = (data[:8] + header + data[8 + n:], "names tensor 'q'")
    cases["notjson.st"] = (struct.pack("<Q", 4) + b"{{{{", "not JSON")
    for name, (content, msg) in cases.items():
        p = tmp_path / name
        p.write_bytes(content)
        with pytest.raises(ValueError, match=msg) as err:
            xgrad.load(p)
        assert name in str(err.value)
    with pytest.raises(FileNotFoundError):
        xgrad.load(tmp_path / "missing.st")


def test_metadata_is_json_not_code(tmp_path):
    from safetensors import safe_open

    xgrad.save({"a": [1, (2, None)], "w": xgrad.ones(1)}, tmp_path / "m.st")
    with safe_open(str(tmp_path / "m.st"), framework="numpy") as f:
        meta = f.metadata()
    tree = json.loads(meta["xgrad"])
    assert tree["d"][0] == ["a", {"l": [{"v": 1}, {"u": [{"v": 2}, {"v": None}]}]}]
    assert xgrad.load(tmp_path / "m.st")["a"] == [1, (2, None)]
