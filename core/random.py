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
from .backend import Backend
from .device import device_cls, resolve
from .dtypes import dtype_from_name, float16, float32, float64, get_default_dtype, int64
from .ops.fusion import use_fused
from .shapes import broadcast_shapes, need_type, new_sizes
from .tensor import Tensor, from_data, wrap

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "default_generator", "get_rng_state",
           "set_rng_state", "rand", "randn",
           "randint", "randperm", "rand_like", "randn_like", "randint_like", "bernoulli",
           "multinomial", "normal", "uniform_", "normal_"]


_DEFAULT_SEED = 67280421310721
_U64 = 0xFFFFFFFFFFFFFFFF


def _seed_value(seed: Any, who: str) -> int:
    """``seed`` as an unsigned 64-bit value (negative seeds wrap, as PyTorch)."""
    if isinstance(seed, Tensor):
        seed = seed.item()
    if isinstance(seed, (bool, int)) or hasattr(seed, "__index__") and not isinstance(seed, float):
        value = int(seed.__index__()) if not isinstance(seed, int) else int(seed)
    else:
        raise RuntimeError(f"{who} expected a long, but got {type(seed).__name__}")
    if not -(1 << 63) <= value <= _U64:
        raise ValueError("Overflow when unpacking long long")
    return value & _U64


class Generator:
    """A random stream, as ``torch.Generator``: a 64-bit seed and the count of Philox words
    drawn so far (the offset). Two generators seeded alike give the same numbers on every
    backend, and drawing from one never moves the default (global) generator."""

    def __init__(self, device: Any = "cpu") -> None:
        if device is not None and not isinstance(device, (str, device_cls, Backend)):
            raise TypeError(f"Generator(): argument 'device' must be a device or str, not "
                            f"{type(device).__name__}")
        # resolved on first use: the default generator is made at import, and resolving a
        # device there would load every plugin during ``import xgrad``
        self._device_spec = "cpu" if device is None else device
        self._device: device_cls | None = None
        self._seed = _DEFAULT_SEED
        self._offset = 0

    @property
    def device(self) -> device_cls:
        """The device the generator is for (streams are backend-independent; this is
        recorded, as PyTorch reports it)."""
        if self._device is None:
            self._device = device_cls(self._device_spec)
        return self._device

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from ``seed`` (an int; negative values wrap to 64 bits)."""
        self._seed = _seed_value(seed, "manual_seed")
        self._offset = 0
        return self

    def seed(self) -> int:
        """Seed from the OS's entropy and return the seed."""
        s = int.from_bytes(os.urandom(8), "little") & ((1 << 63) - 1)
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        """The seed the stream started from."""
        return self._seed

    def get_offset(self) -> int:
        """How many 32-bit words the stream has used since it was seeded."""
        return self._offset

    def set_offset(self, offset: int) -> Generator:
        """Jump to word ``offset`` of the current seed's stream."""
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise RuntimeError(f"set_offset expects a non-negative int, but got {offset!r}")
        self._offset = int(offset)
        return self

    def get_state(self) -> Tensor:
        """The state as an int64 tensor ``[seed >> 32, seed & 0xffffffff, offset]``, on the
        CPU; :meth:`set_state` resumes from it (PyTorch's state is an opaque byte tensor)."""
        return from_data([self._seed >> 32, self._seed & 0xFFFFFFFF, self._offset], int64, "cpu")

    def set_state(self, new_state: Tensor) -> Generator:
        """Resume from a state returned by :meth:`get_state`."""
        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a xgrad.Tensor (the state from Generator.get_state()), "
                            f"but got {type(new_state).__name__}")
        if new_state.dtype is not int64 or new_state.shape != (3,):
            raise RuntimeError(f"Expected a Generator state: an int64 tensor of 3 elements, but "
                               f"found a {new_state.dtype.name} tensor of shape "
                               f"{list(new_state.shape)}")
        hi, lo, off = (int(v) for v in new_state.tolist())
        if not (0 <= hi < 1 << 32 and 0 <= lo < 1 << 32 and off >= 0):
            raise RuntimeError(f"invalid Generator state {[hi, lo, off]}: expected seed halves in "
                               "[0, 2**32) and a non-negative offset")
        self._seed, self._offset = (hi << 32) | lo, off
        return self

    def clone_state(self) -> Generator:
        """A new generator at the same point of the same stream."""
        g = Generator(self.device)
        g._seed, g._offset = self._seed, self._offset
        return g

    def bits(self, be: Any, shape: tuple, kernel: str = "random_bits", words: int | None = None,
             params: tuple = ()) -> Tensor:
        """An int64 tensor of fresh 32-bit random words; with ``kernel``, the backend's fused
        draw of that name (``random_uniform``, ``random_normal``), which reads ``words`` words
        from this generator's stream. Either way the counter moves past the words read."""
        n = math.prod(shape) if words is None else words
        out = wrap(getattr(be, kernel)(tuple(shape), self._seed, self._offset, *params), be)
        self._offset += (n + 3) // 4 * 4
        return out


def _num(v: Any) -> str:
    """A number as PyTorch's C++ messages print it (``-1`` for -1.0, ``0.5``)."""
    return f"{float(v):g}" if isinstance(v, float) else str(v)


def _gen(generator: Any, fn: str) -> Generator:
    """``generator``, or the default generator when None; anything else is refused."""
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"{fn}(): argument 'generator' must be xgrad.Generator, not "
                        f"{type(generator).__name__}")
    return generator


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (the same numbers on every backend); returns it."""
    return default_generator.manual_seed(int(seed))


def seed() -> int:
    """Seed the default generator non-deterministically."""
    return default_generator.seed()


def initial_seed() -> int:
    """The default generator's seed."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The default generator's state (see :meth:`Generator.get_state`)."""
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    """Resume the default generator from :func:`get_rng_state`'s value."""
    default_generator.set_state(new_state)


def _size(size: tuple, fn: str = "rand") -> tuple:
    return new_sizes(fn, size)  # a negative size would move the generator's offset back


def _uniform_words(shape: tuple, dtype: Any) -> int:
    """The random words one uniform draw of ``shape`` in ``dtype`` reads, rounded up as the
    generator's counter moves (a multiple of 4)."""
    n = math.prod(shape) * (2 if dtype is float64 else 1)
    return (n + 3) // 4 * 4


def _uniform01(be: Any, shape: tuple, dtype: Any, gen: Generator) -> Tensor:
    """Uniform in [0, 1): 24 random bits for float32/16, 53 for float64 (exact arithmetic)."""
    if use_fused(be, "random_uniform"):
        return gen.bits(be, shape, "random_uniform", _uniform_words(shape, dtype), (dtype,))
    if dtype is float64:
        w = gen.bits(be, (2,) + tuple(shape))
        if be.index_dtype == "int32":  # 53 bits do not fit int32: combine them in float64
            hi, lo = _word_shift(w[0], 6), _word_shift(w[1], 5)
            return (hi.to(float64) * 134217728.0 + lo.to(float64)) * (2.0 ** -53)
        hi, lo = w[0] // 64, w[1] // 32
        return (hi * 134217728 + lo).to(float64) * (2.0 ** -53)
    w = gen.bits(be, tuple(shape))
    if dtype is float16:  # 11 bits fit float16 exactly, so no value rounds up to 1.0
        return (_word_shift(w, 21).to(float32) * (2.0 ** -11)).to(dtype)
    u = _word_shift(w, 8).to(float32) * (2.0 ** -24)
    return u.to(dtype)


def _word_shift(w: Tensor, k: int) -> Tensor:
    """The 32-bit random words ``w`` shifted right by ``k`` bits. An int32-index backend holds
    a word of 2**31 or more as a negative int32 (two's complement): floor division by 2**k
    gives the shifted word minus 2**(32 - k) there, so that is added back."""
    out = w // (1 << k)
    if w._backend.index_dtype == "int32":
        out = out + (w < 0).to(int64) * (1 << (32 - k))
    return out


def _words_mod(w: Tensor, span: int) -> Tensor:
    """The 32-bit random words ``w`` modulo ``span`` (``span <= 2**30`` on an int32-index
    backend, whose words of 2**31 or more read as ``word - 2**32``)."""
    if w._backend.index_dtype != "int32":
        return w % span
    return (w % span + (w < 0).to(int64) * ((1 << 32) % span)) % span


def _word_order(w: Tensor) -> Tensor:
    """Keys that sort like the unsigned 32-bit words ``w`` (the words themselves, unless an
    int32-index backend holds them signed: then they are moved to ``word - 2**31``)."""
    if w._backend.index_dtype != "int32":
        return w
    return (w + (1 << 30) + (1 << 30)).where(w < 0, w + -(1 << 31))


def _float_dtype(dtype: Any) -> Any:
    dt = get_default_dtype() if dtype is None else dtype_from_name(dtype)
    if not dt.is_floating_point:
        raise RuntimeError(f"expected a floating point dtype for random floats, got {dt.name}")
    return dt


def rand(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1)."""
    gen = _gen(generator, "rand")
    be = resolve(device)
    shape = _size(size)  # the size's TypeError before the dtype's, as PyTorch
    t = _uniform01(be, shape, _float_dtype(dtype), gen)
    return t.requires_grad_(True) if requires_grad else t


def randn(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples (Box-Muller over two uniform streams)."""
    gen = _gen(generator, "randn")
    be = resolve(device)
    shape = _size(size, "randn")
    dt = _float_dtype(dtype)
    wide = float64 if float64 in be.dtypes else float32
    # The words drawn depend on the output dtype only, so every backend consumes the same
    # stream; the transform then runs in the widest float the backend has.
    bits = float64 if dt is float64 else float32
    if use_fused(be, "random_normal"):
        z = gen.bits(be, shape, "random_normal", 2 * _uniform_words(shape, bits), (dt, wide))
        return z.requires_grad_(True) if requires_grad else z
    u1 = 1.0 - _uniform01(be, shape, bits, gen).to(wide)  # (0, 1]
    u2 = _uniform01(be, shape, bits, gen).to(wide)
    z = ((u1.log() * -2.0).sqrt() * (u2 * (2 * math.pi)).cos()).to(dt)
    return z.requires_grad_(True) if requires_grad else z


def _words_below(be: Any, shape: tuple, span: int, gen: Generator) -> Tensor:
    """int64 integers in ``[0, span)``: one 32-bit word each when ``span <= 2**32``, else two."""
    if span <= 2 ** 32:
        return _words_mod(gen.bits(be, shape), span)
    w2 = gen.bits(be, (2,) + shape)
    w = (w2[0] // 2) * 4294967296 + w2[1]  # 63 random bits: [0, 2**63)
    return w if span >= 2 ** 63 else w % span


def randint(low: int, high: int | None = None, size: Any = None, *,
            generator: Generator | None = None, dtype: Any = None, device: Any = None,
            requires_grad: bool = False) -> Tensor:
    """Integers uniform in ``[low, high)``: ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint() missing required argument 'size'")
    if high is None:
        low, high = 0, low
    for v in (low, high):  # argument types first, as PyTorch's parser
        if isinstance(v, float) or not hasattr(v, "__index__"):
            raise TypeError(f"randint(): arguments 'low' and 'high' must be int, got "
                            f"({type(low).__name__}, {type(high).__name__})")
    shape = _size((size,), "randint")
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    gen = _gen(generator, "randint")
    be = resolve(device)
    if be.index_dtype == "int32" and not (-(1 << 31) <= low and high <= 1 << 31
                                          and high - low <= 1 << 30):
        raise RuntimeError(f"randint: backend {be.name!r} stores int64 as int32 (index_dtype="
                           f"'int32'), so [low, high) must lie in [-2**31, 2**31) and span at "
                           f"most 2**30 values, but got low={low}, high={high}")
    out = _words_below(be, shape, int(high) - int(low), gen) + int(low)
    out = out.to(dtype) if dtype is not None else out
    return out.requires_grad_(True) if requires_grad else out


def randperm(n: int, *, generator: Generator | None = None, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """A random permutation of ``0..n-1``."""
    if isinstance(n, bool):
        raise TypeError("randperm(): argument 'n' (position 1) must be int, not bool")
    if not isinstance(n, int):
        try:
            n = int(n.__index__())
        except (AttributeError, TypeError):
            raise TypeError(f"randperm(): argument 'n' must be int, not {type(n).__name__}") from None
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    if n * 8 >= 2 ** 63:  # int64 storage in bytes, as PyTorch computes it
        raise RuntimeError(f"Storage size calculation overflowed with sizes=[{n}]")
    gen = _gen(generator, "randperm")
    be = resolve(device)
    (n,) = _size((n,), "randperm")
    keys = _word_order(gen.bits(be, (n,)))
    perm = keys.argsort(stable=True)
    perm = perm.to(dtype) if dtype is not None else perm
    return perm.requires_grad_(True) if requires_grad else perm


def rand_like(input: Tensor, *, generator: Generator | None = None, dtype: Any = None,
              device: Any = None, requires_grad: bool = False, **_layout: Any) -> Tensor:
    """Uniform samples with ``input``'s shape, dtype and device."""
    need_type("rand_like", "input", input, Tensor)
    return rand(input._data.shape, generator=generator, dtype=dtype or input.dtype,
                device=device or input._backend, requires_grad=requires_grad)


def randn_like(input: Tensor, *, generator: Generator | None = None, dtype: Any = None,
               device: Any = None, requires_grad: bool = False, **_layout: Any) -> Tensor:
    """Normal samples with ``input``'s shape, dtype and device."""
    need_type("randn_like", "input", input, Tensor)
    return randn(input._data.shape, generator=generator, dtype=dtype or input.dtype,
                 device=device or input._backend, requires_grad=requires_grad)


def randint_like(input: Tensor, low: int, high: int | None = None, *,
                 generator: Generator | None = None, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False, **_layout: Any) -> Tensor:
    """Integers in ``[low, high)`` (or ``[0, low)``) with ``input``'s shape, dtype and device."""
    if high is None:
        low, high = 0, low
    return randint(low, high, input._data.shape, generator=generator, dtype=dtype or input.dtype,
                   device=device or input._backend, requires_grad=requires_grad)


def bernoulli(input: Tensor, p: float | None = None, *,
              generator: Generator | None = None) -> Tensor:
    """1 with probability ``input`` (elementwise; or with the scalar ``p`` for every element of
    ``input``'s shape), else 0, in ``input``'s dtype."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    gen = _gen(generator, "bernoulli")
    if p is None:
        if not input.dtype.is_floating_point:
            name = _TORCH_DTYPE_NAMES.get(input.dtype.name, input.dtype.name)
            raise NotImplementedError(f'"bernoulli_tensor_cpu_p_" not implemented for \'{name}\'')
        prob = input.detach()
        if prob.numel() and not bool(((prob >= 0) & (prob <= 1)).all().item()):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  "
                               "(Could this error message be improved?  If so, please report an "
                               "enhancement request to PyTorch.)")
    else:
        if not 0 <= float(p) <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
        prob = float(p)
    wide = input.dtype if input.dtype.is_floating_point else float32
    u = _uniform01(input._backend, input._data.shape, wide, gen)
    return (u < prob).to(input.dtype)


def normal(mean: Any, std: Any = 1.0, size: Any = None, *, generator: Generator | None = None,
           dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Normal samples with the given mean and std (tensors broadcast, or floats with ``size``)."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        if isinstance(std, Tensor):
            if std.numel() and bool((std < 0).any().item()):
                raise RuntimeError("normal expects all elements of std >= 0.0")
        elif std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_num(std)}")
        shape = broadcast_shapes(*(x._data.shape for x in (mean, std) if isinstance(x, Tensor)))
        z = randn(shape, generator=generator, dtype=ref.dtype, device=ref._backend)
        return (z * std + mean).detach()
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_num(std)}")
    if size is None:
        raise TypeError("normal() received an invalid combination of arguments: with float mean "
                        "and std, 'size' is required")
    out = randn(_size((size,), "normal"), generator=generator, dtype=dtype, device=device) * std + mean
    return out.requires_grad_(True) if requires_grad else out


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    """Fill ``t`` in place with samples from U(a, b) (untracked, as ``nn.init`` does)."""
    with no_grad():
        u = _uniform01(t._backend, t._data.shape, t.dtype, _gen(generator, "uniform_"))
        return t.copy_(u * (b - a) + a)


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0, *,
            generator: Generator | None = None) -> Tensor:
    """Fill ``t`` in place with samples from N(mean, std^2) (untracked)."""
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
    gen = _gen(generator, "multinomial")
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
