"""Seeded host-side sample values and their materialisation on a backend.

Values are drawn on the host (numpy float64) from a seed derived from the test id, rounded
through the dtype under test, and copied onto each backend, so every backend sees the
same numbers.
"""
from __future__ import annotations

import os
import zlib
from typing import Any

import numpy as np

from .spec import DOMAINS, TIE_VALUES, TIES, Const, Idx, Mask, OpCase, T

__all__ = ["SEED_ENV", "BUDGET_ENV", "BUDGET_SHAPES", "shape_budget", "in_budget", "seed_salt",
           "seed_for", "draw", "distinct_values", "round_through", "build", "flat_tensors"]


#: Environment variable salting every seed of the suite (``--xgrad-seed`` sets it).
SEED_ENV = "XGRAD_CONFORMANCE_SEED"


def seed_salt() -> int:
    """The run's seed salt: ``$XGRAD_CONFORMANCE_SEED`` as an integer, 0 when unset."""
    raw = os.environ.get(SEED_ENV, "").strip()
    if not raw:
        return 0
    try:
        return int(raw, 0)
    except ValueError:
        raise ValueError(f"{SEED_ENV} must be an integer, got {raw!r}") from None


#: Environment variable turning on the shape budget (``--xgrad-shape-budget`` sets it).
BUDGET_ENV = "XGRAD_CONFORMANCE_SHAPE_BUDGET"

#: The shapes a budgeted run draws its array inputs from: few per rank, so that a backend
#: compiling one kernel per (op, shape, dtype) compiles few kernels.
BUDGET_SHAPES = frozenset({
    (), (0,), (1,), (3,), (4,),
    (2, 3), (3, 2), (3, 4), (4, 3), (1, 3), (2, 1), (0, 3),
    (2, 3, 4), (2, 3, 2),
    (1, 2, 4, 4), (1, 1, 5, 5),
})


def shape_budget() -> bool:
    """Whether this run keeps to :data:`BUDGET_SHAPES` (``$XGRAD_CONFORMANCE_SHAPE_BUDGET``)."""
    return os.environ.get(BUDGET_ENV, "").strip() not in ("", "0")


def in_budget(sample: tuple) -> bool:
    """Whether every array input of ``sample`` has a shape in :data:`BUDGET_SHAPES`."""
    return all(a.shape in BUDGET_SHAPES for a in sample if isinstance(a, (T, Idx, Mask)))


def seed_for(*parts: Any) -> int:
    """A stable 32-bit seed from the parts of a test id and the run's :func:`seed_salt`
    (xdist-safe: every worker derives the same seed for the same test)."""
    salt = seed_salt()
    if salt:
        parts = (f"seed={salt}",) + parts
    return zlib.crc32("|".join(str(p) for p in parts).encode())


def _bands(dom: Any) -> tuple:
    if isinstance(dom, str):
        if dom not in DOMAINS:
            raise KeyError(f"unknown conformance domain {dom!r}; known: {sorted(DOMAINS)}")
        return DOMAINS[dom]
    return tuple(tuple(b) for b in dom)


def distinct_values(n: int, bands: tuple, rng: np.random.Generator) -> np.ndarray:
    """``n`` values spread over the union of ``bands``, pairwise at least
    ``total_length / (2 n)`` apart, in random order."""
    if n == 0:
        return np.zeros(0)
    lengths = np.array([hi - lo for lo, hi in bands], dtype=np.float64)
    total = lengths.sum()
    pos = (rng.permutation(n) + 0.5 + rng.uniform(-0.25, 0.25, n)) * (total / n)
    out = np.empty(n)
    starts = np.concatenate([[0.0], np.cumsum(lengths)[:-1]])
    for k, p in enumerate(pos):
        b = min(int(np.searchsorted(starts, p, side="right")) - 1, len(bands) - 1)
        out[k] = bands[b][0] + (p - starts[b])
    return out


def draw(case: OpCase, sample: tuple, rng: np.random.Generator) -> list:
    """Host values of one sample: float64 arrays for :class:`T` (leaf shape), int64 for
    :class:`Idx`, bool for :class:`Mask`, the spec itself otherwise."""
    out: list = [None] * len(sample)
    pools: dict[tuple, list[int]] = {}
    for i, spec in enumerate(sample):
        if isinstance(spec, T) and (spec.dom if spec.dom is not None else case.domain) == TIES:
            out[i] = rng.choice(np.array(TIE_VALUES), size=spec.leaf_shape())
        elif isinstance(spec, T):
            pools.setdefault(_bands(spec.dom if spec.dom is not None else case.domain), []).append(i)
    for bands, idxs in pools.items():
        sizes = [int(np.prod(sample[i].leaf_shape(), dtype=np.int64)) for i in idxs]
        vals = distinct_values(sum(sizes), bands, rng)
        start = 0
        for i, n in zip(idxs, sizes):
            out[i] = vals[start:start + n].reshape(sample[i].leaf_shape())
            start += n
    for i, spec in enumerate(sample):
        if isinstance(spec, Idx):
            if spec.unique is None:
                out[i] = rng.integers(0, spec.high, spec.shape).astype(np.int64)
            else:
                ax = spec.unique % len(spec.shape)
                moved = np.moveaxis(np.empty(spec.shape, dtype=np.int64), ax, -1)
                flat = moved.reshape(-1, moved.shape[-1])
                for r in range(flat.shape[0]):
                    flat[r] = rng.permutation(spec.high)[:moved.shape[-1]]
                out[i] = np.moveaxis(flat.reshape(moved.shape), -1, ax)
        elif isinstance(spec, Mask):
            out[i] = rng.random(spec.shape) < 0.5
        elif not isinstance(spec, T):
            out[i] = spec
    return out


def round_through(values: list, sample: tuple, dtype: str) -> list:
    """Float values rounded to ``dtype`` and back to float64 (what every backend sees)."""
    return [v.astype(dtype).astype(np.float64) if isinstance(s, T) else v
            for s, v in zip(sample, values)]


def _view(t: Any, spec: T) -> Any:
    if spec.view == "transposed":
        return t.mT
    if spec.view == "strided":
        return t[..., ::2]
    return t


def build(sample: tuple, values: list, device: str, dtype: str, grad: bool) -> tuple[list, list]:
    """Tensors on ``device``: ``(args for the op, leaves)``; ``leaves[i]`` is the leaf
    tensor of arg ``i`` (``None`` for non-tensor args)."""
    import xgrad
    from xgrad.dtypes import dtype_from_name

    dt = dtype_from_name(dtype)
    args: list = []
    leaves: list = []
    for spec, v in zip(sample, values):
        if isinstance(spec, T):
            leaf = xgrad.tensor(np.asarray(v, dtype=np.float64).astype(dtype), dtype=dt, device=device)
            if grad and spec.grad:
                leaf.requires_grad_(True)
            leaves.append(leaf)
            args.append(_view(leaf, spec))
        elif isinstance(spec, Idx):
            leaf = xgrad.tensor(v, dtype=xgrad.int64, device=device)
            leaves.append(leaf)
            args.append(leaf)
        elif isinstance(spec, Mask):
            leaf = xgrad.tensor(v, dtype=xgrad.bool, device=device)
            leaves.append(leaf)
            args.append(leaf)
        elif isinstance(spec, Const):
            cd = dt if spec.dtype is None else dtype_from_name(spec.dtype)
            leaf = xgrad.tensor(spec.values, dtype=cd, device=device)
            leaves.append(leaf)
            args.append(leaf)
        else:
            leaves.append(None)
            args.append(v)
    return args, leaves


def flat_tensors(out: Any) -> list:
    """Every Tensor in a (nested) op result, in order."""
    import xgrad

    if isinstance(out, xgrad.Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in flat_tensors(o)]
    return []
