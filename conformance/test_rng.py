"""RNG contract: one ``xgrad.manual_seed`` gives the same random tensors on every backend
(bit-identical integers and uniform floats, normal floats equal within rounding), checked
against the reference backend."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import xgrad
from xgrad.conformance.checks import ConformanceFailure
from xgrad.conformance.sampling import seed_for
from xgrad.conformance.selection import selection

#: kind -> (dtype it draws, the draw as an expression of ``dev``, bit-identical?)
KINDS: dict[str, tuple[str, str, bool]] = {
    "random_bits": ("int64", "xgrad.randint(0, 2 ** 32, (3, 5), device=dev)", True),
    "randint": ("int64", "xgrad.randint(-7, 11, (4, 6), device=dev)", True),
    "randint.wide": ("int64", "xgrad.randint(0, 2 ** 40, (7,), device=dev)", True),
    "randint.large": ("int64", "xgrad.randint(5, 2 ** 30 + 2, (3, 5), device=dev)", True),
    "randperm": ("int64", "xgrad.randperm(23, device=dev)", True),
    "rand.float32": ("float32", "xgrad.rand(5, 3, dtype=xgrad.float32, device=dev)", True),
    "rand.float64": ("float64", "xgrad.rand(5, 3, dtype=xgrad.float64, device=dev)", True),
    "rand.float16": ("float16", "xgrad.rand(5, 3, dtype=xgrad.float16, device=dev)", True),
    "randn.float32": ("float32", "xgrad.randn(4, 5, dtype=xgrad.float32, device=dev)", False),
    "randn.float64": ("float64", "xgrad.randn(4, 5, dtype=xgrad.float64, device=dev)", False),
    "bernoulli": ("float32", "xgrad.bernoulli(xgrad.full((3, 4), 0.3, device=dev))", True),
}
#: kinds whose values need more than 31 bits: an int32-index backend refuses them
WIDE_KINDS = frozenset({"random_bits", "randint.wide"})
#: fused draw -> the kinds that run it on a backend that has it; the reference backend has
#: neither, so comparing with it checks the fused kernel against the decomposition
FUSED_KINDS: dict[str, tuple[str, ...]] = {
    "random_uniform": ("rand.float32", "rand.float64", "rand.float16", "bernoulli"),
    "random_normal": ("randn.float32", "randn.float64"),
}
_RTOL = {"float16": 1e-3, "float32": 1e-6, "float64": 1e-13}
#: ``random_bits`` calls checked directly, word for word: (shape, seed, offset). Offsets
#: that are not multiples of 4, counters that cross 2**32 (the high counter word), huge
#: offsets and keys wider than 32 bits; the frontend alone only reaches a few of these.
COUNTER_CALLS: tuple[tuple[tuple, int, int], ...] = (
    ((7,), 1, 0), ((7,), 1, 1), ((6,), 1, 2), ((5,), 1, 3), ((2, 3), 5, 13),
    ((16,), 7, 4 * 2 ** 32 - 6), ((9,), 2 ** 40 + 11, 4 * 2 ** 32 + 1),
    ((5,), 3, 2 ** 34 - 2), ((4, 2), 2 ** 63 - 25, 2 ** 60 + 3), ((1,), 0, 2 ** 62 - 1),
)


def pytest_generate_tests(metafunc: Any) -> None:
    if "xgrad_item" in metafunc.fixturenames:
        sel = selection(metafunc.config)
        params = []
        for be in sel.backends:
            backend = xgrad.backends.get_backend(be)
            have = {d.name for d in backend.dtypes}
            for kind, (dt, _, _) in KINDS.items():
                if dt.startswith("float") and dt not in sel.dtypes:
                    continue
                marks = [] if dt in have else [pytest.mark.skip(reason=f"backend {be!r} has no {dt}")]
                if kind in WIDE_KINDS and backend.index_dtype == "int32":
                    marks = [pytest.mark.skip(reason=f"backend {be!r} stores int64 as int32 "
                                              "(index_dtype='int32'): values need 32+ bits")]
                params.append(pytest.param((be, dt, "rng." + kind), id=f"{be}-{dt}-rng.{kind}",
                                           marks=marks))
        metafunc.parametrize("xgrad_item", params)
    if "xgrad_counter" in metafunc.fixturenames:
        sel = selection(metafunc.config)
        metafunc.parametrize("xgrad_counter", [
            pytest.param((be, "int64", "rng.random_bits.counters"),
                         id=f"{be}-int64-rng.random_bits.counters") for be in sel.backends])


def _draws(kind: str, device: str) -> list[np.ndarray]:
    xgrad.manual_seed(seed_for("rng", kind))
    draw = eval(f"lambda dev: {KINDS[kind][1]}", {"xgrad": xgrad})  # noqa: S307
    return [np.asarray(draw(device).numpy()) for _ in range(2)]


def test_rng(xgrad_item: tuple) -> None:
    """Same seed, same numbers as the reference backend (two consecutive draws)."""
    backend, dtype, op = xgrad_item
    kind = op[len("rng."):]
    state = xgrad.random.default_generator.get_state()
    try:
        got, want = _draws(kind, backend), _draws(kind, "reference")
    finally:
        xgrad.random.default_generator.set_state(state)
    exact = KINDS[kind][2]
    for n, (g, w) in enumerate(zip(got, want)):
        if g.shape != w.shape or g.dtype != w.dtype:
            raise ConformanceFailure(
                f"{kind} draw {n}: backend {backend!r} gives {g.dtype}{list(g.shape)}, the "
                f"reference {w.dtype}{list(w.shape)}")
        bad = (g != w) if exact else ~np.isclose(g, w, rtol=_RTOL[dtype], atol=_RTOL[dtype])
        if bad.any():
            seed = seed_for("rng", kind)
            want_text = "bit-identical" if exact else f"rtol=atol={_RTOL[dtype]}"
            raise ConformanceFailure(
                f"{kind} draw {n} after xgrad.manual_seed({seed}) differs from the reference "
                f"backend in {int(bad.sum())} of {bad.size} elements ({want_text} expected):\n"
                f"  got:  {g.reshape(-1)[:12]}\n  want: {w.reshape(-1)[:12]}\n"
                "\n--- reproducer ---\nimport xgrad\n"
                f"for dev in ({backend!r}, 'reference'):\n"
                f"    xgrad.manual_seed({seed})\n"
                f"    print(dev, [{KINDS[kind][1]}.numpy() for _ in range(2)])\n"
                "--- end reproducer ---")


def test_rng_counters(xgrad_counter: tuple) -> None:
    """``random_bits`` word for word at unaligned, huge and 2**32-crossing counters."""
    backend, _, _ = xgrad_counter
    be = xgrad.backends.get_backend(backend)
    ref = xgrad.backends.get_backend("reference")
    for shape, seed, offset in COUNTER_CALLS:
        got = np.asarray(be.to_numpy(be.random_bits(shape, seed, offset)))
        want = np.asarray(ref.to_numpy(ref.random_bits(shape, seed, offset)))
        if be.index_dtype == "int32":  # words of 2**31 or more are held as negative int32
            got = got.astype(np.int64) % (1 << 32)
        if got.shape != want.shape or got.dtype != want.dtype or (got != want).any():
            raise ConformanceFailure(
                f"random_bits(shape={shape}, seed={seed}, offset={offset}) on {backend!r} "
                f"differs from the reference backend (bit-identical words expected):\n"
                f"  got:  {got.dtype}{list(got.shape)} {got.reshape(-1)[:12]}\n"
                f"  want: {want.dtype}{list(want.shape)} {want.reshape(-1)[:12]}\n"
                "\n--- reproducer ---\nimport xgrad\n"
                f"for dev in ({backend!r}, 'reference'):\n"
                "    be = xgrad.backends.get_backend(dev)\n"
                f"    print(dev, be.to_numpy(be.random_bits({shape}, {seed}, {offset})))\n"
                "--- end reproducer ---")
