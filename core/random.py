"""Random tensors from a counter-based generator (Philox4x32-10).

Every backend produces the same 32-bit words for a seed (``Backend.random_bits``), and the
transformations below are exact integer arithmetic (uniform) or one elementwise formula
(normal), so one seed gives bit-identical integers and equal-within-rounding floats on
every backend.
"""
from __future__ import annotations

import math
import os
from typing import Any

from .autograd.grad_mode import no_grad
from .device import resolve
from .dtypes import dtype_from_name, float16, float32, float64, get_default_dtype, int64
from .shapes import new_sizes
from .tensor import Tensor, wrap

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "default_generator", "rand", "randn",
           "randint", "randperm", "rand_like", "randn_like", "randint_like", "bernoulli",
           "multinomial", "normal", "uniform_", "normal_"]


class Generator:
    """A random stream: a seed and a counter of words drawn so far."""

    def __init__(self, device: Any = None) -> None:
        self._seed = 67280421310721
        self._offset = 0

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from ``seed``."""
        self._seed = int(seed) & 0xFFFFFFFFFFFFFFFF
        self._offset = 0
        return self

    def seed(self) -> int:
        """Seed from the OS's entropy and return it."""
        s = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        """The seed the stream started from."""
        return self._seed

    def get_state(self) -> tuple[int, int]:
        """``(seed, offset)``: enough to resume the stream."""
        return (self._seed, self._offset)

    def set_state(self, state: tuple[int, int]) -> None:
        """Resume from a state returned by :meth:`get_state`."""
        self._seed, self._offset = int(state[0]), int(state[1])

    def bits(self, be: Any, shape: tuple) -> Tensor:
        """An int64 tensor of fresh 32-bit random words."""
        n = math.prod(shape)
        out = wrap(be.random_bits(tuple(shape), self._seed, self._offset), be)
        self._offset += (n + 3) // 4 * 4
        return out


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (the same numbers on every backend)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator non-deterministically."""
    return default_generator.seed()


def initial_seed() -> int:
    """The default generator's seed."""
    return default_generator.initial_seed()


def _size(size: tuple, fn: str = "rand") -> tuple:
    return new_sizes(fn, size)  # a negative size would move the generator's offset back


def _uniform01(be: Any, shape: tuple, dtype: Any, gen: Generator) -> Tensor:
    """Uniform in [0, 1): 24 random bits for float32/16, 53 for float64 (exact arithmetic)."""
    if dtype is float64:
        w = gen.bits(be, (2,) + tuple(shape))
        hi, lo = w[0] // 64, w[1] // 32
        return (hi * 134217728 + lo).to(float64) * (2.0 ** -53)
    w = gen.bits(be, tuple(shape))
    if dtype is float16:  # 11 bits fit float16 exactly, so no value rounds up to 1.0
        return ((w // 2097152).to(float32) * (2.0 ** -11)).to(dtype)
    u = (w // 256).to(float32) * (2.0 ** -24)
    return u.to(dtype)


def _float_dtype(dtype: Any) -> Any:
    dt = get_default_dtype() if dtype is None else dtype_from_name(dtype)
    if not dt.is_floating_point:
        raise RuntimeError(f"expected a floating point dtype for random floats, got {dt.name}")
    return dt


def rand(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1)."""
    be = resolve(device)
    t = _uniform01(be, _size(size), _float_dtype(dtype), generator or default_generator)
    return t.requires_grad_(True) if requires_grad else t


def randn(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples (Box-Muller over two uniform streams)."""
    be = resolve(device)
    dt = _float_dtype(dtype)
    shape = _size(size, "randn")
    wide = float64 if float64 in be.dtypes else float32
    gen = generator or default_generator
    # The words drawn depend on the output dtype only, so every backend consumes the same
    # stream; the transform then runs in the widest float the backend has.
    bits = float64 if dt is float64 else float32
    u1 = 1.0 - _uniform01(be, shape, bits, gen).to(wide)  # (0, 1]
    u2 = _uniform01(be, shape, bits, gen).to(wide)
    z = ((u1.log() * -2.0).sqrt() * (u2 * (2 * math.pi)).cos()).to(dt)
    return z.requires_grad_(True) if requires_grad else z


def randint(low: int, high: int | None = None, size: Any = None, *,
            generator: Generator | None = None, dtype: Any = None, device: Any = None) -> Tensor:
    """Integers uniform in ``[low, high)``: ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint() missing required argument 'size'")
    if high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    be = resolve(device)
    gen = generator or default_generator
    shape = _size((size,), "randint")
    span = int(high) - int(low)
    if span <= 2 ** 32:
        w = gen.bits(be, shape)
    else:
        w2 = gen.bits(be, (2,) + shape)
        w = w2[0] * 4294967296 + w2[1]
        w = w.abs()
    out = (w % span) + int(low)
    return out.to(dtype) if dtype is not None else out


def randperm(n: int, *, generator: Generator | None = None, dtype: Any = None,
             device: Any = None) -> Tensor:
    """A random permutation of ``0..n-1``."""
    be = resolve(device)
    (n,) = _size((n,), "randperm")
    keys = (generator or default_generator).bits(be, (n,))
    perm = keys.argsort(stable=True)
    return perm.to(dtype) if dtype is not None else perm


def rand_like(t: Tensor, *, dtype: Any = None, device: Any = None) -> Tensor:
    """Uniform samples with ``t``'s shape, dtype and device."""
    return rand(t._data.shape, dtype=dtype or t.dtype, device=device or t._backend)


def randn_like(t: Tensor, *, dtype: Any = None, device: Any = None) -> Tensor:
    """Normal samples with ``t``'s shape, dtype and device."""
    return randn(t._data.shape, dtype=dtype or t.dtype, device=device or t._backend)


def randint_like(t: Tensor, low: int, high: int | None = None, *, dtype: Any = None) -> Tensor:
    """Integers with ``t``'s shape."""
    if high is None:
        low, high = 0, low
    return randint(low, high, t._data.shape, dtype=dtype or t.dtype, device=t._backend)


def bernoulli(p: Tensor, *, generator: Generator | None = None) -> Tensor:
    """1 with probability ``p`` (elementwise), else 0."""
    u = _uniform01(p._backend, p._data.shape, p.dtype, generator or default_generator)
    return (u < p).to(p.dtype)


def normal(mean: Any, std: Any = 1.0, size: Any = None, *, generator: Generator | None = None,
           dtype: Any = None, device: Any = None) -> Tensor:
    """Normal samples with the given mean and std (tensors broadcast, or floats with ``size``)."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        shape = ref._data.shape
        z = randn(shape, generator=generator, dtype=ref.dtype, device=ref._backend)
        return z * std + mean
    return randn(_size((size,), "normal"), generator=generator, dtype=dtype, device=device) * std + mean


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    """Fill ``t`` in place with samples from U(a, b)."""
    with no_grad():
        u = _uniform01(t._backend, t._data.shape, t.dtype, generator or default_generator)
        return t.copy_(u * (b - a) + a)


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0, *,
            generator: Generator | None = None) -> Tensor:
    """Fill ``t`` in place with samples from N(mean, std^2)."""
    with no_grad():
        z = randn(t._data.shape, generator=generator, dtype=t.dtype, device=t._backend)
        return t.copy_(z * std + mean)


_MULTINOMIAL_CHUNK = 1 << 22

#: PyTorch's names for dtypes in its error messages.
_TORCH_DTYPE_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                      "uint8": "Byte", "bool": "Bool", "float32": "Float", "float64": "Double",
                      "float16": "Half"}


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None) -> Tensor:
    """Sample category indices from the unnormalised probabilities in the last dimension of
    ``input`` (1-D: one distribution; 2-D: one per row), as an int64 tensor of shape
    ``(num_samples,)`` or ``(rows, num_samples)``.

    With ``replacement`` each draw inverts the cumulative distribution at a uniform sample.
    Without it, each category races an exponential clock of rate ``p`` and the first
    ``num_samples`` to fire are taken, which is sequential sampling without replacement;
    zero-probability categories fire only after every positive one.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    nd = input.ndim
    if nd not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        name = _TORCH_DTYPE_NAMES.get(input.dtype.name, input.dtype.name)
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {name}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, int):
        try:
            num_samples = int(num_samples.__index__())
        except (AttributeError, TypeError):
            raise TypeError(f"multinomial(): argument 'num_samples' must be int, not "
                            f"{type(num_samples).__name__}") from None
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    k = input.shape[-1]
    if not replacement and num_samples > k:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    be = input._backend
    gen = generator or default_generator
    wide = float64 if float64 in be.dtypes else float32
    with no_grad():
        p = input.detach().to(wide)
        if p.numel() and not bool(((p >= 0) & p.isfinite()).all().item()):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        p2 = p.reshape(1, k) if nd == 1 else p
        rows = p2.shape[0]
        total = p2.sum(-1, keepdim=True)
        if rows and not bool((total > 0).all().item()):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if replacement:
            cdf = (p2.cumsum(-1) / total).unsqueeze(1)  # the last entry is exactly 1
            u = _uniform01(be, (rows, num_samples), wide, gen).unsqueeze(2)
            # index = how many cdf entries are <= u, counted over chunks of categories so the
            # comparison holds at most ~_MULTINOMIAL_CHUNK elements at a time
            step = max(1, _MULTINOMIAL_CHUNK // max(1, rows * num_samples))
            out = None
            for j in range(0, k, step):
                part = (cdf[:, :, j:j + step] <= u).to(int64).sum(-1)
                out = part if out is None else out + part
            out = out.clamp(max=k - 1)
        else:
            e = -(1.0 - _uniform01(be, (rows, k), wide, gen)).log()  # Exp(1) in [0, inf)
            positive = p2 > 0
            clock = (e / p2.where(positive, 1.0)).where(positive, math.inf)
            out = clock.argsort(dim=-1, stable=True)[:, :num_samples]
        return out.reshape(num_samples) if nd == 1 else out


def _multinomial_method(self: Tensor, num_samples: int, replacement: bool = False, *,
                        generator: Generator | None = None) -> Tensor:
    return multinomial(self, num_samples, replacement, generator=generator)


_multinomial_method.__doc__ = multinomial.__doc__
_multinomial_method.__name__ = "multinomial"
# Random sampling has no op-table row (no value to check a backend against), so its
# Tensor method is bound here, next to the sampler.
Tensor.multinomial = _multinomial_method
