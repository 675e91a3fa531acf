"""The derivatives table: the backward rule of every built-in op, keyed by the name the op
records on its graph node (as PyTorch's ``derivatives.yaml`` or tinygrad's gradient rules).

A rule is ``rule(node, g) -> tuple of input gradients`` (one entry per ``node.inputs``,
None where an input needs no gradient). ``g`` is the output gradient (a list, one entry or
None per output, for multi-output nodes). Rules are written with differentiable Tensor ops,
so ``create_graph=True`` differentiates them again on every backend. A rule may return a
gradient in the *broadcast* shape of its output: the engine sums it down to the input's
shape (``sum_to``), once, for every op.

Importing this module fills :data:`xgrad.autograd.node.RULES`. It sits above the ops
modules (it calls them); the ops modules only record a name and what the rule needs in
``node.saved``. Custom :class:`xgrad.autograd.Function` nodes carry their own backward.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from itertools import product

from .autograd.node import RULES
from .creation import zeros
from .ops.elementwise import where
from .ops.fused import (
    CROSS_ENTROPY_GRAD,
    _one_hot_like,
    conv2d_input_grad,
    conv2d_nobias,
    conv2d_weight_grad,
    relu_backward,
    softmax,
)
from .ops.fusion import apply_fused
from .ops.indexing import gather, getitem_native, index_grad, index_put, scatter_add
from .ops.linalg import _matmul_nd
from .ops.pooling import MAX_POOL2D_BACKWARD, MAX_POOL2D_BACKWARD_OUT, _gather_at, max_pool2d_indices
from .ops.shape import cat, narrow, stack
from .tensor import Tensor, wrap

__all__ = ["RULES", "rule"]


def rule(*names: str) -> Callable:
    """Register the decorated function as the backward rule of the ops ``names``."""
    def register(fn: Callable) -> Callable:
        for name in names:
            if name in RULES:
                raise ValueError(f"two derivative rules for op {name!r}")
            RULES[name] = fn
        return fn
    return register


def _g(t: Tensor | None) -> bool:
    """Whether (optional) input ``t`` needs a gradient."""
    return t is not None and t._rg


def _out(node):
    """The node's output, saved as a weak reference."""
    out = node.saved()
    if out is None:
        raise RuntimeError(f"{node!r}: the saved output was freed")
    return out


def _keep_shape(shape: tuple, axes: tuple) -> tuple:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _expand_grad(g: Tensor, shape: tuple, axes: tuple, keepdim: bool) -> Tensor:
    """Broadcast a reduced gradient back over ``axes`` to ``shape``."""
    if not keepdim and axes:
        g = g.reshape(_keep_shape(shape, axes))
    return g.expand(shape)


# ---- binary arithmetic ---------------------------------------------------------------------
# ``inputs`` is ``(a, b)``, or ``(a, None)`` with the Python-number operand in ``saved``.
@rule("add")
def _add(node, g):
    a, b = node.inputs
    return (g if a._rg else None, g if _g(b) else None)


@rule("sub")
def _sub(node, g):
    a, b = node.inputs
    return (g if a._rg else None, -g if _g(b) else None)


@rule("mul")
def _mul(node, g):
    a, b = node.inputs
    if b is None:
        return (g * node.saved, None)
    return (g * b if a._rg else None, g * a if b._rg else None)


@rule("div")
def _div(node, g):
    a, b = node.inputs
    if b is None:
        return (g / node.saved, None)
    ga = g / b
    return (ga if a._rg else None, -ga * a / b if b._rg else None)


@rule("pow")
def _pow(node, g):
    a, b = node.inputs
    if b is None:
        e = node.saved
        if e == 0:
            return (g * 0, None)
        return (g * e * a ** (e - 1), None)
    ga = g * b * a ** (b - 1) if a._rg else None
    gb = None
    if b._rg:  # d/db a**b = a**b log(a); 0 where a <= 0 (PyTorch's choice)
        gb = g * a ** b * where(a > 0, a, 1).log()
    return (ga, gb)


@rule("atan2")
def _atan2(node, g):
    # d/da atan2(a, b) = b / (a^2 + b^2), d/db = -a / (a^2 + b^2), as PyTorch computes them
    a, b = node.inputs
    if b is None:
        s = node.saved
        return (g * s * (a * a + s * s).reciprocal(), None)
    recip = (a * a + b * b).reciprocal()
    return (g * b * recip if a._rg else None, g * -a * recip if b._rg else None)


@rule("maximum", "minimum")
def _maxmin(node, g):
    # ties split the gradient evenly, as PyTorch; saved = (is_max,) or (is_max, number)
    a, b = node.inputs
    if b is None:
        s = node.saved[1]
        w = where(a == s, 0.5, where(a > s if node.saved[0] else a < s, 1.0, 0.0)).to(g.dtype)
        return (g * w, None)
    sel = (a > b) if node.saved[0] else (a < b)
    w = where(a == b, 0.5, where(sel, 1.0, 0.0)).to(g.dtype)
    return (g * w if a._rg else None, g * (1 - w) if b._rg else None)


@rule("floordiv", "remainder", "rfloordiv", "rremainder")
def _no_grad(node, g):
    return (None,) * len(node.inputs)


# ``number OP a``: inputs ``(a,)``, the number in ``saved``
@rule("rsub")
def _rsub(node, g):
    return (-g,)


@rule("rdiv")
def _rdiv(node, g):
    (a,) = node.inputs
    return (-g * node.saved / (a * a),)


@rule("rpow")
def _rpow(node, g):
    (a,) = node.inputs
    s = node.saved
    return (g * (s ** a) * math.log(s) if s > 0 else g * 0,)


@rule("clamp")
def _clamp(node, g):
    # saved = (lower, number bound or None); the gradient goes to a inside the bound
    a, b = node.inputs
    bound = b if b is not None else node.saved[1]
    inside = (a >= bound) if node.saved[0] else (a <= bound)
    return (where(inside, g, 0.0) if a._rg else None,
            where(inside, 0.0, g) if _g(b) else None)


@rule("where")
def _where(node, g):
    _, a, b = node.inputs
    cond = node.saved
    return (None,
            where(cond, g, 0.0) if _g(a) else None,
            where(cond, 0.0, g) if _g(b) else None)


# ---- unary math ------------------------------------------------------------------------------
@rule("neg")
def _neg(node, g):
    return (-g,)


@rule("exp")
def _exp(node, g):
    return (g * _out(node),)


@rule("log")
def _log(node, g):
    return (g / node.inputs[0],)


@rule("log1p")
def _log1p(node, g):
    return (g / (node.inputs[0] + 1),)


@rule("expm1")
def _expm1(node, g):
    return (g * (_out(node) + 1),)


@rule("sin")
def _sin(node, g):
    return (g * node.inputs[0].cos(),)


@rule("cos")
def _cos(node, g):
    return (-g * node.inputs[0].sin(),)


@rule("tanh")
def _tanh(node, g):
    y = _out(node)
    return (g * (1 - y * y),)


@rule("sqrt")
def _sqrt(node, g):
    return (g / (2 * _out(node)),)


@rule("abs")
def _abs(node, g):
    return (g * node.inputs[0].sign(),)


@rule("sign", "floor")
def _zero(node, g):
    return (g * 0,)


@rule("erf")
def _erf(node, g):
    x = node.inputs[0]
    return (g * (2.0 / math.sqrt(math.pi)) * (-(x * x)).exp(),)


@rule("relu")
def _relu(node, g):
    return (relu_backward(node.inputs[0], g),)


@rule("relu_backward")
def _relu_backward(node, gg):
    # linear in g, constant in x (almost everywhere)
    x, g = node.inputs
    return (None, relu_backward(x, gg) if g._rg else None)


@rule("sigmoid")
def _sigmoid(node, g):
    y = _out(node)
    return (g * y * (1 - y),)


# ---- casts and copies --------------------------------------------------------------------
@rule("to_copy")
def _to_copy(node, g):
    # saved: the source dtype (a cast) or the source backend (a transfer)
    return (g.to(node.saved),)


@rule("clone")
def _clone(node, g):
    return (g,)


# ---- reductions ----------------------------------------------------------------------------
@rule("sum")
def _sum(node, g):
    (a,) = node.inputs
    axes, keepdim = node.saved
    return (_expand_grad(g, a._data.shape, axes, keepdim),)


@rule("mean")
def _mean(node, g):
    (a,) = node.inputs
    axes, keepdim, scale = node.saved
    return (_expand_grad(g * scale, a._data.shape, axes, keepdim),)


@rule("prod")
def _prod(node, g):
    """d prod / d a_i = prod_{j != i} a_j, without dividing by zero: with no zero it is
    prod / a_i, with one zero it is the product of the others at the zero (0 elsewhere),
    with two or more zeros it is 0."""
    (a,) = node.inputs
    axes, keepdim = node.saved
    zero = a == 0
    nz = where(zero, 1.0, a)
    p_nz = nz.prod(axes, keepdim=True)
    nzeros = zero.sum(axes, keepdim=True)
    grad = where(nzeros == 0, p_nz / nz, where((nzeros == 1) & zero, p_nz, 0.0))
    return (_expand_grad(g, a._data.shape, axes, keepdim) * grad,)


@rule("amax", "amin")
def _amax(node, g):
    # the gradient is shared evenly between tied extrema, as PyTorch's amax/amin
    (a,) = node.inputs
    axes, keepdim, ref = node.saved
    shape = a._data.shape
    out = ref()
    o = out if keepdim else out.reshape(_keep_shape(shape, axes))
    mask = (a == o).to(g.dtype)
    count = mask.sum(axes, keepdim=True)
    return (_expand_grad(g, shape, axes, keepdim) * mask / count,)


@rule("logsumexp")
def _logsumexp(node, g):
    (a,) = node.inputs
    axes, keepdim, ref = node.saved
    shape = a._data.shape
    out = ref()
    o = out if keepdim else out.reshape(_keep_shape(shape, axes))
    return (_expand_grad(g, shape, axes, keepdim) * (a - o).exp(),)


@rule("cumsum")
def _cumsum(node, g):
    # a reversed cumulative sum of the gradient
    ax = node.saved
    return (g.flip(ax).cumsum(ax).flip(ax),)


@rule("sort")
def _sort(node, g):
    (a,) = node.inputs
    ax, idx = node.saved
    be = g._backend
    base = wrap(be.full(a._data.shape, 0, be.dtype(g._data)), be)
    return (base.scatter_add(ax, idx, g),)


# ---- shape and movement --------------------------------------------------------------------
@rule("reshape")
def _reshape(node, g):
    return (g.reshape(node.saved),)


@rule("permute")
def _permute(node, g):
    perm = node.saved
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return (g.permute(inv),)


@rule("expand")
def _expand(node, g):
    return (g,)  # the engine sums the broadcast dims back down


@rule("cat")
def _cat(node, g):
    ax, sizes = node.saved
    out = []
    start = 0
    for t, n in zip(node.inputs, sizes):
        out.append(narrow(g, ax, start, n) if t._rg else None)
        start += n
    return tuple(out)


@rule("split", "unbind")
def _pieces(node, gs):
    # one node for all pieces: one cat/stack of their gradients (zeros for unused pieces)
    (a,) = node.inputs
    d, shapes, squeeze = node.saved
    if node.n_out == 1:
        gs = [gs]
    be = a._backend
    dt = be.dtype(a._data)
    parts = [g if g is not None else wrap(be.full(shape, 0, dt), be) for g, shape in zip(gs, shapes)]
    return (stack(parts, d) if squeeze else cat(parts, d),)


@rule("pad")
def _pad(node, g):
    widths = node.saved
    idx = tuple(slice(b, g._data.shape[i] - e) for i, (b, e) in enumerate(widths))
    return (g[idx],)


@rule("sliding_window")
def _sliding_window(node, g):
    """Scatter-add every window offset's gradient back onto the input (strided slices)."""
    (a,) = node.inputs
    window, strides, dilation = node.saved
    shape = a._data.shape
    lead = len(shape) - len(window)
    out_sp = g._data.shape[lead:lead + len(window)]
    acc = zeros(shape, dtype=g.dtype, device=g._backend)
    for offs in product(*(range(w) for w in window)):
        gi = g[(Ellipsis,) + offs]  # (*lead, o_1..o_k)
        idx = (slice(None),) * lead + tuple(
            slice(o * d, o * d + (n - 1) * s + 1, s)
            for o, d, n, s in zip(offs, dilation, out_sp, strides))
        acc = acc.index_put_add(idx, gi)
    return (acc,)


# ---- indexing ------------------------------------------------------------------------------
@rule("index")
def _index(node, g):
    (a,) = node.inputs
    idx, basic = node.saved
    return (index_grad(g, a._data.shape, idx, basic),)


@rule("index_backward")
def _index_backward(node, gg):
    # index_grad is linear in g: its gradient reads gg back at the index
    idx, _ = node.saved
    return (getitem_native(gg, idx),)


@rule("index_put_add")
def _index_put_add(node, g):
    a, v = node.inputs
    return (g if a._rg else None, getitem_native(g, node.saved) if v._rg else None)


@rule("index_put")
def _index_put(node, g):
    a, v = node.inputs
    idx = node.saved
    return (index_put(g, idx, 0.0) if a._rg else None,
            getitem_native(g, idx) if _g(v) else None)


@rule("gather")
def _gather(node, g):
    a, _ = node.inputs
    d, index = node.saved
    be = g._backend
    base = wrap(be.full(a._data.shape, 0, be.dtype(g._data)), be)
    return (scatter_add(base, d, index, g), None)


@rule("scatter_add")
def _scatter_add(node, g):
    a, src = node.inputs
    d, index = node.saved
    return (g if _g(a) else None, gather(g, d, index) if src._rg else None)


# ---- linear algebra ------------------------------------------------------------------------
@rule("mm")
def _mm(node, g):
    a, b = node.inputs
    return (g @ b.mT if a._rg else None, a.mT @ g if b._rg else None)


# ---- fused ops: saved = (params, weak output or None) ---------------------------------------
@rule("log_softmax")
def _log_softmax(node, g):
    (axis,), ref = node.saved
    y = ref()
    return (g - y.exp() * g.sum(axis, keepdim=True),)


@rule("softmax")
def _softmax(node, g):
    (axis,), ref = node.saved
    y = ref()
    return (y * (g - (g * y).sum(axis, keepdim=True)),)


@rule("cross_entropy")
def _cross_entropy(node, g):
    logits, target = node.inputs
    return (apply_fused(CROSS_ENTROPY_GRAD, (logits, target, g), ()), None)


@rule("cross_entropy_grad")
def _cross_entropy_grad(node, gg):
    """cross_entropy_grad = (p - onehot) * g with p = softmax(logits): d/d logits is the
    softmax Jacobian applied to gg * g, d/d g is the row sum of (p - onehot) * gg."""
    logits, target, g = node.inputs
    p = softmax(logits, 1)
    d_logits = d_g = None
    if logits._rg:
        v = gg * g.unsqueeze(1)
        d_logits = p * (v - (v * p).sum(1, keepdim=True))
    if g._rg:
        d_g = ((p - _one_hot_like(target, logits)) * gg).sum(1)
    return (d_logits, None, d_g)


@rule("linear")
def _linear(node, g):
    # inputs (x, w, b) or (x, w) without bias
    x, w = node.inputs[:2]
    o, i = w._data.shape
    g2 = g.reshape(-1, o) if len(g._data.shape) != 2 else g
    gx = gw = None
    if x._rg:
        gx = _matmul_nd(g, w)  # shapes are known to match: skip matmul's validation
    if w._rg:
        x2 = x.reshape(-1, i) if len(x._data.shape) != 2 else x
        gw = _matmul_nd(g2.mT, x2)
    if len(node.inputs) == 2:
        return (gx, gw)
    b = node.inputs[2]
    return (gx, gw, g2.sum(0) if b is not None and b._rg else None)


@rule("gelu")
def _gelu(node, g):
    (x,) = node.inputs
    (approximate,), _ = node.saved
    if approximate == "tanh":
        k = math.sqrt(2.0 / math.pi)
        t = ((x + 0.044715 * x * x * x) * k).tanh()
        d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x)
        return (g * d,)
    cdf = 0.5 * (1 + (x * (1 / math.sqrt(2.0))).erf())
    pdf = (-0.5 * x * x).exp() * (1 / math.sqrt(2 * math.pi))
    return (g * (cdf + x * pdf),)


@rule("conv2d")
def _conv2d(node, g):
    x, w = node.inputs
    (stride, padding, dilation, groups), _ = node.saved
    gw = conv2d_weight_grad(x, g, w._data.shape, stride, padding, dilation, groups) \
        if w._rg else None
    gx = conv2d_input_grad(g, w, x._data.shape[2:], stride, padding, dilation, groups) \
        if x._rg else None
    return (gx, gw)


@rule("conv2d_weight_grad")
def _conv2d_weight_grad(node, gw):
    # conv2d is bilinear: <conv2d(x, w), g> = <w, weight_grad(x, g)> = <x, input_grad(g, w)>
    x, g = node.inputs
    (_, stride, padding, dilation, groups), _ = node.saved
    d_x = conv2d_input_grad(g, gw, x._data.shape[2:], stride, padding, dilation, groups) \
        if x._rg else None
    d_g = conv2d_nobias(x, gw, stride, padding, dilation, groups) if g._rg else None
    return (d_x, d_g)


@rule("conv2d_input_grad")
def _conv2d_input_grad(node, gg):
    # the same bilinearity as conv2d_weight_grad
    g, w = node.inputs
    (_, stride, padding, dilation, groups), _ = node.saved
    d_g = conv2d_nobias(gg, w, stride, padding, dilation, groups) if g._rg else None
    d_w = conv2d_weight_grad(gg, g, w._data.shape, stride, padding, dilation, groups) \
        if w._rg else None
    return (d_g, d_w)


@rule("max_pool2d")
def _max_pool2d(node, g):
    (x,) = node.inputs
    params, hint = node.saved
    out = hint.get() if hint is not None else None
    if out is not None:  # the maxima as computed, not written since: no need to find them again
        return (apply_fused(MAX_POOL2D_BACKWARD_OUT, (x, wrap(out._data, out._backend), g), params),)
    return (apply_fused(MAX_POOL2D_BACKWARD, (x, g), params),)


@rule("max_pool2d_backward", "max_pool2d_backward_out")
def _max_pool2d_backward(node, gg):
    # linear in g (routes it to each window's first maximum): gather gg at those positions
    x, g = node.inputs[0], node.inputs[-1]
    params, _ = node.saved
    grad = _gather_at(gg, max_pool2d_indices(x, *params)) if g._rg else None
    return (None, grad) if len(node.inputs) == 2 else (None, None, grad)


@rule("sgd_step", "adam_step")
def _optimizer_step(node, g):
    # never recorded: the in-place optimizer steps refuse to run where a graph would be built
    raise RuntimeError(f"{node!r}: optimizer steps are not differentiable")


@rule("cross_entropy_with_grad")
def _cross_entropy_with_grad(node, g):
    # never recorded: only compiled programs call it, for a loss and a gradient computed already
    raise RuntimeError(f"{node!r}: differentiate cross_entropy and cross_entropy_grad instead")
