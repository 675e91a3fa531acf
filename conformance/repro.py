"""Copy-paste Python reproducers for conformance failures."""
from __future__ import annotations

import numpy as np

from .spec import ARG_NAMES, Const, Idx, Mask, OpCase, T

__all__ = ["reproducer"]


def _lit(x: object) -> str:
    """Source of a nested list of numbers; non-finite floats as ``float('inf')`` etc."""
    if isinstance(x, list):
        return "[" + ", ".join(_lit(e) for e in x) + "]"
    if isinstance(x, float) and not np.isfinite(x):
        return f"float({str(x)!r})"
    return repr(x)


def _arr(v: np.ndarray, dtype: str) -> str:
    return f"np.array({_lit(v.tolist())}, dtype=np.{dtype}).reshape({tuple(v.shape)!r})"


def _arg_lines(sample: tuple, values: list) -> list[str]:
    lines = []
    for name, spec, v in zip(ARG_NAMES, sample, values):
        if isinstance(spec, T):
            lines.append(f"    {name} = xgrad.tensor({_arr(v, 'float64')}, dtype=dt, device=dev, "
                         f"requires_grad=grad and {spec.grad})")
            lines.append(f"    leaves.append({name})")
            if spec.view == "transposed":
                lines.append(f"    {name} = {name}.mT  # non-contiguous view")
            elif spec.view == "strided":
                lines.append(f"    {name} = {name}[..., ::2]  # non-contiguous view")
        elif isinstance(spec, Idx):
            lines.append(f"    {name} = xgrad.tensor({_arr(v, 'int64')}, device=dev)")
        elif isinstance(spec, Mask):
            lines.append(f"    {name} = xgrad.tensor({_arr(v, 'bool_')}, device=dev)")
        elif isinstance(spec, Const):
            dt = "dt" if spec.dtype is None else f"xgrad.{spec.dtype}"
            lines.append(f"    {name} = xgrad.tensor({spec.values!r}, dtype={dt}, device=dev)")
        else:
            lines.append(f"    {name} = {v!r}")
    return lines


def reproducer(case: OpCase, sample: tuple, values: list, backend: str, dtype: str,
               check: str) -> str:
    """Python source that rebuilds the failing inputs and reruns ``check``."""
    names = ", ".join(ARG_NAMES[:len(sample)])
    lines = [
        "import numpy as np",
        "import xgrad",
        "from xgrad.ops import fused",
        "from xgrad.conformance.helpers import setitem",
        "try:",
        "    import xgrad.nn.functional as F",
        "except ImportError:",
        "    pass",
        "",
        "def op(dev, dt, grad=False):",
        "    leaves = []",
        *_arg_lines(sample, values),
    ]
    if isinstance(case.fn, str):
        lines.append(f"    out = {case.fn}")
    else:
        lines.append(f"    out = {case.source.replace('(*args)', f'({names})')}")
    lines += [
        "    outs = [out] if isinstance(out, xgrad.Tensor) else list(out)",
        "    return outs, [t for t in leaves if t.requires_grad]",
        "",
        f"got, _ = op({backend!r}, xgrad.{dtype})",
        f"want, _ = op('reference', xgrad.{dtype if check == 'special' else 'float64'})",
        "for g, w in zip(got, want):",
        "    print('got', g.dtype, tuple(g.shape), g.numpy())",
        "    print('want', w.dtype, tuple(w.shape), w.numpy())",
    ]
    if check in ("grad", "gradgrad", "reentrant", "zero_grad", "no_mutation", "fused"):
        lines += [
            "",
            "# gradients (float64) of sum(outputs):",
            f"outs, leaves = op({backend!r}, xgrad.float64, grad=True)",
            "diff = [o for o in outs if o.requires_grad]",
            "print(xgrad.autograd.grad(diff, leaves, [xgrad.ones_like(o) for o in diff], "
            "allow_unused=True))",
        ]
    if check == "fused":
        lines += [
            "",
            "# fused kernel vs decomposition:",
            f"fz, _ = op({backend!r}, xgrad.{dtype})",
            "with fused.decomposed_only():",
            f"    dc, _ = op({backend!r}, xgrad.{dtype})",
            "print([(a.numpy() - b.numpy()) for a, b in zip(fz, dc)])",
        ]
    return "\n".join(lines)
