"""xgrad.serialization's weights_only allowlist (add_safe_globals, get_safe_globals,
clear_safe_globals, safe_globals, get_unsafe_globals_in_checkpoint), with torch.serialization
as the oracle for what loads and what is refused."""
from __future__ import annotations

import io
import pickle

import numpy as np
import pytest
import xgrad
import xgrad.serialization as xs

torch = pytest.importorskip("torch")
ts = torch.serialization

RAN: list[str] = []


class Point:
    """A plain class a checkpoint may hold (module-level, so pickle finds it)."""

    def __init__(self, x, t):
        self.x = x
        self.t = t


class Other:
    def __init__(self):
        self.v = 3


def _boom():
    RAN.append("ran")
    return "boom"


class Evil:
    def __reduce__(self):
        return (_boom, ())


@pytest.fixture(autouse=True)
def _clean():
    saved_x, saved_t = xs.get_safe_globals(), ts.get_safe_globals()
    xs.clear_safe_globals()
    ts.clear_safe_globals()
    yield
    xs.clear_safe_globals()
    xs.add_safe_globals(saved_x)
    ts.clear_safe_globals()
    ts.add_safe_globals(saved_t)


def _saved(lib, obj):
    buf = io.BytesIO()
    lib.save(obj, buf)
    buf.seek(0)
    return buf


def _both(obj_x, obj_t):
    return _saved(xgrad, obj_x), _saved(torch, obj_t)


def test_refused_until_allowlisted_like_torch():
    bx, bt = _both({"p": Point(1.5, xgrad.ones(2))}, {"p": Point(1.5, torch.ones(2))})
    for lib, b in ((torch, bt), (xgrad, bx)):
        with pytest.raises(pickle.UnpicklingError) as e:
            lib.load(b)
        b.seek(0)
        name = f"{__name__}.Point"
        assert f"Unsupported global: GLOBAL {name} was not an allowed global by default" in \
            str(e.value)
        assert f"add_safe_globals([{name}])" in str(e.value)
    xs.add_safe_globals([Point])
    ts.add_safe_globals([Point])
    px, pt = xgrad.load(bx)["p"], torch.load(bt)["p"]
    assert type(px) is Point and type(pt) is Point
    assert px.x == pt.x == 1.5
    np.testing.assert_array_equal(px.t.numpy(), pt.t.numpy())
    assert isinstance(px.t, xgrad.Tensor)


def test_get_and_clear_match_torch():
    xs.add_safe_globals([Point, Other])
    ts.add_safe_globals([Point, Other])
    assert set(xs.get_safe_globals()) == set(ts.get_safe_globals()) == {Point, Other}
    xs.add_safe_globals([Point])
    assert xs.get_safe_globals().count(Point) == 1
    xs.clear_safe_globals()
    ts.clear_safe_globals()
    assert xs.get_safe_globals() == ts.get_safe_globals() == []
    with pytest.raises(TypeError) as et:
        ts.add_safe_globals(Point)
    with pytest.raises(TypeError) as ex:
        xs.add_safe_globals(Point)
    assert str(ex.value) == str(et.value)


def test_context_manager_allowlists_for_the_block_only():
    bx = _saved(xgrad, [Other()])
    xs.add_safe_globals([Point])
    with xs.safe_globals([Other]) as r:
        assert r is None
        assert xgrad.load(bx)[0].v == 3
        assert set(xs.get_safe_globals()) == {Point, Other}
    assert xs.get_safe_globals() == [Point]
    bx.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global"):
        xgrad.load(bx)


def test_tuple_entry_allows_a_renamed_global():
    bx = _saved(xgrad, Other())
    xs.add_safe_globals([(Point, f"{__name__}.Other")])  # the file's name maps to Point
    out = xgrad.load(bx)
    assert type(out) is Point and out.v == 3


def test_allowlisting_one_class_runs_no_other_code():
    RAN.clear()
    b = _saved(xgrad, {"p": Point(1, None), "e": Evil()})
    xs.add_safe_globals([Point])
    with pytest.raises(pickle.UnpicklingError, match=r"GLOBAL .*\._boom was not an allowed"):
        xgrad.load(b)
    assert RAN == []
    assert xs.get_unsafe_globals_in_checkpoint(_saved(xgrad, {"e": Evil()})) == [f"{__name__}._boom"]


def test_get_unsafe_globals_in_checkpoint_matches_torch():
    bx, bt = _both({"a": Point(1, xgrad.zeros(1)), "b": [Other()], "w": xgrad.ones(2)},
                   {"a": Point(1, torch.zeros(1)), "b": [Other()], "w": torch.ones(2)})
    assert sorted(xs.get_unsafe_globals_in_checkpoint(bx)) == \
        sorted(ts.get_unsafe_globals_in_checkpoint(bt))
    plain = _saved(xgrad, {"w": xgrad.ones(2), "n": 3})
    assert xs.get_unsafe_globals_in_checkpoint(plain) == []


def test_whole_module_loads_once_its_classes_are_allowlisted():
    xgrad.manual_seed(0)
    net = xgrad.nn.Sequential(xgrad.nn.Linear(2, 3), xgrad.nn.ReLU())
    b = _saved(xgrad, net)
    needed = xs.get_unsafe_globals_in_checkpoint(b)
    assert "xgrad.nn.linear.Linear" in needed or any(n.endswith(".Linear") for n in needed)
    b.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global"):
        xgrad.load(b)
    b.seek(0)
    import importlib

    objs = []
    for n in needed:
        mod, _, attr = n.rpartition(".")
        objs.append(getattr(importlib.import_module(mod), attr))
    with xs.safe_globals(objs):
        back = xgrad.load(b)
    x = xgrad.randn(4, 2)
    np.testing.assert_array_equal(back(x).detach().numpy(), net(x).detach().numpy())
    assert isinstance(back[0].weight, xgrad.nn.Parameter)


def test_serialization_module_is_reachable_as_in_torch():
    assert xgrad.serialization is xs
    for name in ("add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals",
                 "get_unsafe_globals_in_checkpoint", "save", "load"):
        assert hasattr(ts, name) and callable(getattr(xs, name))
