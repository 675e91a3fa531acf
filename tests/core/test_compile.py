"""xgrad.compile: captured-and-replayed steps give exactly eager mode's results.

Every training test runs the same seeded steps eagerly and compiled and compares losses,
parameters and the random generator's state bit for bit (numpy replays the same kernels in
the same order), and checks the compiled steps really replayed (a silent fallback to eager
would pass an equality test for the wrong reason).
"""
from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest
import xgrad
from xgrad import nn
from xgrad.conformance.compiled import COMPILED_PROGRAMS, train

F = nn.functional
compile_pkg = sys.modules["xgrad.compile"]


# ---- the name: function and package ---------------------------------------------------------
def test_compile_is_the_function_and_the_package_stays_importable():
    import importlib

    from xgrad import compile as c

    assert c is sys.modules["xgrad"].compile and callable(c)
    importlib.import_module("xgrad.compile")  # importing the package must not rebind the name
    exec("import xgrad.compile", {})  # noqa: S102 - the statement itself, as users write it
    assert sys.modules["xgrad"].compile is c
    assert compile_pkg.compile is c
    from xgrad.compile import Program, Unsupported  # noqa: F401
    assert issubclass(Unsupported, RuntimeError)


def test_decorator_forms_and_disable():
    @xgrad.compile
    def f(x):
        return x * 2

    @xgrad.compile(mode="reduce-overhead")
    def g(x):
        return x + 1

    x = xgrad.ones(3)
    for _ in range(4):
        assert f(x).tolist() == [2.0, 2.0, 2.0]
        assert g(x).tolist() == [2.0, 2.0, 2.0]
    assert f.stats["replays"] >= 1 and g.stats["replays"] >= 1
    assert f.__name__ == "f"

    def h(x):
        return x

    assert xgrad.compile(h, disable=True) is h


def test_argument_checks_match_torch():
    torch = pytest.importorskip("torch")

    def f(x):
        return x

    cases = [dict(mode="fast"), dict(mode="default", options={})]
    for kw in cases:
        with pytest.raises(RuntimeError) as ours:
            xgrad.compile(f, **kw)
        with pytest.raises(RuntimeError) as theirs:
            torch.compile(f, **kw)
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(AssertionError) as ours:
        xgrad.compile(5)
    with pytest.raises(AssertionError) as theirs:
        torch.compile(5)
    assert str(ours.value) == str(theirs.value)
    with pytest.raises(RuntimeError, match="Model can't be None"):
        xgrad.compile()(None)
    with pytest.raises(ValueError, match="unknown backend 'tvm'"):
        xgrad.compile(f, backend="tvm")


# ---- training steps: compiled == eager, bit for bit -------------------------------------
def _train(name: str, compiled: bool, steps: int = 7):
    """The conformance suite's compiled-program table, trained on numpy in float32."""
    r = train(name, "numpy", "float32", compiled, steps)
    return r["fn"], r["losses"], r["params"], r["grads"], r["generator"], r["opt"]


@pytest.mark.parametrize("name", sorted(COMPILED_PROGRAMS))
def test_training_steps_equal_eager_bit_for_bit(name):
    _, l0, p0, g0, rng0, opt0 = _train(name, False)
    fn, l1, p1, g1, rng1, opt1 = _train(name, True)
    assert fn.reasons() == []
    assert fn.stats["replays"] >= 3, fn.stats
    for a, b in zip(l0 + p0 + g0, l1 + p1 + g1):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert rng0 == rng1  # dropout's draws advance the generator as eager mode does
    if isinstance(opt0, xgrad.optim.Adam):
        steps = [s["step"] for s in opt1.state.values()]
        assert steps == [s["step"] for s in opt0.state.values()] and set(steps) == {7}


def test_replay_builds_no_graph_nodes(monkeypatch):
    from xgrad.autograd import node as node_mod

    fn, *_ = _train("mlp_adam", True, steps=4)
    made = []
    init = node_mod.Node.__init__
    monkeypatch.setattr(node_mod.Node, "__init__", lambda self, *a, **k: (made.append(1),
                                                                         init(self, *a, **k))[1])
    model_step = fn
    x, y = xgrad.randn(6, 8), xgrad.tensor([0, 1, 2, 0, 1, 2])
    before = model_step.stats["replays"]
    loss = model_step(x, y)
    assert model_step.stats["replays"] == before + 1
    assert made == [] and loss.grad_fn is None and not loss.requires_grad
    prog = model_step.programs()[0]
    # the backward ran too: its loss gradient fused with the loss (compile.patterns)
    assert "adam_step" in prog.kernel_names() and "cross_entropy_with_grad" in prog.kernel_names()


def test_compiled_module_forwards_to_the_original():
    xgrad.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))
    c = xgrad.compile(m)
    assert c._orig_mod is m
    assert c.training is m.training and c.__class__.__name__ == "OptimizedModule"
    with pytest.raises(TypeError, match="not subscriptable"):  # as torch's OptimizedModule
        c[0]  # noqa: B018
    assert c._orig_mod[0].weight is m[0].weight
    assert [id(p) for p in c.parameters()] == [id(p) for p in m.parameters()]
    assert list(c.state_dict()) == list(m.state_dict())  # unprefixed (torch: "_orig_mod.")
    assert c.train() is c and c.to("cpu") is c and c.eval() is c and not m.training
    x = xgrad.randn(3, 4)
    with xgrad.no_grad():
        outs = [c(x).numpy() for _ in range(4)]
        ref = m(x).numpy()
    assert all(np.array_equal(o, ref) for o in outs)
    assert c.forward.stats["replays"] >= 1
    assert "OptimizedModule" in repr(c) and "_orig_mod" in repr(c)


def test_forward_whose_output_needs_grad_runs_eagerly_with_a_reason():
    m = nn.Linear(3, 2)
    c = xgrad.compile(m)
    x = xgrad.randn(4, 3)
    with pytest.warns(UserWarning, match="requires grad and runs no backward"):
        out = c(x)
    for _ in range(3):
        out = c(x)
    assert out.grad_fn is not None  # eager: the caller can backpropagate
    out.sum().backward()
    assert m.weight.grad is not None and c.forward.stats["replays"] == 0


# ---- graph breaks ---------------------------------------------------------------------------
@pytest.mark.parametrize("read", ["item", "bool", "tolist", "numpy", "print"])
def test_host_reads_in_user_code_run_eagerly(read, capsys):
    w = xgrad.ones(3, requires_grad=True)
    seen = []

    def step(x):
        y = (w * x).sum()
        if read == "item":
            seen.append(y.item())
        elif read == "bool":
            seen.append(bool(y > 0))
        elif read == "tolist":
            seen.append(x.tolist())
        elif read == "numpy":
            seen.append(x.numpy().sum())
        else:
            print(y)
        return y * 2

    f = xgrad.compile(step)
    with pytest.warns(UserWarning, match="runs eagerly.*read on the host"):
        out = f(xgrad.tensor([1.0, 2.0, 3.0]))
    for _ in range(3):
        out = f(xgrad.tensor([1.0, 2.0, 3.0]))
    assert f.stats["replays"] == 0 and out.item() == 12.0
    if read == "print":
        assert capsys.readouterr().out.count("tensor(6.") == 4
    else:
        assert len(seen) == 4  # the Python side effect happened every call
    with pytest.raises(compile_pkg.Unsupported, match="graph break.*Tensor"):
        xgrad.compile(step, fullgraph=True)(xgrad.ones(3))


def test_host_value_that_changes_between_steps_is_not_replayed():
    calls = [0]

    def step(x):
        calls[0] += 1
        return x * calls[0]  # a Python value the guards cannot see

    f = xgrad.compile(step)
    x = xgrad.ones(2)
    with pytest.warns(UserWarning, match="constant argument of kernel 'mul' changed"):
        outs = [f(x).tolist() for _ in range(5)]
    assert outs == [[float(k)] * 2 for k in range(1, 6)]


# ---- guards ---------------------------------------------------------------------------------
def test_guards_recapture_on_shape_dtype_requires_grad_and_grad_mode():
    def f(x):
        return (x * 3).exp()

    c = xgrad.compile(f)
    variants = [xgrad.ones(2), xgrad.ones(3), xgrad.ones(2, dtype=xgrad.float64),
                xgrad.ones(2, requires_grad=True)]
    with pytest.warns(UserWarning, match="requires grad and runs no backward"):  # variants[3]
        for _ in range(4):
            for v in variants:
                assert np.array_equal(c(v).detach().numpy(), f(v).detach().numpy())
    with xgrad.no_grad():
        for _ in range(4):
            assert np.array_equal(c(variants[3]).numpy(), f(variants[3]).numpy())
    assert len(c._cache) == 5


def test_training_flag_is_guarded():
    xgrad.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
    c = xgrad.compile(m)
    x = xgrad.ones(2, 4)
    with xgrad.no_grad():
        for _ in range(4):
            c(x)
        m.eval()
        outs = [c(x).numpy() for _ in range(4)]
        ref = m(x).numpy()
    assert all(np.array_equal(o, ref) for o in outs)  # eval: no dropout mask


@pytest.mark.parametrize("change", ["new_parameter", "same_shape_parameter", "new_submodule",
                                    "delete_submodule", "new_buffer", "parameter_list_append"])
def test_module_structure_changes_after_replay_are_seen(change):
    """The guard caches each module's parameter list; any change of what the module holds
    (a replaced or added parameter, module or buffer) must still reach the compiled step."""
    xgrad.manual_seed(0)
    m = nn.Module()
    m.seq = nn.Sequential(nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 2))
    m.extra = nn.ParameterList([nn.Parameter(xgrad.ones(2))])

    def f(x):
        out = m.seq(x)
        for p in m.extra:
            out = out * p
        for b in m.buffers():
            out = out + b
        return out.sum()

    c = xgrad.compile(f)
    x = xgrad.randn(4, 3)
    with xgrad.no_grad():
        for _ in range(4):
            c(x)
        assert c.stats["replays"] >= 1
        if change == "new_parameter":
            m.seq[0].weight = nn.Parameter(xgrad.randn(3, 3) * 5)
        elif change == "same_shape_parameter":
            m.seq[2].bias = nn.Parameter(xgrad.full((2,), 7.0))
        elif change == "new_submodule":
            m.seq.append(nn.Linear(2, 2))
        elif change == "delete_submodule":
            del m.seq[1]
        elif change == "new_buffer":
            m.register_buffer("shift", xgrad.full((2,), 3.0))
        else:
            m.extra.append(nn.Parameter(xgrad.full((2,), 2.0)))
        for _ in range(4):
            assert c(x).item() == f(x).item()


def test_recompile_limit_then_eager_with_a_warning():
    c = xgrad.compile(lambda x: x + 1)
    for n in range(1, compile_pkg.config.recompile_limit + 1):
        c(xgrad.ones(n))
    with pytest.warns(UserWarning, match=r"recompile_limit \(8\)"):
        out = c(xgrad.ones(20))
    assert out.shape == (20,) and c.stats["eager"] == 1


def test_learning_rate_schedule_outside_the_step_is_guarded():
    def run(compiled):
        xgrad.manual_seed(0)
        m = nn.Linear(3, 1)
        opt = xgrad.optim.SGD(m.parameters(), lr=0.5)
        sched = xgrad.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)

        def step(x):
            opt.zero_grad()
            loss = (m(x) ** 2).mean()
            loss.backward()
            opt.step()
            return loss

        f = xgrad.compile(step) if compiled else step
        x = xgrad.randn(4, 3)
        out = []
        for _ in range(12):
            out.append(f(x).item())
            sched.step()
        return out, m.weight.numpy(), f

    l0, w0, _ = run(False)
    l1, w1, f = run(True)
    assert l0 == l1 and np.array_equal(w0, w1) and f.stats["replays"] > 0


def test_global_scalars_are_guarded():
    f = xgrad.compile(_scaled)
    x = xgrad.ones(2)
    global SCALE
    for s in (2.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0, 3.0):
        SCALE = s
        assert f(x).tolist() == [s, s]
    assert f.stats["replays"] >= 2


SCALE = 1.0


def _scaled(x):
    return x * SCALE


# ---- the program ----------------------------------------------------------------------------
def test_dead_code_is_removed_and_interpreter_matches_generated_code():
    def f(x, w):
        unused = (x * 5).exp()  # noqa: F841
        return (x @ w).tanh() + 1

    c = xgrad.compile(f)
    x, w = xgrad.randn(3, 4), xgrad.randn(4, 2)
    for _ in range(3):
        out = c(x, w)
    prog = c.programs()[0]
    assert prog.kernel_names() == ["matmul", "tanh", "add"]
    ref = compile_pkg.interpret(prog, [x._data, w._data], [])
    assert np.array_equal(ref[0], out.numpy()) and np.array_equal(ref[0], f(x, w).numpy())
    assert "k0(" in c._cache[next(iter(c._cache))].step.runner.source


def test_backend_compile_program_hook_is_used():
    from xgrad.backends.numpy import NumpyBackend

    used = []

    class Hooked(NumpyBackend):
        name = "numpy"
        device = "numpy"

        def compile_program(self, program):
            used.append(program)
            default = compile_pkg.compile_default(program)
            return lambda inputs, dynamic: default(inputs, dynamic)

    be = Hooked()
    x = xgrad.tensor([1.0, 2.0], device=be)
    c = xgrad.compile(lambda t: t.exp() * 2)
    outs = [c(x).numpy() for _ in range(4)]
    assert len(used) == 1 and used[0].backend is be
    assert all(np.array_equal(o, np.exp(np.float32([1, 2])) * 2) for o in outs)
    c2 = xgrad.compile(lambda t: t.exp() * 2, backend="eager")
    for _ in range(4):
        c2(x)
    assert len(used) == 1  # backend="eager": the default replay loop


def test_rng_stream_continues_exactly_as_eager():
    def f(x):
        return x + xgrad.rand(3)

    x = xgrad.zeros(3)
    xgrad.manual_seed(5)
    eager = [f(x).numpy() for _ in range(6)]
    xgrad.manual_seed(5)
    c = xgrad.compile(f)
    comp = [c(x).numpy() for _ in range(6)]
    assert c.stats["replays"] == 4
    assert all(np.array_equal(a, b) for a, b in zip(eager, comp))
    assert not np.array_equal(comp[-1], comp[-2])  # fresh numbers every replay
    xgrad.manual_seed(5)  # re-seeding outside the step: replay reads the live generator
    assert np.array_equal(c(x).numpy(), eager[0])


def test_no_warnings_on_a_plain_training_loop():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _train("mlp_adam", True, steps=5)


def test_benchmark_compiled_steps_equal_eager():
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[2])
    if root not in sys.path:
        sys.path.insert(0, root)
    import benchmarks as bm

    works = {w.name: w for w in bm.all_workloads()}
    for name in ("mlp_b64", "elementwise_chain"):
        w = works[name]
        eager = w.builders["xgrad"](w.data(0), None)
        comp = w.builders["xgrad-compiled"](w.data(0), None)
        for _ in range(6):
            a, b = eager.step(), comp.step()
            assert np.array_equal(a.numpy(), b.numpy())
        assert comp.step.stats["replays"] >= 2
        for kind in ("grads", "params"):
            ea, co = getattr(eager, kind)(), getattr(comp, kind)()
            assert ea.keys() == co.keys() and all(np.array_equal(ea[k], co[k]) for k in ea)


def test_argument_check_still_raises_after_replays_start():
    m = nn.Linear(4, 3)

    @xgrad.compile
    def loss_of(x, y):
        with xgrad.no_grad():
            return F.cross_entropy(m(x), y)

    x = xgrad.randn(2, 4)
    for _ in range(4):
        loss_of(x, xgrad.tensor([0, 2]))
    assert loss_of.stats["replays"] >= 1
    with pytest.raises(IndexError, match="Target 3 is out of bounds"):
        loss_of(x, xgrad.tensor([0, 3]))  # the replay's guard fails: eager mode raises
    assert np.array_equal(loss_of(x, xgrad.tensor([1, 1])).numpy(),
                          F.cross_entropy(m(x), xgrad.tensor([1, 1])).detach().numpy())


def test_tensor_hooks_keep_the_step_eager():
    w = xgrad.ones(2, requires_grad=True)
    seen = []
    w.register_hook(lambda g: seen.append(1))

    def step():
        w.grad = None
        (w * 3).sum().backward()
        return w.grad

    f = xgrad.compile(step)
    with pytest.warns(UserWarning, match="has hooks"):
        for _ in range(4):
            g = f()
    assert len(seen) == 4 and g.tolist() == [3.0, 3.0] and f.stats["replays"] == 0


def test_kernels_of_other_threads_are_not_recorded():
    import threading

    stop = threading.Event()

    def busy():
        t = xgrad.ones(4)
        while not stop.is_set():
            t = (t * 1.0001).exp().log()

    th = threading.Thread(target=busy)
    th.start()
    try:
        f = xgrad.compile(lambda x: (x * 2).tanh())
        x = xgrad.randn(5)
        for _ in range(6):
            out = f(x)
    finally:
        stop.set()
        th.join()
    assert f.stats["replays"] >= 3
    assert f.programs()[0].kernel_names() == ["mul", "tanh"]
    assert np.array_equal(out.numpy(), (x * 2).tanh().numpy())
