"""Matrix products: matmul, mm, bmm, einsum, dot, outer."""
from __future__ import annotations

from typing import Any

from ..autograd.grad_mode import _State
from ..autograd.node import record
from ..dispatch import run
from ..shapes import broadcast_shapes
from ..tensor import Tensor, wrap
from .operands import binary_operands


def _matmul_nd(a: Tensor, b: Tensor) -> Tensor:
    be = a._backend
    out = wrap(run("matmul", be, a._data, b._data), be)
    if _State.enabled and (a._rg or b._rg):
        record(out, "mm", (a, b), None, ((a, a._version), (b, b._version)))
    return out


def _sparse(x: Any) -> bool:
    return getattr(type(x), "__xgrad_sparse__", False)


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with numpy/PyTorch broadcasting rules (1-d operands allowed)."""
    if _sparse(b):  # dense @ sparse COO (xgrad.sparse)
        return b.__rmatmul__(a)
    if not isinstance(b, Tensor):
        raise TypeError(f"matmul(): argument 'other' must be Tensor, not {type(b).__name__}")
    if isinstance(a, Tensor) and a.dtype is not b.dtype:  # PyTorch's matmul does not promote
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {a.dtype.name} "
                           f"!= {b.dtype.name}")
    a, b, _ = binary_operands("matmul", a, b)
    sa, sb = a._data.shape, b._data.shape
    if not sa or not sb:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{len(sa)}D and {len(sb)}D")
    ka = sa[-1]
    kb = sb[-2] if len(sb) > 1 else sb[0]
    if ka != kb:
        if len(sa) <= 2 and len(sb) <= 2:
            ra = f"{sa[0]}x{sa[1]}" if len(sa) == 2 else f"1x{sa[0]}"
            rb = f"{sb[0]}x{sb[1]}" if len(sb) == 2 else f"{sb[0]}x1"
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({ra} and {rb})")
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[..., {ka}, ...] but got: {list(sb)} (matmul of {list(sa)} and {list(sb)})")
    if len(sa) > 2 or len(sb) > 2:
        try:
            broadcast_shapes(sa[:-2], sb[:-2] if len(sb) > 1 else ())
        except RuntimeError:
            raise RuntimeError(f"matmul: batch dimensions of shapes {list(sa)} and {list(sb)} "
                               "cannot be broadcast") from None
    if len(sa) == 1 and len(sb) == 1:
        return (a * b).sum()
    if len(sa) == 1:
        return _matmul_nd(a.unsqueeze(0), b).squeeze(-2)
    if len(sb) == 1:
        return _matmul_nd(a, b.unsqueeze(-1)).squeeze(-1)
    return _matmul_nd(a, b)


def mm(a: Tensor, b: Tensor) -> Tensor:
    """2-d matrix product."""
    if _sparse(b):
        return b.__rmatmul__(a)
    _tensor_arg("mm", "mat2", b)
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mm(): expected 2D tensors, got {a.ndim}D and {b.ndim}D")
    return matmul(a, b)


def bmm(a: Tensor, b: Tensor) -> Tensor:
    """Batched 3-d matrix product (no broadcasting)."""
    _tensor_arg("bmm", "mat2", b)
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor (bmm got {a.ndim}D and {b.ndim}D)")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    return matmul(a, b)


def dot(a: Tensor, b: Tensor) -> Tensor:
    """Inner product of two 1-d tensors."""
    _tensor_arg("dot", "tensor", b)
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                           f"[{b.shape[0]}] to have the same number of elements")
    return matmul(a, b)


def outer(a: Tensor, b: Tensor) -> Tensor:
    """Outer product of two 1-d tensors."""
    _tensor_arg("outer", "vec2", b)
    for name, t in (("self", a), ("vec2", b)):
        if t.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
    return a.reshape(-1, 1) * b.reshape(1, -1)


def _tensor_arg(fn: str, name: str, value: Any) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position 2) must be Tensor, not "
                        f"{type(value).__name__}")


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation over one or two operands (explicit ``->`` or implicit output).

    Two-operand contractions are lowered to one batched matmul; repeated subscripts within
    an operand (diagonals) are not supported.
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, out = eq.split("->")
    else:
        lhs, out = eq, None
    ins = lhs.split(",")
    if len(ins) != len(operands):
        raise RuntimeError(f"einsum(): {len(ins)} subscripts given for {len(operands)} operands "
                           f"({'more' if len(operands) > len(ins) else 'fewer'} operands were "
                           "provided than specified in the equation)")
    for i, op in enumerate(operands):
        if not isinstance(op, Tensor):
            raise TypeError(f"einsum(): argument 'tensors' must be tuple of Tensors, but found "
                            f"element of type {type(op).__name__} at pos {i}")
    if "." in eq:
        raise NotImplementedError("einsum(): ellipsis ('...') subscripts are not supported yet")
    for sub, op in zip(ins, operands):
        if len(sub) != op.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(sub)}) "
                               f"does not match the number of dimensions ({op.ndim}) for operand "
                               f"{ins.index(sub)}")
        if len(set(sub)) != len(sub):
            raise NotImplementedError("einsum(): repeated subscripts in one operand (diagonals) "
                                      "are not supported")
    if out is None:
        counts: dict[str, int] = {}
        for s in ins:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        out = "".join(sorted(c for c, n in counts.items() if n == 1))
    if len(operands) == 1:
        (sub,), (x,) = ins, operands
        summed = tuple(i for i, c in enumerate(sub) if c not in out)
        if summed:
            x = x.sum(summed)
        rest = [c for c in sub if c in out]
        return x.permute([rest.index(c) for c in out]) if rest else x
    if len(operands) != 2:
        result = einsum(f"{ins[0]},{ins[1]}->{_merge(ins[0], ins[1], ins[2:], out)}",
                        operands[0], operands[1])
        rest_eq = ",".join([_merge(ins[0], ins[1], ins[2:], out)] + ins[2:]) + "->" + out
        return einsum(rest_eq, result, *operands[2:])
    (sa, sb), (a, b) = ins, operands
    # sum away letters that appear in only one operand and not in the output
    for pos, (s, other) in enumerate(((sa, sb), (sb, sa))):
        drop = tuple(i for i, c in enumerate(s) if c not in out and c not in other)
        if drop:
            x = (a, b)[pos].sum(drop)
            s2 = "".join(c for c in s if c not in [s[i] for i in drop])
            if pos == 0:
                a, sa = x, s2
            else:
                b, sb = x, s2
    batch = [c for c in sa if c in sb and c in out]
    contract = [c for c in sa if c in sb and c not in out]
    a_only = [c for c in sa if c not in sb]
    b_only = [c for c in sb if c not in sa]
    size = {}
    for s, t in ((sa, a), (sb, b)):
        for c, n in zip(s, t.shape):
            if c in size and size[c] != n and 1 not in (size[c], n):
                raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes "
                                   f"(subscript {c!r}: {size[c]} vs {n})")
            size[c] = n if c not in size or size[c] == 1 else size[c]
    prod = lambda cs: __import__("math").prod(size[c] for c in cs)
    ap = a.permute([sa.index(c) for c in batch + a_only + contract])
    bp = b.permute([sb.index(c) for c in batch + contract + b_only])
    ap = ap.expand(tuple(size[c] for c in batch) + ap.shape[len(batch):]) if batch else ap
    bp = bp.expand(tuple(size[c] for c in batch) + bp.shape[len(batch):]) if batch else bp
    am = ap.reshape(tuple(size[c] for c in batch) + (prod(a_only), prod(contract)))
    bm = bp.reshape(tuple(size[c] for c in batch) + (prod(contract), prod(b_only)))
    r = (am @ bm).reshape(tuple(size[c] for c in batch + a_only + b_only))
    order = batch + a_only + b_only
    return r.permute([order.index(c) for c in out]) if order != list(out) else r


def _merge(sa: str, sb: str, rest: list, out: str) -> str:
    keep = set(out) | set("".join(rest))
    seen = []
    for c in sa + sb:
        if c in keep and c not in seen:
            seen.append(c)
    return "".join(seen)
