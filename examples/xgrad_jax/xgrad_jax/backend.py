"""``JaxBackend``: xgrad's backend contract on JAX arrays.

JAX arrays cannot be written in place (``mutable = False``: the frontend functionalizes views
and in-place ops). The process-global ``jax_enable_x64`` is never touched, so there are no
64-bit types: int64 tensors are stored as int32 (``index_dtype = "int32"``), and there is no
float64. Primitives are ``jax.numpy`` calls (one-call optional ones bound directly, the rest
decomposed by xgrad); random_bits is host Philox4x32-10 (bit-identical words); a few fused
kernels are ``jax.jit`` compiled, so a training step dispatches fewer computations.
"""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import erf as _erf
from jax.scipy.special import erfc as _erfc
from xgrad.backend import CONTRACT_VERSION, Backend, philox_words
from xgrad.dtypes import bfloat16, bool_, float16, float32, int32

__all__ = ["JaxBackend"]

_NATIVE = {float16: jnp.float16, float32: jnp.float32, bfloat16: jnp.bfloat16,
           int32: jnp.int32, bool_: jnp.bool_}
_FROM_NATIVE = {np.dtype(v): k for k, v in _NATIVE.items()}


def _is_int(x) -> bool:
    return x.dtype.kind in "biu"


_log_softmax = jax.jit(lambda x, axis: jax.nn.log_softmax(x, axis=axis), static_argnums=1)
_softmax = jax.jit(lambda x, axis: jax.nn.softmax(x, axis=axis), static_argnums=1)
_logsumexp = jax.jit(lambda x, axes, keep: jax.nn.logsumexp(x, axis=axes, keepdims=keep),
                     static_argnums=(1, 2))
# XLA's tanh rounds to +-1 from |x| ~ 7.9 on, so 1 + tanh(x) loses the tail gelu needs
_tanh = jax.jit(lambda x: jnp.where(jnp.abs(x) > 4, jnp.sign(x) * (1 - 2 / (jnp.exp(2 * jnp.abs(x)) + 1)),
                                    jnp.tanh(x)))
_HI = jax.lax.Precision.HIGHEST
_linear = jax.jit(lambda x, w: jnp.matmul(x, w.T, precision=_HI))
_linear_bias = jax.jit(lambda x, w, b: jnp.matmul(x, w.T, precision=_HI) + b)


@jax.jit
def _cross_entropy(logits, target):
    lsm = jax.nn.log_softmax(logits, axis=1)
    return -jnp.take_along_axis(lsm, target[:, None], axis=1)[:, 0]


@jax.jit
def _cross_entropy_grad(logits, target, g):
    hot = jax.nn.one_hot(target, logits.shape[1], dtype=logits.dtype)
    return (jax.nn.softmax(logits, axis=1) - hot) * g[:, None]


@functools.partial(jax.jit, static_argnames=("decoupled", "amsgrad"))
def _adam(param, g, m, v, max_sq, lr, beta1, beta2, eps, wd, bc1, bc2, decoupled, amsgrad):
    if decoupled:
        param = param * (1 - lr * wd)
    else:
        g = g + wd * param
    m = m * beta1 + g * (1 - beta1)
    v = v * beta2 + g * g * (1 - beta2)
    if amsgrad:
        max_sq = jnp.maximum(max_sq, v)
    denom = jnp.sqrt(max_sq if amsgrad else v) * (1 / jnp.sqrt(bc2)) + eps
    return param - m / denom * (lr / bc1), m, v, max_sq


class JaxBackend(Backend):
    """xgrad primitives on ``jax.Array`` (the default JAX device: CPU, GPU or TPU)."""

    name = "jax"
    contract_version = CONTRACT_VERSION
    dtypes = frozenset(_NATIVE)  # int32 here stands for xgrad's int64 (index_dtype)
    index_dtype = "int32"
    mutable = False
    asynchronous = True
    fused_ops = frozenset({"log_softmax", "softmax", "logsumexp", "sigmoid", "linear",
                           "cross_entropy", "cross_entropy_grad", "adam_step"})

    def __init__(self, index: int | None = None) -> None:
        self.device = "jax" if index is None else f"jax:{index}"

    def synchronize(self, *arrays) -> None:
        jax.block_until_ready(arrays if arrays else jnp.zeros(()))

    # ---- introspection, transfer, creation ----------------------------------------------
    def dtype(self, x):
        try:
            return _FROM_NATIVE[x.dtype]
        except KeyError:
            raise TypeError(f"jax backend: unsupported array dtype {x.dtype}") from None

    def from_numpy(self, a, dtype):
        return jnp.asarray(np.asarray(a).astype(_NATIVE[dtype]))

    def to_numpy(self, x):
        return np.array(x)

    def full(self, shape, value, dtype):
        return jnp.full(shape, value, dtype=_NATIVE[dtype])

    def arange(self, start, stop, step, dtype):  # on the host: numpy's lengths and values
        host = np.float32 if dtype is bfloat16 else _NATIVE[dtype]
        return jnp.asarray(np.arange(start, stop, step, dtype=host).astype(_NATIVE[dtype]))

    def random_bits(self, shape, seed, offset):  # words >= 2**31 read as negative int32
        words = philox_words(np, math.prod(shape), seed, offset).astype(np.uint32)
        return jnp.asarray(words.view(np.int32).reshape(shape))

    # ---- elementwise (the one-call ones are bound below) ---------------------------------
    def floor(self, x):
        return x if _is_int(x) else jnp.floor(x)

    def erf(self, x):  # for |x| > 1, 1 - erfc rounds once, where erf's own f32 is an ulp off
        return jnp.where(jnp.abs(x) > 1, jnp.sign(x) * (1 - _erfc(jnp.abs(x))), _erf(x))

    def tanh(self, x):
        return _tanh(x)

    def sign(self, x):  # + 0 turns jnp.sign's -0.0 into PyTorch's 0.0
        return jnp.sign(x) + 0

    def cast(self, x, dtype):
        return x.astype(_NATIVE[dtype])

    # ---- reductions -----------------------------------------------------------------------
    def sum(self, x, axes, keepdims):
        return jnp.sum(x, axis=axes, keepdims=keepdims, dtype=jnp.int32 if _is_int(x) else None)

    def prod(self, x, axes, keepdims):
        return jnp.prod(x, axis=axes, keepdims=keepdims, dtype=jnp.int32 if _is_int(x) else None)

    def max(self, x, axes, keepdims):
        return jnp.max(x, axis=axes, keepdims=keepdims)

    def min(self, x, axes, keepdims):
        return jnp.min(x, axis=axes, keepdims=keepdims)

    def argmax(self, x, axis, keepdims):
        return jnp.argmax(x, axis=axis, keepdims=keepdims)

    def argmin(self, x, axis, keepdims):
        return jnp.argmin(x, axis=axis, keepdims=keepdims)

    def cumsum(self, x, axis):
        return jnp.cumsum(x, axis=axis, dtype=jnp.int32 if _is_int(x) else None)

    def sort(self, x, axis, descending):
        if descending:  # ascending sort of the reversed axis, reversed back: ties keep order
            n = x.shape[axis]
            idx = (n - 1) - jnp.flip(jnp.argsort(jnp.flip(x, axis), axis=axis, stable=True), axis)
        else:
            idx = jnp.argsort(x, axis=axis, stable=True)
        return jnp.take_along_axis(x, idx, axis=axis), idx

    # ---- movement -------------------------------------------------------------------------
    def reshape(self, x, shape):
        return jnp.reshape(x, shape)

    def permute(self, x, axes):
        return jnp.transpose(x, axes)

    def broadcast_to(self, x, shape):
        return jnp.broadcast_to(x, shape)

    def copy(self, x):
        return jnp.array(x, copy=True)

    def getitem(self, x, index):
        return x[index]

    def index_add(self, x, index, values):
        return x.at[index].add(values)

    def index_put(self, x, index, values):
        return x.at[index].set(values)

    def take_along_axis(self, x, indices, axis):
        return jnp.take_along_axis(x, indices, axis=axis)

    def concatenate(self, xs, axis):
        return jnp.concatenate(list(xs), axis=axis)

    def pad(self, x, widths, value):
        return jnp.pad(x, widths, constant_values=value)

    def matmul(self, a, b):
        return jnp.matmul(a, b, precision=jax.lax.Precision.HIGHEST)

    def assign(self, dst, src):  # immutable: the frontend never asks; a new array if it does
        return jnp.broadcast_to(jnp.asarray(src, dtype=dst.dtype), dst.shape)

    def compile_program(self, program):
        """A captured step (``xgrad.compile``) as one ``jax.jit`` computation. Guard reads (the
        frontend's argument checks) become extra outputs, compared after the run: nothing is
        written before, so a mismatch just returns ``None`` (the step then runs eagerly).
        Steps drawing host random words keep xgrad's replay; so does an untraceable one."""
        if any(op.name == "random_bits" or op.guard is not None and op.name != "to_numpy"
               for op in program.ops):
            return None
        from xgrad.compile.program import Dyn, Seq, Slot, interpret, same_host_value

        guards = [op.guard for op in program.ops if op.guard is not None]

        def walk(inputs, dynamic):
            bufs, dyn, reads = dict(zip(program.inputs, inputs)), dict(zip(
                (d.key for d in program.dynamic), dynamic)), []

            def arg(a):
                t = type(a)
                return bufs[a.n] if t is Slot else a.kind(arg(x) for x in a.items) if t is Seq \
                    else dyn[a.key] if t is Dyn else a
            for op in program.ops:
                args = [arg(a) for a in op.args]
                if op.guard is not None:
                    reads.append(args[0])
                    continue
                out = op.fn(*args)
                for n, v in ((op.outs, out),) if op.seq is None else zip(op.outs, out):
                    if n is not None:
                        bufs[n] = v
            return [bufs[n] for n in program.outputs], reads

        jitted, untraceable = jax.jit(walk), []

        def run(inputs, dynamic):
            if not untraceable:
                try:
                    outs, reads = jitted(list(inputs), list(dynamic))
                except (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError):
                    untraceable.append(True)  # a kernel needs concrete values: replay eagerly
                else:
                    ok = all(same_host_value(self.to_numpy(r), g) for r, g in zip(reads, guards))
                    return outs if ok else None
            return interpret(program, inputs, dynamic)
        return run

    # ---- fused kernels (each one compiled computation) -----------------------------------
    def log_softmax(self, x, axis):
        return _log_softmax(x, axis)

    def softmax(self, x, axis):
        return _softmax(x, axis)

    def logsumexp(self, x, axes, keepdims):
        return _logsumexp(x, axes, keepdims)

    def sigmoid(self, x):
        return jax.nn.sigmoid(x)

    def linear(self, x, w, b):
        return _linear(x, w) if b is None else _linear_bias(x, w, b)

    def cross_entropy(self, logits, target):
        return _cross_entropy(logits, target)

    def cross_entropy_grad(self, logits, target, g):
        return _cross_entropy_grad(logits, target, g)

    def adam_step(self, param, grad, exp_avg, exp_avg_sq, max_sq, step, lr, beta1, beta2, eps,
                  weight_decay, decoupled, amsgrad, maximize):
        return _adam(param, -grad if maximize else grad, exp_avg, exp_avg_sq, max_sq, lr, beta1,
                     beta2, eps, weight_decay, 1 - beta1 ** step, 1 - beta2 ** step,
                     decoupled=bool(decoupled) or not weight_decay, amsgrad=bool(amsgrad))


# primitives that are exactly one jax.numpy function
for _name, _fn in {
    "add": jnp.add, "sub": jnp.subtract, "mul": jnp.multiply, "div": jnp.true_divide,
    "floordiv": jnp.floor_divide, "remainder": jnp.remainder, "pow": jnp.power,
    "atan2": jnp.arctan2, "maximum": jnp.maximum, "minimum": jnp.minimum, "neg": jnp.negative,
    "exp": jnp.exp, "log": jnp.log, "log1p": jnp.log1p, "expm1": jnp.expm1, "sin": jnp.sin,
    "cos": jnp.cos, "sqrt": jnp.sqrt, "abs": jnp.abs,
    "isnan": jnp.isnan, "isinf": jnp.isinf, "where": jnp.where, "eq": jnp.equal,
    "ne": jnp.not_equal, "lt": jnp.less, "le": jnp.less_equal, "gt": jnp.greater,
    "ge": jnp.greater_equal, "logical_and": jnp.logical_and, "logical_or": jnp.logical_or,
    "logical_xor": jnp.logical_xor, "logical_not": jnp.logical_not,
}.items():
    setattr(JaxBackend, _name, staticmethod(_fn))
