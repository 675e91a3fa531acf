"""Special-value inputs for the ``special`` check: ±inf, NaN, ±0, huge and tiny values.

The ordinary samples of the op table stay finite and away from kinks (so gradients can be
checked); this module builds forward-only samples that hit the IEEE edge cases instead. An
op case takes part when its name is in :data:`SPECIAL_KINDS` or its ``special`` field says
how (``"elementwise"`` or ``"reduction"``).

* elementwise: the first sample with one or two plain :class:`T` inputs is the template;
  one input becomes a vector of every special value, two inputs become a column and a row
  of them, so the broadcast op sees every pair;
* reduction: every sample of the case keeps its shapes; each element is a special value
  with probability 1/2, otherwise an ordinary value of the case's domain (seeded per case).
  Huge values of both signs are left out there: their cancellation in a sum depends on the
  summation order, which backends may choose freely.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .sampling import draw, seed_for
from .spec import OpCase, T

__all__ = ["SPECIAL_KINDS", "TAILS", "ZERO_SIGN_FREE", "special_kind", "special_pool", "special_samples"]

_EW = "elementwise"
_RED = "reduction"

#: Built-in op cases checked with special values, and how their inputs are built.
SPECIAL_KINDS: dict[str, str] = {
    **{n: _EW for n in (
        "add", "add.alpha", "__add__", "sub", "__sub__", "mul", "__mul__", "div",
        "true_divide", "__truediv__", "pow", "__pow__", "maximum", "minimum", "max.other",
        "min.other", "lt", "le", "gt", "ge", "__lt__", "__le__", "__gt__", "__ge__",
        "neg", "__neg__", "exp", "log", "log1p", "expm1", "sin", "cos", "tanh", "sqrt",
        "rsqrt", "abs", "__abs__", "sign", "erf", "sigmoid", "relu", "reciprocal", "square",
        "floor", "gelu", "gelu.tanh", "clamp", "clamp_min", "clamp_max",
        "F.gelu", "F.gelu.tanh", "F.silu", "F.softplus", "F.mish", "F.elu", "F.leaky_relu",
        "F.relu", "F.relu6", "F.hardtanh", "F.sigmoid", "F.tanh")},
    **{n: _RED for n in (
        "sum", "sum.dim", "mean", "mean.dim", "prod", "amax", "amin", "max", "min",
        "logsumexp", "softmax", "log_softmax", "cumsum")},
}


#: Elementwise cases whose result's zero sign is not checked: which of +0 and -0 a max/min
#: (or a clamp or rectifier built on one) returns for equal zeros is the implementation's
#: choice (IEEE 754 maxNum/minNum allow either; numpy differs between float16 and float32).
ZERO_SIGN_FREE = frozenset({
    "maximum", "minimum", "max.other", "min.other", "clamp", "clamp_min", "clamp_max", "relu",
    "F.relu", "F.relu6", "F.elu", "F.hardtanh", "F.leaky_relu"})


def special_kind(case: OpCase) -> str | None:
    """``"elementwise"``, ``"reduction"`` or ``None`` (the case is not checked)."""
    kind = getattr(case, "special", None)
    if kind is None:
        kind = SPECIAL_KINDS.get(case.name)
    return kind or None


#: Moderate magnitudes where exp/tanh/erf/sigmoid/softplus tails live (ordinary samples
#: stay inside (-2, 2)).
TAILS = (2.5, 3.5, 5.0, 9.0, 20.0, 45.0, 88.0)


def special_pool(dtype: str) -> np.ndarray:
    """The special values of ``dtype`` (as float64): ±inf, NaN, ±0, ±1e30 (float16: ±1e4),
    ±max/4 of the dtype, ±1e-30 (float16: ±1e-4), ±1e-10 (float16: ±1e-3), ± a subnormal,
    the tail magnitudes ±:data:`TAILS` and two ordinary values. The first 13 entries are the
    original pool (reductions draw from them)."""
    info = np.finfo(np.dtype(dtype))
    big, tiny = (1e4, 1e-4) if info.bits == 16 else (1e30, 1e-30)
    small = 1e-3 if info.bits == 16 else 1e-10
    huge = float(info.max) / 4
    sub = float(info.smallest_subnormal) * 3
    vals = [np.inf, -np.inf, np.nan, 0.0, -0.0, big, -big, huge, -huge, tiny, -tiny, 1.5, -0.5,
            small, -small, sub, -sub] + [v for t in TAILS for v in (t, -t)]
    return np.array(vals, dtype=np.float64).astype(dtype).astype(np.float64)


def _template(case: OpCase) -> tuple | None:
    for sample in case.inputs:
        ts = [s for s in sample if isinstance(s, T)]
        if 1 <= len(ts) <= 2 and all(s.view is None for s in ts):
            return sample
    return None


def _elementwise(case: OpCase, dtype: str) -> list[tuple[tuple, list]]:
    sample = _template(case)
    if sample is None:
        return []
    pool = special_pool(dtype)
    n = len(pool)
    positions = [j for j, s in enumerate(sample) if isinstance(s, T)]
    shapes = [(n,)] if len(positions) == 1 else [(n, 1), (1, n)]
    new = list(sample)
    vals = list(sample)
    for j, shape in zip(positions, shapes):
        new[j] = T(*shape, grad=False)
        vals[j] = pool.reshape(shape)
    return [(tuple(new), vals)]


def _reduction(case: OpCase, dtype: str) -> list[tuple[tuple, list]]:
    full = special_pool(dtype)[:13]
    pool = full[np.isnan(full) | np.isinf(full) | (np.abs(full) < 1) | (full == full[5])]
    out = []
    for i, sample in enumerate(case.inputs):
        rng = np.random.default_rng(seed_for(case.name, i, dtype, "special"))
        vals = draw(case, sample, rng)
        for j, s in enumerate(sample):
            if isinstance(s, T) and vals[j].size:
                v = vals[j].astype(dtype).astype(np.float64)
                hit = rng.random(v.shape) < 0.5
                v[hit] = rng.choice(pool, size=int(hit.sum()))
                vals[j] = v
        out.append((sample, vals))
    return out


def special_samples(case: OpCase, dtype: str) -> list[tuple[tuple, list[Any]]]:
    """``(sample, host values)`` pairs with special values for ``case`` in ``dtype``;
    empty when the case is not checked with special values."""
    kind = special_kind(case)
    if kind == _EW:
        return _elementwise(case, dtype)
    if kind == _RED:
        return _reduction(case, dtype)
    return []
