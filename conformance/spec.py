"""The case-table API: :class:`OpCase`, input specs (:class:`T`, :class:`Idx`, :class:`Mask`,
:class:`Const`), domains, and the registry other code (and plugins) add cases to."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["OpCase", "ModuleCase", "OptimCase", "T", "Idx", "Mask", "Const", "DOMAINS", "TIES",
           "register", "register_module_case", "register_optim_case", "ARG_NAMES"]

#: Named input domains: unions of intervals the sampler draws distinct values from.
#: Every domain keeps sampled points away from the kinks of the ops that use it.
DOMAINS: dict[str, tuple[tuple[float, float], ...]] = {
    "real": ((-2.0, 2.0),),
    "pos": ((0.3, 2.5),),
    "nonzero": ((-2.0, -0.3), (0.3, 2.0)),
    "unit": ((-0.85, 0.85),),
    # away from the integers, where floor / floor_divide / remainder jump
    "frac": ((-1.85, -1.15), (-0.85, -0.15), (0.15, 0.85), (1.15, 1.85)),
    "clampband": ((-2.0, -0.7), (-0.3, 0.3), (0.7, 2.0)),
}
#: A domain of few values drawn with repetition, so that equal elements (ties) are common:
#: for the ops whose contract names a tie rule (stable sort, first maximum). Forward only:
#: an op is not differentiable at a tie.
TIES = "ties"
TIE_VALUES = (-1.0, -0.5, 0.0, 0.5, 1.0)

#: Names the positional arguments of a sample get inside a string ``fn``.
ARG_NAMES = "abcdefgh"


@dataclass(frozen=True)
class T:
    """A floating-point input tensor of ``shape`` in the case's dtype.

    ``dom`` overrides the case's domain (a :data:`DOMAINS` name or a tuple of intervals);
    ``grad`` says whether gradients are checked for it; ``view`` makes the op see a
    non-contiguous view: ``"transposed"`` (the leaf is stored transposed and ``.mT`` is
    passed) or ``"strided"`` (the leaf has a doubled last dim and ``[..., ::2]`` is passed).
    """

    shape: tuple = ()
    dom: Any = None
    grad: bool = True
    view: str | None = None

    def __init__(self, *shape: int, dom: Any = None, grad: bool = True, view: str | None = None):
        object.__setattr__(self, "shape", tuple(shape))
        object.__setattr__(self, "dom", dom)
        object.__setattr__(self, "grad", grad)
        object.__setattr__(self, "view", view)

    def leaf_shape(self) -> tuple:
        """Shape of the stored leaf tensor (before the view)."""
        s = self.shape
        if self.view == "transposed":
            return s[:-2] + (s[-1], s[-2])
        if self.view == "strided":
            return s[:-1] + (2 * s[-1],)
        return s


@dataclass(frozen=True)
class Idx:
    """An int64 index tensor of ``shape`` with values in ``[0, high)``.

    ``unique`` (an axis) makes the values along that axis distinct (for ``scatter``).
    """

    shape: tuple
    high: int
    unique: int | None = None


@dataclass(frozen=True)
class Mask:
    """A random bool tensor of ``shape``."""

    shape: tuple


@dataclass(frozen=True)
class Const:
    """A fixed tensor: ``values`` (nested lists) as ``dtype`` (``None``: the case's dtype)."""

    values: Any
    dtype: str | None = None


@dataclass
class OpCase:
    """One op of the conformance table.

    * ``name`` — unique id used in test ids (``exp``, ``sum.dim``);
    * ``fn`` — a Python expression over the sample's positional args ``a, b, c, ...``
      (names in scope: ``xgrad``, ``F`` = ``xgrad.nn.functional`` when it exists,
      ``fused`` = ``xgrad.ops.fused``), or a callable taking the args;
    * ``inputs`` — samples: each a tuple of args, each a :class:`T`, :class:`Idx`,
      :class:`Mask`, :class:`Const` or a plain Python value passed as is;
    * ``domain`` — default domain of the :class:`T` inputs (a :data:`DOMAINS` name or
      intervals);
    * ``dtypes`` — floating dtypes the case is checked in;
    * ``grad`` / ``grad2`` — check first / second-order gradients;
    * ``fused`` — name of the optional fused kernel (``xgrad.backend.FUSED_OPS``) this op
      uses; the suite then compares fused against ``decomposed_only()``;
    * ``covers`` — frontend names this case exercises (``"exp"``, ``"xgrad.exp"``,
      ``"__add__"``); defaults to ``(name,)``;
    * ``tol`` — optional ``{check: (rtol, atol)}`` overrides for ill-conditioned ops
      (``"grad:float32"`` overrides one dtype only);
    * ``requires`` — dtype names (or optional linalg primitives, ``"linalg_svd"``) the
      backend must support for the case to apply (e.g. an
      explicit cast to ``float64``); otherwise its tests are skipped;
    * ``special`` — ``"elementwise"`` or ``"reduction"`` to check the op's forward values on
      special inputs (±inf, NaN, ±0, huge, tiny; see :mod:`xgrad.conformance.special`);
      ``None``: only when the name is in ``special.SPECIAL_KINDS``.
    """

    name: str
    fn: str | Callable
    inputs: Sequence[tuple]
    domain: Any = "real"
    dtypes: tuple = ("float16", "float32", "float64")
    grad: bool = True
    grad2: bool = True
    fused: str | None = None
    covers: tuple = ()
    tol: dict = field(default_factory=dict)
    requires: tuple = ()
    special: str | None = None

    def __post_init__(self) -> None:
        if not self.covers:
            self.covers = (self.name,)
        self.inputs = [s if isinstance(s, tuple) else (s,) for s in self.inputs]

    @property
    def source(self) -> str:
        """The call as source text (for reproducers)."""
        if isinstance(self.fn, str):
            return self.fn
        mod = getattr(self.fn, "__module__", "?")
        return f"__import__({mod!r}).{getattr(self.fn, '__qualname__', repr(self.fn))}(*args)"

    def callable(self, nargs: int) -> Callable:
        """The op as a function of ``nargs`` positional args."""
        if not isinstance(self.fn, str):
            return self.fn
        key = ("_compiled", nargs)
        cache = self.__dict__.setdefault("_cache", {})
        if key not in cache:
            names = ", ".join(ARG_NAMES[:nargs])
            cache[key] = eval(f"lambda {names}: {self.fn}", namespace())  # noqa: S307
        return cache[key]


def namespace() -> dict:
    """Names visible to string ``fn`` expressions."""
    import xgrad
    from xgrad.ops import fused

    from .helpers import setitem

    ns = {"xgrad": xgrad, "fused": fused, "setitem": setitem}
    try:
        import xgrad.nn.functional as F

        ns["F"] = F
    except ImportError:
        pass
    return ns


@dataclass
class ModuleCase:
    """A layer checked across backends: ``make()`` builds the module (on the default
    device), ``inputs`` are :class:`T`-style specs of its forward args."""

    name: str
    make: Callable[[], Any]
    inputs: tuple
    domain: Any = "real"


@dataclass
class OptimCase:
    """An optimizer checked across backends: ``make(params)`` builds it; one step on
    seeded parameters and gradients must agree with the reference backend."""

    name: str
    make: Callable[[list], Any]
    shapes: tuple = ((3, 2), (2,))
    fused: str | None = None


_CASES: dict[str, OpCase] = {}
_MODULE_CASES: dict[str, ModuleCase] = {}
_OPTIM_CASES: dict[str, OptimCase] = {}


def register(*cases: OpCase) -> None:
    """Add op cases to the table (a duplicate name is an error)."""
    for c in cases:
        if c.name in _CASES and _CASES[c.name] is not c:
            raise ValueError(f"conformance case {c.name!r} is registered twice")
        _CASES[c.name] = c


def register_module_case(*cases: ModuleCase) -> None:
    """Add layer cases."""
    for c in cases:
        _MODULE_CASES[c.name] = c


def register_optim_case(*cases: OptimCase) -> None:
    """Add optimizer cases."""
    for c in cases:
        _OPTIM_CASES[c.name] = c
