"""Module API: registration, traversal, modes, to(), state_dict, hooks, repr, containers."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import xgrad
import xgrad.nn as nn


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.fc2 = nn.Linear(4, 2, bias=False)
        self.scale = nn.Parameter(xgrad.ones(1))
        self.register_buffer("step", xgrad.zeros(1))
        self.register_buffer("cache", xgrad.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc2(self.bn(self.fc1(x)).relu()) * self.scale


def test_parameter_is_a_leaf_tensor_requiring_grad_and_shares_data():
    t = xgrad.tensor([1.0, 2.0])
    p = nn.Parameter(t)
    assert isinstance(p, xgrad.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p).startswith("Parameter containing:\ntensor([1., 2.]")
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    q = copy.deepcopy(p)
    assert isinstance(q, nn.Parameter) and q is not p and q.requires_grad
    assert np.array_equal(q.numpy(), p.numpy())


def test_registration_and_traversal():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "fc2.weight"]
    assert [n for n, _ in net.named_buffers()] == [
        "step", "cache", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]
    assert [n for n, _ in net.named_children()] == ["fc1", "bn", "fc2"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "bn", "fc2"]
    assert len(list(net.parameters(recurse=False))) == 1
    assert net.get_submodule("bn") is net.bn
    assert net.get_parameter("fc1.bias") is net.fc1.bias
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        net.get_submodule("nope")


def test_shared_parameters_are_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.modules())) == 3


def test_setattr_rules_and_delattr():
    m = nn.Module()
    m.w = nn.Parameter(xgrad.zeros(2))
    with pytest.raises(TypeError, match="cannot assign 'xgrad.FloatTensor' as parameter 'w'"):
        m.w = xgrad.zeros(2)
    m.w = None
    assert m.w is None and "w" in m._parameters
    m.register_buffer("b", xgrad.zeros(1))
    m.b = xgrad.ones(1)
    assert m._buffers["b"].item() == 1.0
    with pytest.raises(TypeError, match="as buffer 'b'"):
        m.b = 3
    m.sub = nn.Linear(1, 1)
    del m.sub
    assert "sub" not in m._modules
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'sub'"):
        _ = m.sub
    with pytest.raises(KeyError, match="attribute 'training' already exists"):
        m.register_buffer("training", None)

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(xgrad.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_train_eval_apply_requires_grad_zero_grad():
    net = Net()
    assert net.training and net.bn.training
    net.eval()
    assert not net.training and not net.bn.training
    net.train()
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "BatchNorm1d", "Linear", "Net"]
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    net.requires_grad_(True)
    net(xgrad.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_to_keeps_parameter_identity_and_casts_only_floats():
    net = Net()
    params = list(net.parameters())
    net.to(xgrad.float64)
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]
    assert all(p.dtype == xgrad.float64 for p in params)
    assert net.bn.running_mean.dtype == xgrad.float64
    assert net.bn.num_batches_tracked.dtype == xgrad.int64
    net.float()
    assert net.fc1.weight.dtype == xgrad.float32
    net.to("reference")
    assert net.fc1.weight.device.type == "reference" and net.bn.running_var.device.type == "reference"
    out = net(xgrad.randn(4, 3, device="reference"))
    assert out.shape == (4, 2)
    net.cpu()
    assert net.fc1.weight.device.type in ("cpu", "numpy")
    with pytest.raises(TypeError, match="floating point"):
        net.to(xgrad.int64)


def test_state_dict_keys_roundtrip_and_sharing():
    a, b = Net(), Net()
    sd = a.state_dict()
    assert list(sd) == ["scale", "step", "fc1.weight", "fc1.bias", "bn.weight", "bn.bias",
                        "bn.running_mean", "bn.running_var", "bn.num_batches_tracked",
                        "fc2.weight"]
    assert not sd["fc1.weight"].requires_grad
    res = b.load_state_dict(sd)
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert repr(res) == "<All keys matched successfully>"
    for k, v in b.state_dict().items():
        assert np.array_equal(v.numpy(), sd[k].numpy())
    w = b.fc1.weight
    b.load_state_dict(a.state_dict())
    assert b.fc1.weight is w  # loaded in place


def test_load_state_dict_errors_name_keys_and_shapes():
    net = Net()
    sd = dict(net.state_dict())
    del sd["fc1.bias"]
    sd["extra.weight"] = xgrad.zeros(1)
    with pytest.raises(RuntimeError) as ei:
        Net().load_state_dict(sd)
    msg = str(ei.value)
    assert msg.startswith("Error(s) in loading state_dict for Net:\n\t")
    assert 'Missing key(s) in state_dict: "fc1.bias".' in msg
    assert 'Unexpected key(s) in state_dict: "extra.weight".' in msg
    res = Net().load_state_dict(sd, strict=False)  # reported, not raised (as PyTorch)
    assert res.missing_keys == ["fc1.bias"] and res.unexpected_keys == ["extra.weight"]
    sd = dict(net.state_dict())
    sd["fc1.weight"] = xgrad.zeros(5, 3)
    with pytest.raises(RuntimeError, match=r"size mismatch for fc1.weight: copying a param with "
                                           r"shape xgrad.Size\(\[5, 3\]\) from checkpoint, the "
                                           r"shape in current model is xgrad.Size\(\[4, 3\]\)"):
        Net().load_state_dict(sd, strict=False)


def test_forward_hooks_and_handles():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = lin(xgrad.ones(3, 2))
    assert calls == [(3, 2)]
    np.testing.assert_allclose(out.detach().numpy(), np.broadcast_to(lin.bias.detach().numpy() + 1,
                                                                     (3, 2)), rtol=1e-6)
    h1.remove()
    h2.remove()
    x = xgrad.ones(1, 2)
    np.testing.assert_allclose(lin(x).detach().numpy(),
                               (x.numpy() @ lin.weight.detach().numpy().T + lin.bias.detach().numpy()),
                               rtol=1e-6)
    assert calls == [(3, 2)]
    with lin.register_forward_hook(lambda m, a, o: calls.append(1)):
        lin(x)
    lin(x)
    assert calls == [(3, 2), 1]


def test_repr_nested_format():
    net = Net()
    assert repr(net) == (
        "Net(\n"
        "  (fc1): Linear(in_features=3, out_features=4, bias=True)\n"
        "  (bn): BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, "
        "track_running_stats=True)\n"
        "  (fc2): Linear(in_features=4, out_features=2, bias=False)\n"
        ")")
    assert repr(nn.Sequential()) == "Sequential()"


def test_sequential_indexing_slicing_append_and_forward():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear)
    sub = seq[:2]
    assert isinstance(sub, nn.Sequential) and len(sub) == 2 and sub[0] is seq[0]
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and [n for n, _ in seq.named_children()] == ["0", "1", "2", "3"]
    out = seq(xgrad.randn(5, 2))
    assert out.shape == (5, 1) and float(out.amin()) > 0 and float(out.amax()) < 1
    del seq[1]
    assert [type(m).__name__ for m in seq] == ["Linear", "Linear", "Sigmoid"]
    with pytest.raises(IndexError):
        seq[7]
    from collections import OrderedDict

    named = nn.Sequential(OrderedDict([("a", nn.Linear(1, 1)), ("b", nn.Tanh())]))
    assert list(named.state_dict()) == ["a.weight", "a.bias"]


def test_modulelist_and_moduledict():
    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(2)])
    ml.append(nn.ReLU())
    ml += [nn.Tanh()]
    assert len(ml) == 4 and len(list(ml.parameters())) == 4
    assert isinstance(ml[1:], nn.ModuleList) and len(ml[1:]) == 3
    md = nn.ModuleDict({"a": nn.Linear(1, 2)})
    md["b"] = nn.ReLU()
    assert list(md.keys()) == ["a", "b"] and "a" in md and len(md) == 2
    assert list(dict(md.named_parameters())) == ["a.weight", "a.bias"]
    assert md.pop("b").__class__ is nn.ReLU


def test_identity_flatten_unflatten():
    x = xgrad.randn(2, 3, 4)
    assert nn.Identity(5, k=1)(x) is x
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)
    assert nn.Unflatten(2, (2, 2))(x).shape == (2, 3, 2, 2)


def test_module_without_forward_raises():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)


def test_deepcopy_gives_independent_parameters():
    import copy

    net = Net()
    twin = copy.deepcopy(net)
    assert isinstance(twin.fc1.weight, nn.Parameter) and twin.fc1.weight is not net.fc1.weight
    assert twin.fc1.weight.requires_grad
    np.testing.assert_array_equal(twin.fc1.weight.detach().numpy(), net.fc1.weight.detach().numpy())
    with xgrad.no_grad():
        twin.fc1.weight.fill_(0.0)
    assert float(net.fc1.weight.abs().sum()) > 0


def test_to_moves_existing_gradients():
    lin = nn.Linear(2, 2)
    lin(xgrad.randn(1, 2)).sum().backward()
    lin.to("reference")
    assert lin.weight.grad.device.type == "reference" and lin.bias.device.type == "reference"


def test_load_state_dict_assign_takes_the_given_tensors():
    lin = nn.Linear(2, 2)
    sd = {"weight": xgrad.ones(2, 2, dtype=xgrad.float64), "bias": xgrad.zeros(2)}
    lin.load_state_dict(sd, assign=True)
    assert isinstance(lin.weight, nn.Parameter) and lin.weight.requires_grad
    assert lin.weight.dtype == xgrad.float64 and lin.weight.tolist() == [[1.0, 1.0]] * 2
