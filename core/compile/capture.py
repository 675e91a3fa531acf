"""Capture: run a function eagerly while every backend kernel call it makes is recorded.

While a :class:`Trace` is installed, each live backend instance has its kernel methods
shadowed by instance attributes that run the original kernel and append one :class:`Op`
(kernel name, encoded arguments, output slots) to the trace; on exit the instance attributes
the backend had before (numpy binds some primitives straight to ``numpy`` functions) come
back, so eager mode pays nothing once the capture is over. Only the outermost kernel call
is recorded: a fused kernel that calls other primitives of its backend is one op.

Every value a kernel returns gets a numbered *slot*; an argument that is such a value is
encoded as :class:`Slot`, a list or tuple holding some as :class:`Seq`, anything else is a
constant of the program. Arrays of the tensors the caller names as program inputs are
slotted before the run. Random draws go through :meth:`xgrad.Generator.bits`, which the
capture also wraps: the seed and counter offset of a ``random_bits`` call (or of a fused
``random_uniform``/``random_normal`` draw) are recorded as
:class:`Dyn` values (the generator's seed, its offset at the start of the step plus a fixed
distance) that replay computes from the live generator.

A host read (``to_numpy``: ``.item()``, ``bool(t)``, ``.tolist()``, ``.numpy()``, printing)
makes the step data-dependent: the trace is marked broken with the reason and the place,
and the run goes on eagerly (or, under ``fullgraph=True``, :class:`Unsupported` is raised).
"""
from __future__ import annotations

import os
import threading
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np  # host comparison of constant arrays only

from ..backend import FUSED_OPS, PRIMITIVES, Backend
from ..dispatch import Dispatch
from ..random import Generator
from ..registry import REGISTRY

__all__ = ["Unsupported", "Slot", "Seq", "Dyn", "Op", "Trace", "KERNEL_SKIP", "HOST_READS"]


class Unsupported(RuntimeError):
    """What ``xgrad.compile(..., fullgraph=True)`` raises when the step cannot be captured
    whole (PyTorch's ``torch._dynamo.exc.Unsupported``)."""


#: Backend methods that are not kernels (introspection, waiting).
KERNEL_SKIP = frozenset({"has", "dtype", "synchronize", "loaded_optional_natives",
                         "compile_program", "write_into", "buffer_of"})
#: Kernels that copy values to the host: a Python value derived from data.
HOST_READS = frozenset({"to_numpy"})


class Slot:
    """Argument: the value in slot ``n``."""

    __slots__ = ("n",)

    def __init__(self, n: int) -> None:
        self.n = n

    def __eq__(self, other: object) -> bool:
        return type(other) is Slot and other.n == self.n

    def __hash__(self) -> int:
        return hash(("slot", self.n))

    def __repr__(self) -> str:
        return f"b{self.n}"


class Seq:
    """Argument: a list or tuple (``kind``) some of whose items are slots."""

    __slots__ = ("kind", "items")

    def __init__(self, kind: type, items: tuple) -> None:
        self.kind = kind
        self.items = items

    def __eq__(self, other: object) -> bool:
        return type(other) is Seq and other.kind is self.kind and same_args(other.items,
                                                                            self.items)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{self.kind.__name__}{list(self.items)!r}"


class Dyn:
    """Argument computed at replay: ``("seed", g)`` the seed of generator ``g``,
    ``("offset", g, k)`` its offset at the start of the step plus ``k``, ``("counter", c)``
    the new value of host counter ``c`` (see :mod:`xgrad.compile.state`)."""

    __slots__ = ("key",)

    def __init__(self, *key: Any) -> None:
        self.key = key

    def __eq__(self, other: object) -> bool:
        return type(other) is Dyn and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return "dyn" + repr(self.key)


def same_const(a: Any, b: Any) -> bool:
    """Whether two recorded constants are the same value of the same type (floats bit for
    bit, arrays elementwise); used to check that two captures of a step agree."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, (Slot, Seq, Dyn)):
        return a == b
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same_const(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return a == b or (a != a and b != b)
    if isinstance(a, (int, str, bool, bytes, slice, type(None), type(Ellipsis))):
        return a == b
    shape = getattr(a, "shape", None)
    if shape is not None and hasattr(a, "dtype"):
        try:
            return a.shape == b.shape and a.dtype == b.dtype and bool(
                np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True))
        except Exception:  # noqa: BLE001 - not a host array: compare by identity only
            return False
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - no usable equality: only identity counts
        return False


def same_args(a: tuple, b: tuple) -> bool:
    """Elementwise :func:`same_const` of two encoded argument tuples."""
    return len(a) == len(b) and all(same_const(x, y) for x, y in zip(a, b))


class Op:
    """One recorded kernel call: ``outs = backend.<name>(*args)``.

    ``outs`` is a slot number for a single result, or a tuple of slot numbers (``None``
    where the kernel returned ``None``) when it returned a tuple or list (``seq`` its type).
    """

    __slots__ = ("backend", "name", "args", "outs", "seq", "fn", "guard", "into", "into_fn")

    def __init__(self, backend: Backend, name: str, fn: Callable, args: tuple, outs: Any,
                 seq: type | None) -> None:
        self.backend = backend
        self.name = name
        self.fn = fn
        self.args = args
        self.outs = outs
        self.seq = seq
        #: For a host read made by xgrad itself (an argument check such as cross_entropy's
        #: class-index range): a copy of the value read. Replay recomputes the value and
        #: goes on only when it is the same, so the library's Python takes the same path.
        self.guard: Any = None
        #: Memory planning (:mod:`xgrad.compile.memory`): the slot whose buffer (dead by
        #: then) receives the result, computed by ``into_fn(*args, out=buffer)``.
        self.into: int | None = None
        self.into_fn: Callable | None = None

    def slots_read(self) -> list[int]:
        """Slot numbers among the arguments."""
        out: list[int] = []

        def walk(a: Any) -> None:
            if type(a) is Slot:
                out.append(a.n)
            elif type(a) is Seq:
                for x in a.items:
                    walk(x)

        for a in self.args:
            walk(a)
        return out

    def slots_written(self) -> list[int]:
        """Slot numbers of the results."""
        if self.seq is None:
            return [self.outs]
        return [n for n in self.outs if n is not None]

    def __repr__(self) -> str:
        return f"{self.outs!r} = {self.name}({', '.join(_short(a) for a in self.args)})"


def _short(a: Any) -> str:
    """An argument as program listings show it (constant arrays by shape and dtype)."""
    if type(a) not in (Slot, Seq, Dyn) and hasattr(a, "shape") and hasattr(a, "dtype"):
        return f"const<{a.dtype}{list(a.shape)}>"
    return repr(a)


def _kernel_names(be: Backend) -> list[str]:
    names = set(PRIMITIVES) | set(FUSED_OPS)
    for n in dir(type(be)):
        if not n.startswith("_") and n not in names:
            attr = getattr(type(be), n, None)
            if callable(attr) and not isinstance(attr, (type, property)):
                names.add(n)
    return sorted(n for n in names - KERNEL_SKIP if callable(getattr(be, n, None)))


_MISSING = object()
#: Kernels whose second and third arguments are a generator's seed and counter offset.
_RANDOM_KERNELS = frozenset({"random_bits", "random_uniform", "random_normal"})


class Trace:
    """The record of one eager run: ops over numbered slots, the slots of the program
    inputs, the generators drawn from, and why (if at all) the run cannot be replayed."""

    def __init__(self, fullgraph: bool = False) -> None:
        self.fullgraph = fullgraph
        self.ops: list[Op] = []
        self.values: list[Any] = []  # slot -> value (keeps every value alive: ids stay unique)
        self.slot_of: dict[int, int] = {}
        self.inputs: list[int] = []
        self.breaks: list[str] = []
        self.gens: list[Generator] = []
        self.gen_start: list[tuple[int, int]] = []  # (seed, offset) at the start
        self.backends: list[Backend] = []
        self._saved: list[tuple[Backend, str, Any]] = []
        self._depth = 0
        self._pending: tuple[int, int] | None = None
        self._orig_bits: Callable | None = None
        self.advance: list[int] = []
        self._thread = threading.get_ident()

    # ---- slots ----------------------------------------------------------------------
    def new_slot(self, value: Any) -> int:
        n = len(self.values)
        self.values.append(value)
        self.slot_of[id(value)] = n
        return n

    def bind_input(self, array: Any) -> int:
        """The slot of an input array (one slot per distinct array)."""
        n = self.slot_of.get(id(array))
        if n is None:
            n = self.new_slot(array)
        self.inputs.append(n)
        return n

    def encode(self, a: Any) -> Any:
        n = self.slot_of.get(id(a))
        if n is not None and self.values[n] is a:
            return Slot(n)
        if type(a) in (tuple, list):
            items = tuple(self.encode(x) for x in a)
            if any(type(x) in (Slot, Seq, Dyn) for x in items):
                return Seq(type(a), items)
        return a

    def host_break(self, reason: str) -> None:
        """Mark the trace data-dependent (or raise under ``fullgraph``)."""
        where = _user_frame()
        text = f"{reason}{' at ' + where if where else ''}"
        if self.fullgraph:
            raise Unsupported(f"xgrad.compile(fullgraph=True): graph break: {text}. The step "
                              "reads a tensor's value on the host, so it cannot be captured "
                              "as one program; remove the host read or use fullgraph=False")
        self.breaks.append(text)

    # ---- install / uninstall ----------------------------------------------------------
    def __enter__(self) -> Trace:
        if Dispatch.capture is not None:
            raise RuntimeError("xgrad.compile: a compiled function was called while another "
                               "one was being captured; nested capture is not supported")
        seen: list[Backend] = []
        for be in list(REGISTRY.instances.values()) + self.backends:
            if not any(be is s for s in seen):
                seen.append(be)
        self.backends = seen
        try:
            for be in seen:
                self._patch(be)
        except BaseException:
            self._unpatch()
            raise
        self._orig_bits = Generator.bits
        trace = self

        def bits(gen: Generator, be: Any, shape: tuple, *args: Any) -> Any:
            return trace._bits(gen, be, shape, *args)

        Generator.bits = bits  # type: ignore[method-assign]
        Dispatch.capture = self
        return self

    def __exit__(self, *exc: Any) -> None:
        self.advance = [g._offset - off for g, (_, off) in zip(self.gens, self.gen_start)]
        Dispatch.capture = None
        Generator.bits = self._orig_bits  # type: ignore[method-assign]
        self._unpatch()
        new = [be for be in REGISTRY.instances.values()
               if not any(be is s for s in self.backends)]
        if new:
            self.breaks.append(f"backend {new[0].device!r} was first used during the capture "
                               "(its kernels were not recorded); the next capture records it")

    def _patch(self, be: Backend) -> None:
        for name in _kernel_names(be):
            prev = be.__dict__.get(name, _MISSING) if hasattr(be, "__dict__") else _MISSING
            fn = getattr(be, name)
            try:
                setattr(be, name, self._wrapper(be, name, fn))
            except AttributeError:
                raise Unsupported(f"xgrad.compile: backend {be.name!r} does not allow its "
                                  "kernels to be recorded (no instance __dict__)") from None
            self._saved.append((be, name, prev))

    def _unpatch(self) -> None:
        for be, name, prev in reversed(self._saved):
            if prev is _MISSING:
                try:
                    delattr(be, name)
                except AttributeError:
                    pass
            else:
                setattr(be, name, prev)
        self._saved.clear()

    # ---- recording --------------------------------------------------------------------
    def _wrapper(self, be: Backend, name: str, fn: Callable) -> Callable:
        trace = self
        host = name in HOST_READS
        thread = threading.get_ident()

        def kernel(*args: Any) -> Any:
            if trace._depth or threading.get_ident() != thread:
                return fn(*args)  # a nested call, or another thread (e.g. a data loader)
            user = host and _host_read_by_user()
            if user:
                trace.host_break(f"a tensor's value was read on the host ({user})")
            trace._depth = 1
            try:
                out = fn(*args)
            finally:
                trace._depth = 0
            trace.record(be, name, fn, args, out)
            if host and not user:
                trace.ops[-1].guard = np.array(out, copy=True)
            return out

        kernel.__name__ = name
        return kernel

    def record(self, be: Backend, name: str, fn: Callable, args: tuple, out: Any) -> None:
        enc = tuple(self.encode(a) for a in args)
        pending = self._pending
        if pending is not None and name in _RANDOM_KERNELS:
            g, rel = pending
            self._pending = None
            enc = (enc[0], Dyn("seed", g), Dyn("offset", g, rel), *enc[3:])
        if type(out) in (tuple, list):
            outs = tuple(None if o is None else self.new_slot(o) for o in out)
            self.ops.append(Op(be, name, fn, enc, outs, type(out)))
        else:
            self.ops.append(Op(be, name, fn, enc, self.new_slot(out), None))

    def _bits(self, gen: Generator, be: Any, shape: tuple, *args: Any) -> Any:
        if threading.get_ident() != self._thread:
            return self._orig_bits(gen, be, shape, *args)
        i = next((j for j, g in enumerate(self.gens) if g is gen), -1)
        if i < 0:
            i = len(self.gens)
            self.gens.append(gen)
            self.gen_start.append((gen._seed, gen._offset))
        seed0, off0 = self.gen_start[i]
        if gen._seed != seed0 or gen._offset < off0:
            self.host_break("a random generator was re-seeded inside the step")
        self._pending = (i, gen._offset - off0)
        try:
            return self._orig_bits(gen, be, shape, *args)
        finally:
            self._pending = None

    def gen_advance(self) -> list[int]:
        """How far each generator's counter moved during the run."""
        return self.advance


#: Tensor methods that hand a tensor's value to Python (what the user sees as a host read).
_CONVERSIONS = frozenset({"item", "tolist", "numpy", "__bool__", "__float__", "__int__",
                          "__index__", "__repr__", "__str__", "__format__", "__array__"})


def _host_read_by_user() -> str:
    """For a host read in progress: ``"Tensor.item() at file:line"`` when user code asked
    for it (a graph break), ``""`` when xgrad's own code did (an argument check)."""
    stack = traceback.extract_stack()[:-2]
    for fr in stack:
        if os.path.abspath(fr.filename).startswith(_DISTRIBUTED):
            # a collective: the value that comes back depends on other processes' data
            return f"a collective operation ({fr.name}) moves the tensor through the host"
    k = len(stack) - 1
    while k >= 0:
        fr = stack[k]
        f = os.path.abspath(fr.filename)
        if not f.startswith(_OWN):
            return f"a host copy at {fr.filename}:{fr.lineno}"
        if f == _TENSOR and fr.name in _CONVERSIONS:
            name = fr.name
            while k > 0 and stack[k - 1].name in _CONVERSIONS and \
                    os.path.abspath(stack[k - 1].filename) == _TENSOR:
                k -= 1
                name = stack[k].name
            caller = stack[k - 1] if k else None
            if caller is not None and os.path.abspath(caller.filename).startswith(_OWN):
                return ""
            where = f" at {caller.filename}:{caller.lineno}" if caller else ""
            return f"Tensor.{name}(){where}"
        k -= 1
    return ""


_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: xgrad's own source folders (``xgrad/`` installed; ``core/`` and ``backends/`` editable)
_OWN = (_PKG + os.sep, os.path.join(os.path.dirname(_PKG), "backends") + os.sep)
_COMPILE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_TENSOR = os.path.join(_PKG, "tensor.py")
_DISTRIBUTED = os.path.join(_PKG, "distributed") + os.sep


def _user_frame() -> str:
    """``file:line`` of the innermost frame outside xgrad (where the host read happened)."""
    for fr in reversed(traceback.extract_stack()[:-2]):
        if not os.path.abspath(fr.filename).startswith(_OWN):
            return f"{fr.filename}:{fr.lineno}"
    return ""
