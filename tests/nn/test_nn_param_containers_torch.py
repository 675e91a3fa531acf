"""ParameterList and ParameterDict behave as PyTorch's: registration, state_dict keys (checked
by loading into the torch equivalent), iteration, append/extend/update, indexing and errors."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad
import xgrad.nn as nn

torch = pytest.importorskip("torch")


class _XNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.plist = nn.ParameterList([xgrad.randn(2), nn.Parameter(xgrad.randn(3, 2))])
        self.plist.append(xgrad.randn(1))
        self.pdict = nn.ParameterDict({"alpha": xgrad.randn(2)})
        self.pdict.update([("beta", xgrad.randn(4))])
        self.pdict["gamma"] = nn.Parameter(xgrad.randn(1))


class _TNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.plist = torch.nn.ParameterList([torch.randn(2), torch.nn.Parameter(torch.randn(3, 2))])
        self.plist.append(torch.randn(1))
        self.pdict = torch.nn.ParameterDict({"alpha": torch.randn(2)})
        self.pdict.update([("beta", torch.randn(4))])
        self.pdict["gamma"] = torch.nn.Parameter(torch.randn(1))


def test_state_dict_keys_match_torch_and_load_both_ways():
    xm, tm = _XNet(), _TNet()
    assert list(xm.state_dict()) == list(tm.state_dict())
    assert [n for n, _ in xm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    tm.load_state_dict({k: torch.from_numpy(np.array(v.numpy()))
                        for k, v in xm.state_dict().items()})
    fresh = _XNet()
    fresh.load_state_dict({k: xgrad.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    for (k, a), b in zip(fresh.state_dict().items(), xm.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)


def test_parameter_list_behaviour():
    plist = nn.ParameterList()
    assert len(plist) == 0 and repr(plist) == repr(torch.nn.ParameterList())
    t = xgrad.randn(2)
    plist.append(t)
    assert isinstance(plist[0], nn.Parameter) and plist[0].requires_grad
    plist.extend([xgrad.randn(3), xgrad.randn(4)])
    plist += [xgrad.randn(5)]
    assert [p.shape[0] for p in plist] == [2, 3, 4, 5]
    assert plist[-1].shape[0] == 5
    sub = plist[1:3]
    assert isinstance(sub, nn.ParameterList) and [p.shape[0] for p in sub] == [3, 4]
    assert list(sub.state_dict()) == ["0", "1"]
    new = nn.Parameter(xgrad.zeros(7))
    plist[0] = new
    assert plist[0] is new
    assert list(nn.Module.parameters(plist))[0] is new
    plist.append("not a tensor")  # kept as an attribute, not a parameter, as PyTorch does
    assert plist[4] == "not a tensor" and len(list(plist.parameters())) == 4
    with pytest.raises(IndexError, match="index 9 is out of range"):
        plist[9]
    with pytest.raises(TypeError, match="ParameterList.extend should be called with an iterable"):
        plist.extend(3)
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        plist(1)
    tl = torch.nn.ParameterList([torch.zeros(2, 3)])
    assert repr(nn.ParameterList([xgrad.zeros(2, 3)])).replace("xgrad.", "torch.") == \
        repr(tl)


def test_parameter_dict_behaviour():
    pd = nn.ParameterDict({"a": xgrad.randn(2), "b": xgrad.randn(3)})
    assert list(pd) == ["a", "b"] and "a" in pd and len(pd) == 2
    assert isinstance(pd["a"], nn.Parameter)
    assert [k for k, _ in pd.items()] == ["a", "b"] and len(list(pd.values())) == 2
    pd.update({"c": xgrad.randn(1)})
    pd.update(nn.ParameterDict({"d": xgrad.randn(1)}))
    assert list(pd.keys()) == ["a", "b", "c", "d"] == list(pd.state_dict())
    assert pd.pop("b").shape[0] == 3 and "b" not in pd and "b" not in dict(pd.named_parameters())
    assert pd.get("zz") is None and pd.setdefault("e", xgrad.ones(2)).shape[0] == 2
    k, v = pd.popitem()
    assert k == "e"
    c = pd.copy()
    assert list(c) == list(pd) and c["a"] is pd["a"]
    merged = pd | nn.ParameterDict({"z": xgrad.zeros(1)})
    assert list(merged) == ["a", "c", "d", "z"]
    del pd["a"]
    assert list(pd) == ["c", "d"]
    pd.clear()
    assert len(pd) == 0 and list(pd.parameters()) == []
    with pytest.raises(KeyError):
        pd["missing"]
    with pytest.raises(ValueError, match="element #0 has length 3; 2 is required"):
        pd.update([("a", 1, 2)])
    with pytest.raises(TypeError, match="should be called with an iterable"):
        pd.update(3)
    with pytest.raises(TypeError, match="it is not a string"):
        pd[1] = xgrad.zeros(1)


def test_containers_train_with_an_optimizer():
    net = _XNet()
    opt = xgrad.optim.SGD(net.parameters(), lr=0.1)
    before = net.pdict["alpha"].detach().clone()
    loss = sum(p.sum() for p in net.plist) + net.pdict["alpha"].sum()
    loss.backward()
    opt.step()
    np.testing.assert_allclose(net.pdict["alpha"].detach().numpy(), before.numpy() - 0.1,
                               rtol=1e-6)
