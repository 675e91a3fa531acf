"""MultiplicativeLR, ConstantLR, PolynomialLR, CyclicLR, CosineAnnealingWarmRestarts and
ChainedScheduler (alone and composed with SequentialLR/LinearLR) against
torch.optim.lr_scheduler: the same rates (and momenta) every epoch, through a state-dict reload."""
from __future__ import annotations

import math
import pickle

import pytest
import xgrad
from xgrad import optim

torch = pytest.importorskip("torch")
xs = optim.lr_scheduler
ts = torch.optim.lr_scheduler

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


class Halve:
    """A callable object: its attributes travel in the state dict."""

    def __init__(self) -> None:
        self.factor = 0.5

    def __call__(self, x: float) -> float:
        return self.factor ** (x - 1)


CASES = [
    ("Multiplicative", lambda m, o: m.MultiplicativeLR(o, lambda e: 0.95), {}),
    ("Multiplicative-per-group", lambda m, o: m.MultiplicativeLR(
        o, [lambda e: 0.9, lambda e: 1.0 if e % 3 else 0.5]), {}),
    ("Constant", lambda m, o: m.ConstantLR(o), {}),
    ("Constant-7", lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=7), {}),
    ("Polynomial", lambda m, o: m.PolynomialLR(o, total_iters=30, power=2.0), {}),
    ("Polynomial-default", lambda m, o: m.PolynomialLR(o), {}),
    ("WarmRestarts", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=7), {}),
    ("WarmRestarts-mult", lambda m, o: m.CosineAnnealingWarmRestarts(o, 3, T_mult=2,
                                                                      eta_min=0.001), {}),
    ("Cyclic-triangular", lambda m, o: m.CyclicLR(o, 0.01, [0.1, 0.2], step_size_up=4,
                                                  step_size_down=6), {}),
    ("Cyclic-triangular2", lambda m, o: m.CyclicLR(o, [0.01, 0.02], 0.1, step_size_up=5,
                                                   mode="triangular2", base_momentum=[0.7, 0.8],
                                                   max_momentum=0.95), {}),
    ("Cyclic-exp_range-adam", lambda m, o: m.CyclicLR(o, 0.001, 0.01, step_size_up=3,
                                                      step_size_down=8, mode="exp_range",
                                                      gamma=0.97),
     dict(opt="Adam", okw=dict(lr=0.1))),
    ("Cyclic-no-momentum", lambda m, o: m.CyclicLR(o, 0.01, 0.1, 6, cycle_momentum=False), {}),
    ("Cyclic-scale_fn-object", lambda m, o: m.CyclicLR(o, 0.01, 0.1, 4, scale_fn=Halve(),
                                                       scale_mode="iterations"), {}),
    ("Chained", lambda m, o: m.ChainedScheduler([m.ConstantLR(o, 0.5, 4),
                                                 m.ExponentialLR(o, 0.95)]), {}),
    ("Chained-warm-restarts", lambda m, o: m.ChainedScheduler(
        [m.CosineAnnealingWarmRestarts(o, 5), m.MultiplicativeLR(o, lambda e: 0.99)], o), {}),
    ("Sequential-linear-restarts", lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, 0.1, total_iters=5), m.CosineAnnealingWarmRestarts(o, 4, 2)], [5]), {}),
    ("Sequential-const-poly-mult", lambda m, o: m.SequentialLR(
        o, [m.ConstantLR(o, 0.5, 3), m.PolynomialLR(o, 12, 1.5), m.MultiplicativeLR(
            o, lambda e: 0.97)], [5, 20]), {}),
    ("Sequential-chained-first", lambda m, o: m.SequentialLR(
        o, [m.ChainedScheduler([m.LinearLR(o, 0.2, total_iters=6), m.ExponentialLR(o, 0.9)]),
            m.ConstantLR(o, 0.5, 10)], [15]), {}),
]


def _pair(opt="SGD", okw=None):
    okw = okw or dict(lr=0.1, momentum=0.9)

    def make(mod, lib):
        ps = [lib.zeros(2, requires_grad=True), lib.zeros(1, requires_grad=True)]
        return getattr(mod, opt)([{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.05}], **okw)
    return make(torch.optim, torch), make(optim, xgrad), lambda: make(optim, xgrad)


def _momenta(opt):
    return [g.get("momentum", g.get("betas")) for g in opt.param_groups]


def _same(ox, sx, ot, st):
    assert sx.get_last_lr() == pytest.approx(st.get_last_lr(), rel=1e-14, abs=0)
    assert [g["lr"] for g in ox.param_groups] == pytest.approx([g["lr"] for g in ot.param_groups],
                                                               rel=1e-14, abs=0)
    for a, b in zip(_momenta(ox), _momenta(ot)):
        assert a == pytest.approx(b, rel=1e-14, abs=0)


@pytest.mark.parametrize("name,make,opt", CASES, ids=[c[0] for c in CASES])
def test_rates_match_torch_through_a_reload(name, make, opt):
    ot, ox, fresh = _pair(**opt)
    st, sx = make(ts, ot), make(xs, ox)
    _same(ox, sx, ot, st)
    for epoch in range(60):
        ot.step()
        ox.step()
        st.step()
        sx.step()
        _same(ox, sx, ot, st)
        if epoch == 24:  # resume from saved state: scheduler built first, then both loaded
            saved_opt, saved_sched = pickle.dumps(ox.state_dict()), pickle.dumps(sx.state_dict())
            ox = fresh()
            sx = make(xs, ox)
            ox.load_state_dict(pickle.loads(saved_opt))
            sx.load_state_dict(pickle.loads(saved_sched))
            _same(ox, sx, ot, st)


def test_state_dict_keys_match_torch():
    for make in (lambda m, o: m.CyclicLR(o, 0.01, 0.1, 4, scale_fn=Halve()),
                 lambda m, o: m.CosineAnnealingWarmRestarts(o, 3, 2),
                 lambda m, o: m.PolynomialLR(o, 9), lambda m, o: m.ConstantLR(o)):
        ot, ox, _ = _pair()
        st, sx = make(ts, ot), make(xs, ox)
        for _ in range(5):
            st.step()
            sx.step()
        a, b = sx.state_dict(), st.state_dict()
        assert set(a) == set(b) - {"_get_lr_called_within_step"}
        for k in set(a) - {"_is_initial"}:
            assert a[k] == pytest.approx(b[k], rel=1e-14) if isinstance(b[k], float) else a[k] == b[k], k


@pytest.mark.parametrize("T_mult", [1, 2, 3])
def test_warm_restarts_fractional_epochs_match_torch(T_mult):
    """Stepped per batch with ``epoch + i / iters`` as PyTorch's docs show."""
    ot, ox, _ = _pair()
    st = ts.CosineAnnealingWarmRestarts(ot, 2, T_mult, eta_min=0.003)
    sx = xs.CosineAnnealingWarmRestarts(ox, 2, T_mult, eta_min=0.003)
    iters = 7
    for epoch in range(12):
        for i in range(iters):
            st.step(epoch + i / iters)
            sx.step(epoch + i / iters)
            assert sx.get_last_lr() == pytest.approx(st.get_last_lr(), rel=1e-14, abs=0)
            assert (sx.T_cur, sx.T_i, sx.last_epoch) == (st.T_cur, st.T_i, st.last_epoch)
    sx.step(0.25)  # back to the start: the closed form restarts the schedule
    lo, base = 0.003, 0.1
    assert sx.get_last_lr()[0] == pytest.approx(lo + (base - lo) * (1 + math.cos(math.pi / 8)) / 2)


def _errors(m, lib, opt_cls):
    p = lib.zeros(1, requires_grad=True)
    o = opt_cls(lib)([p], lr=0.1)
    other = opt_cls(lib)([lib.zeros(1, requires_grad=True)], lr=0.1)
    return [
        lambda: m.CosineAnnealingWarmRestarts(o, 0),
        lambda: m.CosineAnnealingWarmRestarts(o, 2.0),
        lambda: m.CosineAnnealingWarmRestarts(o, 2, 0),
        lambda: m.CosineAnnealingWarmRestarts(o, 2, eta_min="0"),
        lambda: m.CosineAnnealingWarmRestarts(o, 2).step(-1),
        lambda: m.ConstantLR(o, factor=1.5),
        lambda: m.MultiplicativeLR(o, [lambda e: 1.0, lambda e: 1.0]),
        lambda: m.CyclicLR(o, 0.01, 0.1, mode="sawtooth"),
        lambda: m.CyclicLR(o, [0.01, 0.02], 0.1),
        lambda: m.ChainedScheduler([]),
        lambda: m.ChainedScheduler([m.ConstantLR(o), m.ConstantLR(other)]),
        lambda: m.ChainedScheduler([m.ReduceLROnPlateau(o)]),
    ]


def test_argument_errors_match_torch():
    sgd = lambda lib: (torch.optim if lib is torch else optim).SGD  # noqa: E731
    for fx, ft in zip(_errors(xs, xgrad, sgd), _errors(ts, torch, sgd)):
        with pytest.raises(Exception) as te:
            ft()
        with pytest.raises(Exception) as xe:
            fx()
        assert type(xe.value) is type(te.value)
        text = str(te.value).replace("SGD (", "").split(" has ")[0]
        assert str(xe.value).startswith(text), (str(xe.value), str(te.value))
    p = xgrad.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        xs.CyclicLR(optim.Rprop([p]), 0.01, 0.1)
    with pytest.raises(TypeError, match="lr_lambda should be a function, but got int"):
        xs.MultiplicativeLR(optim.SGD([p], lr=0.1), 3)


@pytest.mark.parametrize("make", [
    lambda m, o: m.ExponentialLR(o, 0.9, last_epoch=4),
    lambda m, o: m.CosineAnnealingLR(o, 10, last_epoch=4),
    lambda m, o: m.LinearLR(o, 0.5, total_iters=8, last_epoch=4),
    lambda m, o: m.PolynomialLR(o, 10, 2.0, last_epoch=4),
    lambda m, o: m.MultiplicativeLR(o, lambda e: 0.9, last_epoch=4),
    lambda m, o: m.ConstantLR(o, 0.5, 8, last_epoch=4),
], ids=["Exponential", "CosineAnnealing", "Linear", "Polynomial", "Multiplicative", "Constant"])
def test_resuming_with_last_epoch_does_not_step_twice(make):
    """Built with ``last_epoch`` (a resumed run) the constructor's step leaves the current rate
    alone where torch's does (its ``_is_initial``)."""
    ot, ox, _ = _pair()
    for o in (ot, ox):
        for g in o.param_groups:
            g["initial_lr"] = g["lr"] * 2
    st, sx = make(ts, ot), make(xs, ox)
    _same(ox, sx, ot, st)
    for _ in range(10):
        st.step()
        sx.step()
        _same(ox, sx, ot, st)
