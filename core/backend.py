"""The backend contract: what an array library must provide to run xgrad.

A backend is an instance of a :class:`Backend` subclass. Every primitive takes
and returns *native* arrays of that backend (numpy arrays, cupy arrays, ...),
never xgrad Tensors. Dtypes cross the boundary as :class:`xgrad.dtypes.DType`
objects. The frontend guarantees:

* array operands of one call come from this backend;
* binary elementwise ops get arrays of the *same* dtype, or one array and a Python
  scalar (``int``/``float``/``bool``) whose value the backend must treat as having
  the array's dtype (PyTorch's "weak" scalar);
* native arrays expose ``.shape`` (a tuple of ints), ``.ndim`` and ``.dtype`` (any object
  comparable with ``==``), as the Python Array API standard requires;
* ``axes`` arguments are tuples of non-negative ints, already validated;
* shapes are tuples of non-negative ints.

Primitives must never modify their inputs. Only the movement primitives (``reshape``,
``permute``, ``broadcast_to``, ``getitem`` with basic indices, ``sliding_window``) may return
a view of an input; every other primitive returns a new array sharing no memory with its
inputs, because on a mutable backend the frontend writes into a tensor's array in place
(``assign``). A movement primitive may return a view or a copy: the frontend records every
view's base itself and pushes writes into the base, relying on neither.

Contract version 2: a backend implements :data:`REQUIRED_PRIMITIVES` (the core, at most 40);
each of :data:`OPTIONAL_PRIMITIVES` it may implement or leave to the base class, which runs
its decomposition into the core (:mod:`xgrad.backend_derived`). Every result's dtype (and
shape, where fixed) follows the rules of :mod:`xgrad.backend_checks`, checked by the suite
and, under ``XGRAD_DEBUG_BACKEND=1``, on every call. Optional fused ops (see
:data:`FUSED_OPS`) are discovered by name: a backend lists the ones it implements in
``fused_ops``.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import backend_derived as _derived
from .backend_index import INDEX_DTYPES, adapt_index_dtype
from .dtypes import ALL_DTYPES, DType
from .philox import philox_words

__all__ = ["Backend", "BackendSpec", "CONTRACT_VERSION", "SUPPORTED_CONTRACT_VERSIONS",
           "PRIMITIVES", "REQUIRED_PRIMITIVES", "OPTIONAL_PRIMITIVES", "FUSED_OPS", "LINALG_OPS",
           "INDEX_DTYPES", "missing_primitives", "implements", "wait_for", "philox_words",
           "set_derived_hook"]

#: Version 2: the required core shrank to :data:`REQUIRED_PRIMITIVES` (at most 40); the
#: other primitives became optional (:data:`OPTIONAL_PRIMITIVES`, each with a decomposition
#: the base class runs), and ``synchronize`` takes the arrays to wait for. A backend that
#: declares version 1 still loads (it implements everything), with a DeprecationWarning.
CONTRACT_VERSION = 2
#: Contract versions the registry still accepts (with a DeprecationWarning when older).
SUPPORTED_CONTRACT_VERSIONS = (1, 2)

Array = Any
Shape = tuple[int, ...]
Axes = tuple[int, ...]
Index = tuple[Any, ...]


def _primitive(fn):
    fn.__xgrad_primitive__ = True
    return fn


#: ``[hook]``: ``hook(primitive_name, backend)`` runs each time an optional primitive runs
#: its decomposition (the registry counts these with the fused-op fallbacks)
_DERIVED_HOOK: list = [None]


def set_derived_hook(hook: Callable[[str, Backend], None] | None) -> None:
    """Have ``hook(name, backend)`` called whenever a backend runs the decomposition of the
    optional primitive ``name`` (``None``: nothing is called)."""
    _DERIVED_HOOK[0] = hook


def _optional(fn):
    """An optional primitive: the base class runs its decomposition into the required core
    (:data:`xgrad.backend_derived.DERIVED`) unless a subclass implements it."""
    derived = _derived.DERIVED[fn.__name__]
    name = fn.__name__

    @functools.wraps(fn)
    def method(self, *args):
        hook = _DERIVED_HOOK[0]
        if hook is not None:
            hook(name, self)
        return derived(self, *args)

    method.__xgrad_primitive__ = True
    method.__xgrad_derived__ = True
    return method


class Backend:
    """Base class of every backend. Subclasses implement each required primitive below
    (:data:`REQUIRED_PRIMITIVES`); each optional one (:data:`OPTIONAL_PRIMITIVES`) they may
    implement, or inherit its decomposition into the required ones.

    Class attributes a subclass sets:

    * ``name`` — registry name (``"numpy"``);
    * ``device`` — device string of this instance (``"numpy"``, ``"cupy:0"``);
    * ``contract_version`` — the contract it was written for (:data:`CONTRACT_VERSION`);
    * ``dtypes`` — the DTypes it stores natively (a backend lacking float64 omits it);
    * ``fused_ops`` — names from :data:`FUSED_OPS` that it implements;
    * ``linalg_ops`` — names from :data:`LINALG_OPS` (the optional linear-algebra group) that
      it implements;
    * ``mutable`` — whether its arrays can be written in place (``assign``). On an immutable
      backend the frontend never writes into an array: an in-place op rebinds the tensor to
      a new array. Views work the same either way: the frontend owns them and never relies
      on a primitive's result aliasing its input.
    * ``index_dtype`` — ``"int64"`` (default) or ``"int32"``: the native integer that stores
      xgrad's int64 tensors (indices, integer sums, random words). With ``"int32"`` the class
      is adapted once (:mod:`xgrad.backend_index`): its ``int32`` arrays read as ``int64``,
      int64 dtype arguments arrive as ``int32``, and ``dtypes`` lists ``int64``, not ``int32``.
    """

    name: str = "abstract"
    device: str = "abstract"
    contract_version: int = CONTRACT_VERSION
    dtypes: frozenset = frozenset(ALL_DTYPES)
    fused_ops: frozenset = frozenset()
    linalg_ops: frozenset = frozenset()
    mutable: bool = True
    index_dtype: str = "int64"
    #: True when operations run asynchronously (GPU, JAX); the profiler then calls
    #: ``synchronize(*arrays)`` around each op.
    asynchronous: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        adapt_index_dtype(cls)  # a no-op unless the class declares index_dtype = "int32"

    def has(self, op: str) -> bool:
        """Whether this backend provides the optional fused op or linalg primitive ``op``."""
        return op in self.fused_ops or op in self.linalg_ops

    def implements(self, name: str) -> bool:
        """Whether this backend has its own kernel for primitive ``name`` (False for an
        optional primitive left to the base class's decomposition)."""
        return implements(self, name)

    def synchronize(self, *arrays: Array) -> None:
        """Wait until ``arrays`` (native arrays of this backend) are computed; with no
        arguments, until all queued work is done. A no-op on synchronous backends.

        The arrays are the portable form: a library without a wait-for-everything call
        (JAX: ``jax.block_until_ready(arrays)``) waits for exactly what the caller is about
        to time or read; a stream-ordered library (cupy) may simply synchronize its stream.
        Callers go through :func:`wait_for`, so a backend written for contract version 1,
        whose ``synchronize()`` takes no arguments, keeps working.
        """

    def __repr__(self) -> str:
        return f"<xgrad backend {self.device!r}>"

    # ---- optional: memory planning of compiled programs --------------------------------
    def write_into(self, name: str) -> Callable | None:
        """Optional. A function computing kernel ``name`` into an existing array:
        ``f(*args, out=buf)`` writes into ``buf`` exactly the values (bit for bit) the kernel
        would return for ``args`` and returns ``buf``; ``buf`` is always an array
        :meth:`buffer_of` gave the same key as the kernel's result, and may be one of
        ``args`` (an elementwise kernel must then read each element before writing it).
        ``xgrad.compile`` then lets a replayed program put results into buffers whose
        lifetime ended instead of allocating (numpy: its ufuncs with ``out=``). The default,
        ``None``, leaves every kernel allocating its result."""
        return None

    def buffer_of(self, x: Array) -> tuple[Any, Any]:
        """Optional, consulted only where :meth:`write_into` gives a function. ``(owner,
        key)`` of a kernel result or program input ``x``: ``owner`` is the same hashable for
        every array sharing memory with ``x`` (a view and its base), ``key`` is ``None``
        unless ``x`` is a writeable array owning its memory, and then arrays with equal keys
        (e.g. shape, dtype, strides) are interchangeable as ``out=`` of ``write_into``."""
        return id(x), None

    # ---- introspection --------------------------------------------------------------
    @_primitive
    def dtype(self, x: Array) -> DType:
        """xgrad DType of ``x``."""
        raise NotImplementedError

    # ---- transfer and creation ------------------------------------------------------
    @_primitive
    def from_numpy(self, a: Any, dtype: DType) -> Array:
        """Copy a host ``numpy.ndarray`` into a new native array of ``dtype``."""
        raise NotImplementedError

    @_primitive
    def to_numpy(self, x: Array) -> Any:
        """Copy ``x`` to a host ``numpy.ndarray`` of the matching numpy dtype."""
        raise NotImplementedError

    @_primitive
    def full(self, shape: Shape, value: float | int | bool, dtype: DType) -> Array:
        """A new array of ``shape`` filled with ``value``."""
        raise NotImplementedError

    @_primitive
    def arange(self, start: float, stop: float, step: float, dtype: DType) -> Array:
        """Evenly spaced values in ``[start, stop)``, as ``numpy.arange``."""
        raise NotImplementedError

    @_primitive
    def random_bits(self, shape: Shape, seed: int, offset: int) -> Array:
        """Counter-based random uint32 words, returned as an int64 array of ``shape``.

        Element ``i`` (row-major) is word ``(offset + i) % 4`` of Philox4x32-10 applied to
        counter ``(offset + i) // 4`` with key ``seed``: :func:`philox_words` computes them on
        any array module with uint64 arithmetic.
        Every backend must produce bit-identical words: all random tensors derive from them.
        """
        raise NotImplementedError

    # ---- elementwise ----------------------------------------------------------------
    @_primitive
    def add(self, a: Array, b: Array) -> Array:
        """``a + b`` with broadcasting."""
        raise NotImplementedError

    @_optional
    def sub(self, a: Array, b: Array) -> Array:
        """``a - b`` with broadcasting (``b`` may be the array when ``a`` is a scalar)."""
        raise NotImplementedError

    @_primitive
    def mul(self, a: Array, b: Array) -> Array:
        """``a * b`` with broadcasting."""
        raise NotImplementedError

    @_primitive
    def div(self, a: Array, b: Array) -> Array:
        """True division ``a / b`` (floating inputs only)."""
        raise NotImplementedError

    @_primitive
    def floordiv(self, a: Array, b: Array) -> Array:
        """Floor division, rounding toward minus infinity."""
        raise NotImplementedError

    @_optional
    def remainder(self, a: Array, b: Array) -> Array:
        """Remainder with the sign of the divisor (Python's ``%``)."""
        raise NotImplementedError

    @_primitive
    def pow(self, a: Array, b: Array) -> Array:
        """``a ** b`` elementwise."""
        raise NotImplementedError

    @_primitive
    def atan2(self, a: Array, b: Array) -> Array:
        """Four-quadrant arctangent of ``a / b`` in radians, in ``[-pi, pi]``, with
        broadcasting (floating inputs only; signed zeros as C's ``atan2``)."""
        raise NotImplementedError

    @_optional
    def maximum(self, a: Array, b: Array) -> Array:
        """Elementwise maximum (NaN propagates)."""
        raise NotImplementedError

    @_optional
    def minimum(self, a: Array, b: Array) -> Array:
        """Elementwise minimum (NaN propagates)."""
        raise NotImplementedError

    @_primitive
    def neg(self, x: Array) -> Array:
        """``-x``."""
        raise NotImplementedError

    @_primitive
    def exp(self, x: Array) -> Array:
        """``e ** x``."""
        raise NotImplementedError

    @_primitive
    def log(self, x: Array) -> Array:
        """Natural logarithm."""
        raise NotImplementedError

    @_optional
    def log1p(self, x: Array) -> Array:
        """``log(1 + x)``, accurate near 0."""
        raise NotImplementedError

    @_optional
    def expm1(self, x: Array) -> Array:
        """``exp(x) - 1``, accurate near 0."""
        raise NotImplementedError

    @_primitive
    def sin(self, x: Array) -> Array:
        """Sine."""
        raise NotImplementedError

    @_primitive
    def cos(self, x: Array) -> Array:
        """Cosine."""
        raise NotImplementedError

    @_primitive
    def tanh(self, x: Array) -> Array:
        """Hyperbolic tangent."""
        raise NotImplementedError

    @_primitive
    def sqrt(self, x: Array) -> Array:
        """Square root."""
        raise NotImplementedError

    @_primitive
    def erf(self, x: Array) -> Array:
        """Gauss error function (accurate to the dtype's precision)."""
        raise NotImplementedError

    @_optional
    def abs(self, x: Array) -> Array:
        """Absolute value."""
        raise NotImplementedError

    @_optional
    def sign(self, x: Array) -> Array:
        """-1, 0 or 1 (0 for 0), same dtype as ``x``."""
        raise NotImplementedError

    @_primitive
    def floor(self, x: Array) -> Array:
        """Round toward minus infinity (same dtype)."""
        raise NotImplementedError

    @_optional
    def isnan(self, x: Array) -> Array:
        """Bool array, True where ``x`` is NaN."""
        raise NotImplementedError

    @_optional
    def isinf(self, x: Array) -> Array:
        """Bool array, True where ``x`` is +-inf."""
        raise NotImplementedError

    @_primitive
    def where(self, cond: Array, a: Array, b: Array) -> Array:
        """``a`` where ``cond`` (bool) else ``b``, with broadcasting; ``a``/``b`` may be scalars."""
        raise NotImplementedError

    @_primitive
    def eq(self, a: Array, b: Array) -> Array:
        """``a == b`` as a bool array."""
        raise NotImplementedError

    @_optional
    def ne(self, a: Array, b: Array) -> Array:
        """``a != b`` as a bool array."""
        raise NotImplementedError

    @_primitive
    def lt(self, a: Array, b: Array) -> Array:
        """``a < b`` as a bool array."""
        raise NotImplementedError

    @_optional
    def le(self, a: Array, b: Array) -> Array:
        """``a <= b`` as a bool array."""
        raise NotImplementedError

    @_optional
    def gt(self, a: Array, b: Array) -> Array:
        """``a > b`` as a bool array."""
        raise NotImplementedError

    @_optional
    def ge(self, a: Array, b: Array) -> Array:
        """``a >= b`` as a bool array."""
        raise NotImplementedError

    @_optional
    def logical_and(self, a: Array, b: Array) -> Array:
        """Bool ``a and b``."""
        raise NotImplementedError

    @_optional
    def logical_or(self, a: Array, b: Array) -> Array:
        """Bool ``a or b``."""
        raise NotImplementedError

    @_optional
    def logical_xor(self, a: Array, b: Array) -> Array:
        """Bool ``a xor b``."""
        raise NotImplementedError

    @_optional
    def logical_not(self, x: Array) -> Array:
        """Bool ``not x``."""
        raise NotImplementedError

    @_primitive
    def cast(self, x: Array, dtype: DType) -> Array:
        """``x`` converted to ``dtype`` (float->int truncates toward zero)."""
        raise NotImplementedError

    # ---- reductions -----------------------------------------------------------------
    @_primitive
    def sum(self, x: Array, axes: Axes, keepdims: bool) -> Array:
        """Sum over ``axes`` (empty tuple: no reduction). Bool/int sums give int64."""
        raise NotImplementedError

    @_primitive
    def prod(self, x: Array, axes: Axes, keepdims: bool) -> Array:
        """Product over ``axes``."""
        raise NotImplementedError

    @_primitive
    def max(self, x: Array, axes: Axes, keepdims: bool) -> Array:
        """Maximum over ``axes`` (non-empty reduction; NaN propagates)."""
        raise NotImplementedError

    @_optional
    def min(self, x: Array, axes: Axes, keepdims: bool) -> Array:
        """Minimum over ``axes`` (non-empty reduction; NaN propagates)."""
        raise NotImplementedError

    @_primitive
    def argmax(self, x: Array, axis: int, keepdims: bool) -> Array:
        """int64 index of the first maximum along ``axis``."""
        raise NotImplementedError

    @_optional
    def argmin(self, x: Array, axis: int, keepdims: bool) -> Array:
        """int64 index of the first minimum along ``axis``."""
        raise NotImplementedError

    @_primitive
    def cumsum(self, x: Array, axis: int) -> Array:
        """Inclusive cumulative sum along ``axis`` (same dtype for floats, int64 for ints)."""
        raise NotImplementedError

    @_primitive
    def sort(self, x: Array, axis: int, descending: bool) -> tuple[Array, Array]:
        """Stable sort along ``axis``: ``(values, int64 indices)``."""
        raise NotImplementedError

    # ---- movement -------------------------------------------------------------------
    @_primitive
    def reshape(self, x: Array, shape: Shape) -> Array:
        """``x`` with a new shape of the same size (a view when possible)."""
        raise NotImplementedError

    @_primitive
    def permute(self, x: Array, axes: Axes) -> Array:
        """Axes reordered; ``axes`` is a permutation of ``range(ndim)``."""
        raise NotImplementedError

    @_primitive
    def broadcast_to(self, x: Array, shape: Shape) -> Array:
        """``x`` broadcast to ``shape`` (may be a read-only view)."""
        raise NotImplementedError

    @_optional
    def copy(self, x: Array) -> Array:
        """A new contiguous array with the values of ``x``."""
        raise NotImplementedError

    @_primitive
    def getitem(self, x: Array, index: Index) -> Array:
        """numpy-style indexing. ``index`` is a tuple of ``int``, ``slice``, ``None``,
        ``Ellipsis`` and native int64 or bool arrays (advanced indexing, numpy rules)."""
        raise NotImplementedError

    @_primitive
    def index_add(self, x: Array, index: Index, values: Array) -> Array:
        """A copy of ``x`` with ``values`` added at ``index`` (repeated indices accumulate)."""
        raise NotImplementedError

    @_primitive
    def index_put(self, x: Array, index: Index, values: Array) -> Array:
        """A copy of ``x`` with ``x[index] = values`` (``values`` broadcast)."""
        raise NotImplementedError

    @_optional
    def take_along_axis(self, x: Array, indices: Array, axis: int) -> Array:
        """``numpy.take_along_axis``: ``out[..i..] = x[..indices[..i..]..]`` along ``axis``."""
        raise NotImplementedError

    @_optional
    def put_along_axis_add(self, x: Array, indices: Array, values: Array, axis: int) -> Array:
        """A copy of ``x`` with ``values`` added at ``indices`` along ``axis`` (accumulating)."""
        raise NotImplementedError

    @_primitive
    def concatenate(self, xs: Sequence[Array], axis: int) -> Array:
        """Join arrays of one dtype along an existing axis."""
        raise NotImplementedError

    @_optional
    def pad(self, x: Array, widths: tuple[tuple[int, int], ...], value: float) -> Array:
        """Constant padding: ``widths[d] = (before, after)`` for every axis ``d``."""
        raise NotImplementedError

    @_optional
    def sliding_window(self, x: Array, window: Shape, strides: Shape, dilation: Shape) -> Array:
        """Windows over the *last* ``k = len(window)`` axes.

        For ``x`` of shape ``(*lead, n_1..n_k)`` returns shape ``(*lead, o_1..o_k, w_1..w_k)``
        with ``out[..., o, w] = x[..., o * stride + w * dilation]`` and
        ``o_i = (n_i - dilation_i * (w_i - 1) - 1) // stride_i + 1``. May be a read-only view.
        """
        raise NotImplementedError

    # ---- linear algebra -------------------------------------------------------------
    @_primitive
    def matmul(self, a: Array, b: Array) -> Array:
        """``numpy.matmul`` semantics (batched, broadcasting batch dims; 1-d operands allowed)."""
        raise NotImplementedError

    # ---- in-place support (optimizers, ``__setitem__``) -----------------------------
    @_primitive
    def assign(self, dst: Array, src: Array) -> Array:
        """Write ``src`` (broadcast, same dtype) into ``dst`` in place when the library allows;
        return the array that now holds the value (``dst`` or a new array for immutable
        libraries)."""
        raise NotImplementedError


#: Every primitive of the contract, required and optional, in declaration order.
PRIMITIVES: tuple[str, ...] = tuple(
    name for name, fn in vars(Backend).items() if getattr(fn, "__xgrad_primitive__", False)
)
#: The required core: what a backend must implement.
REQUIRED_PRIMITIVES: tuple[str, ...] = tuple(
    name for name in PRIMITIVES if not getattr(vars(Backend)[name], "__xgrad_derived__", False)
)
#: Optional primitives: a backend MAY implement them (the suite then checks it against the
#: decomposition); otherwise the base class decomposes them into the core.
OPTIONAL_PRIMITIVES: tuple[str, ...] = tuple(n for n in PRIMITIVES if n not in REQUIRED_PRIMITIVES)

#: Optional fused kernels, with the signature each must have. The frontend falls back to a
#: decomposition into primitives when a backend lacks one.
FUSED_OPS: dict[str, str] = {
    "log_softmax": "log_softmax(x, axis) -> array",
    "softmax": "softmax(x, axis) -> array",
    "logsumexp": "logsumexp(x, axes, keepdims) -> array",
    "cross_entropy": "cross_entropy(logits (N, C), target int64 (N,)) -> per-sample loss (N,)",
    "cross_entropy_grad": "cross_entropy_grad(logits (N, C), target int64 (N,), g (N,)) -> "
    "(softmax(logits) - one_hot(target)) * g[:, None]",
    "gelu": "gelu(x, approximate: 'none' | 'tanh') -> array",
    "relu_backward": "relu_backward(x, g) -> g * (x > 0), as g's dtype: the gradient of relu",
    "cross_entropy_with_grad": "cross_entropy_with_grad(logits (N, C), target int64 (N,), g (N,)) "
    "-> (cross_entropy(logits, target), cross_entropy_grad(logits, target, g)) in one kernel "
    "(softmax computed once); only xgrad.compile calls it, for a step's loss and its gradient",
    "sigmoid": "sigmoid(x) -> array",
    "linear": "linear(x (..., I), w (O, I), b (O,) | None) -> x @ w.T + b",
    "conv2d": "conv2d(x (N,C,H,W), w (O,C/g,kh,kw), stride, padding, dilation, groups) -> array",
    "conv2d_input_grad": "conv2d_input_grad(g (N,O,oh,ow), w (O,C/g,kh,kw), size (H, W), stride, "
    "padding, dilation, groups) -> (N,C,H,W): gradient of conv2d with respect to its input",
    "max_pool2d": "max_pool2d(x (N,C,H,W), kernel, stride, padding, dilation, ceil_mode) -> "
    "(N,C,oh,ow): window maxima, windows past the edge padded with -inf",
    "max_pool2d_backward": "max_pool2d_backward(x (N,C,H,W), g (N,C,oh,ow), kernel, stride, "
    "padding, dilation, ceil_mode) -> (N,C,H,W): g routed to each window's first maximum",
    "max_pool2d_backward_out": "max_pool2d_backward_out(x (N,C,H,W), out (N,C,oh,ow), g (N,C,oh,ow), "
    "kernel, stride, padding, dilation, ceil_mode) -> max_pool2d_backward(x, g, ...), given "
    "out = max_pool2d(x, ...) (the forward's result, to use instead of recomputing it)",
    "conv2d_weight_grad": "conv2d_weight_grad(x (N,C,H,W), g (N,O,oh,ow), wshape, stride, "
    "padding, dilation, groups) -> (O,C/g,kh,kw): gradient of conv2d with respect to its weight",
    "sgd_step": "sgd_step(param, grad, buf|None, lr, momentum, dampening, weight_decay, "
    "nesterov, maximize, first) -> (param, buf)",
    "adam_step": "adam_step(param, grad, exp_avg, exp_avg_sq, max_sq|None, step, lr, beta1, "
    "beta2, eps, weight_decay, decoupled, amsgrad, maximize) -> (param, exp_avg, exp_avg_sq, max_sq)",
    "random_uniform": "random_uniform(shape, seed, offset, dtype) -> array of dtype in [0, 1), "
    "bit-identical to the frontend's transform of random_bits(shape', seed, offset): float64 "
    "takes words w = random_bits((2,) + shape) and gives ((w[0] >> 6) * 2**27 + (w[1] >> 5)) * "
    "2**-53; float32 (w >> 8) * 2**-24 of w = random_bits(shape); float16 (w >> 21) * 2**-11. "
    "One call per draw instead of ~10 primitive calls (a compiling backend compiles one kernel)",
    "random_normal": "random_normal(shape, seed, offset, dtype, wide) -> standard normal samples "
    "of dtype by Box-Muller: u1 = random_uniform(shape, seed, offset, b), u2 = random_uniform("
    "shape, seed, offset + k, b) with b float64 for float64 output else float32 and k the words "
    "u1 took rounded up to a multiple of 4; then, in float dtype ``wide``, sqrt(-2 log(1 - u1)) * "
    "cos(2 pi u2), cast to dtype (equal to the decomposition within rounding)",
}


#: The optional linear-algebra group: matrix factorizations a backend MAY provide (listed in
#: its ``linalg_ops``). Each works on a stack of matrices ``(*batch, m, n)`` of float32 or
#: float64 (the frontend refuses other dtypes and checks shapes first) and returns new arrays
#: of the input's dtype. ``info`` is an int64 array of the batch shape: 0 where the matrix
#: was factored, else LAPACK's code (below); the frontend turns it into PyTorch's error. The
#: rest of ``xgrad.linalg`` (pinv, lstsq, matrix_exp, norms, svdvals, eigvalsh) is derived
#: from these in the frontend. A backend without one gets an error naming op and backend.
LINALG_OPS: dict[str, str] = {
    "linalg_inv": "linalg_inv(a (*, n, n)) -> (inverse, info): info = k > 0 when U[k-1, k-1] of "
    "the partially pivoted LU factorization is exactly zero (getrf)",
    "linalg_solve": "linalg_solve(a (*, n, n), b (*, n, k)) -> (x, info): a @ x = b, the same "
    "batch shape for both; info as linalg_inv",
    "linalg_det": "linalg_det(a (*, n, n)) -> det (*)",
    "linalg_slogdet": "linalg_slogdet(a (*, n, n)) -> (sign (*), log|det| (*)): sign 0 and "
    "log -inf for a singular matrix",
    "linalg_cholesky": "linalg_cholesky(a (*, n, n)) -> (L, info): lower factor from a's lower "
    "triangle; info = k > 0 when the leading minor of order k is not positive-definite (potrf)",
    "linalg_qr": "linalg_qr(a (*, m, n), complete) -> (Q (*, m, k), R (*, k, n)), k = min(m, n) "
    "(k = m when complete); Householder signs as LAPACK geqrf",
    "linalg_eigh": "linalg_eigh(a (*, n, n), upper) -> (eigenvalues ascending (*, n), "
    "eigenvectors as columns (*, n, n)), reading a's upper (or lower) triangle",
    "linalg_svd": "linalg_svd(a (*, m, n), full_matrices) -> (U, S descending (*, k), Vh), "
    "k = min(m, n); U (*, m, m|k), Vh (*, n|k, n)",
}


_SYNC_TAKES_ARRAYS: dict[Any, bool] = {}


def _takes_arrays(fn: Callable[..., Any]) -> bool:
    key = getattr(fn, "__func__", fn)
    known = _SYNC_TAKES_ARRAYS.get(key)
    if known is None:
        import inspect

        try:
            params = inspect.signature(fn).parameters.values()
        except (TypeError, ValueError):  # a builtin without a signature: assume the new form
            known = True
        else:
            known = any(p.kind in (p.VAR_POSITIONAL, p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                        for p in params)
        if len(_SYNC_TAKES_ARRAYS) < 256:
            _SYNC_TAKES_ARRAYS[key] = known
    return known


def wait_for(backend: Backend, *arrays: Array) -> None:
    """``backend.synchronize(*arrays)``; a ``synchronize()`` that takes no arguments (contract
    version 1) is called without them (it then waits for everything)."""
    fn = backend.synchronize
    if arrays and not _takes_arrays(fn):
        fn()
    else:
        fn(*arrays)


def missing_primitives(backend_cls: type) -> list[str]:
    """Names of required primitives that ``backend_cls`` does not implement."""
    return [
        name for name in REQUIRED_PRIMITIVES
        if getattr(getattr(backend_cls, name, None), "__xgrad_primitive__", False)
    ]


def implements(backend: Backend | type, name: str) -> bool:
    """Whether ``backend`` (an instance or class) has its own kernel for primitive ``name``
    (False for an optional primitive it leaves to the base class's decomposition)."""
    cls = backend if isinstance(backend, type) else type(backend)
    return not getattr(getattr(cls, name, None), "__xgrad_primitive__", False)


def describe_backend(backend: Backend) -> dict:
    """Capabilities of a backend instance: contract version, dtypes, mutability, index dtype,
    primitives, fused ops."""
    return {
        "name": backend.name,
        "device": backend.device,
        "contract_version": backend.contract_version,
        "dtypes": sorted(d.name for d in backend.dtypes),
        "mutable": backend.mutable,
        "index_dtype": backend.index_dtype,
        "primitives": [p for p in PRIMITIVES if implements(backend, p)],
        "missing_primitives": missing_primitives(type(backend)),
        "derived_primitives": [p for p in OPTIONAL_PRIMITIVES if not implements(backend, p)],
        "fused_ops": sorted(op for op in FUSED_OPS if backend.has(op)),
        "fused_ops_missing": sorted(op for op in FUSED_OPS if not backend.has(op)),
        "linalg_ops": sorted(op for op in LINALG_OPS if backend.has(op)),
    }


@dataclass
class BackendSpec:
    """What a plugin tells xgrad about one backend (the ``xgrad_register_backends`` answer).

    ``factory(index)`` builds the Backend instance for device index ``index`` (``None``
    when the device string has no ``:N``); it runs on first use, so it may import the
    array library. ``available()`` returns ``None`` when usable, else a reason string.
    It lives here, beside :class:`Backend`, so that backend packages and the registry both
    import it from the contract without importing each other.
    """

    name: str
    factory: Callable[[int | None], Backend]
    aliases: tuple[str, ...] = ()
    available: Callable[[], str | None] = lambda: None
    description: str = ""
    package: str = field(default="", compare=False)
