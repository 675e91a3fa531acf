"""View and alias programs: writes through views, views of views, ``.data`` and ``detach()``,
gradients through in-place ops on views, strides and PyTorch's errors.

Each program takes the library (``xgrad``, or ``torch`` in the project's oracle tests: the
programs use only API the two share) and a device name, and returns a list of results:
tensors, Python values, or the name of the exception a step raised. The suite runs every
program on the backend under test and on the reference backend and requires the same
results; the project's tests also compare them with PyTorch.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["VIEW_PROGRAMS", "raises"]


def raises(fn: Callable[[], Any]) -> str:
    """The name of the exception ``fn()`` raises, or ``"no error"``."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the type is the result
        return type(exc).__name__
    return "no error"


def _ar(lib: Any, dev: str, *shape: int) -> Any:
    n = 1
    for s in shape:
        n *= s
    return lib.arange(float(n), device=dev).reshape(*shape)


def _slice_fill(lib, dev):
    x = lib.zeros(4, device=dev)
    x[1:3].fill_(5.0)
    return [x]


def _slice_setitem(lib, dev):
    x = lib.zeros(2, 3, device=dev)
    v = x[:, 1]
    v[:] = 5.0
    return [x, v]


def _view_write(lib, dev):
    x = _ar(lib, dev, 2, 3)
    v = x.view(3, 2)
    v[0, 1] = 100.0
    return [x, v]


def _transpose_write(lib, dev):
    x = _ar(lib, dev, 2, 3)
    x.t()[0].fill_(-1.0)
    return [x]


def _row_fill(lib, dev):
    w = lib.ones(3, 2, device=dev)
    w[0].fill_(0.0)
    return [w]


def _data_add(lib, dev):
    p = lib.ones(3, device=dev, requires_grad=True)
    p.data.add_(1.0)
    return [p.detach(), p.requires_grad, p.is_leaf]


def _detach_zero(lib, dev):
    x = _ar(lib, dev, 3) * 1
    x.detach().zero_()
    return [x]


def _data_before_step(lib, dev):
    p = lib.ones(3, device=dev, requires_grad=True)
    d = p.data
    opt = lib.optim.SGD([p], lr=0.5)
    p.grad = lib.ones(3, device=dev)
    opt.step()
    return [d, p.detach()]


def _chain_of_three(lib, dev):
    x = _ar(lib, dev, 2, 3, 4)
    v = x[1].t()[2:]
    v.mul_(10.0)
    return [x, v]


def _write_through_the_middle(lib, dev):
    x = _ar(lib, dev, 8)
    a = x[2:]
    b = a[::2]
    a[1:3].fill_(0.0)
    return [x, a, b]


def _base_write_updates_views(lib, dev):
    x = _ar(lib, dev, 2, 3)
    views = [x[1], x[:, 1:], x.t(), x.unsqueeze(0), x[None], x.narrow(1, 1, 2), x.select(0, 1),
             x.view(6), x.reshape(3, 2), x.flatten(), x.mT, x.T, x.expand(2, 2, 3),
             *x.split(1, dim=1), *x.chunk(2), *x.unbind(1)]
    x.mul_(2.0)
    x[0, 0] = -7.0
    return views


def _setitem_on_view_of_view(lib, dev):
    x = lib.zeros(3, 4, device=dev)
    x[1][2:][0] = 9.0
    x[:, 0][1:] = lib.ones(2, device=dev)
    return [x]


def _copy_into_view(lib, dev):
    x = lib.zeros(2, 3, device=dev)
    x[:, :2].copy_(lib.ones(2, 2, device=dev) * 3)
    x.t()[2].copy_(lib.tensor([7.0, 8.0], device=dev))
    return [x]


def _grad_copyslices(lib, dev):
    w = lib.ones(2, 3, device=dev, requires_grad=True)
    y = w.clone()
    y[:, 0].mul_(2.0)
    (y * y).sum().backward()
    return [y.detach(), w.grad]


def _grad_view_written_with_other(lib, dev):
    w = lib.tensor([1.0, 2.0, 3.0], device=dev, requires_grad=True)
    u = lib.tensor([0.5, -1.0], device=dev, requires_grad=True)
    x = w * 1
    x[1:].add_(u * u)
    (x * lib.tensor([1.0, 10.0, 100.0], device=dev)).sum().backward()
    return [x.detach(), w.grad, u.grad]


def _grad_of_view_after_base_write(lib, dev):
    w = lib.tensor([1.0, 2.0, 3.0], device=dev, requires_grad=True)
    x = w * 2
    v = x[1:]
    x.mul_(3.0)
    (v * v).sum().backward()
    return [v.detach(), w.grad]


def _grad_saved_output_with_views(lib, dev):
    w = lib.tensor([0.5, 1.0, -0.5], device=dev, requires_grad=True)
    x = w * 1
    v = x[1:]  # x has a live view while an op that saves its own output runs on it
    x.exp_()
    x.sum().backward()
    return [x.detach(), v.detach(), w.grad]


def _metadata(lib, dev):
    x = _ar(lib, dev, 2, 3, 4)
    out = []
    for t in (x, x.transpose(0, 2), x[:, 1], x[..., 1:3], x[1:, ::2], x.permute(2, 0, 1),
              x[0].t(), x.unsqueeze(1)[0], x.expand(2, 2, 3, 4)[1], x.view(6, 4), x[1].view(12)):
        out.append([list(t.shape), list(t.stride()), t.storage_offset(), t.is_contiguous()])
    y = x.t() if x.ndim == 2 else x.transpose(0, 1)
    out.append([x[1]._base is x, x._base is None, x.detach()._base is None, y._base is x,
                x[0][1]._base is x])
    out.append(x[1:].untyped_storage().data_ptr() == x.untyped_storage().data_ptr())
    out.append(x.contiguous() is x)
    z = y.contiguous()
    out.append([z is y, z.is_contiguous(), z._base is None])
    return out


def _errors(lib, dev):
    x = _ar(lib, dev, 2, 3)
    w = lib.ones(3, device=dev, requires_grad=True)
    return [raises(lambda: x.t().view(6)),
            raises(lambda: x[::-1]),
            raises(lambda: w.mul_(2.0)),
            raises(lambda: w[1:].mul_(2.0)),
            raises(lambda: lib.ones(1, device=dev).expand(3).add_(1.0)),
            raises(lambda: x[0].view(4))]


def _modified_saved_tensors(lib, dev):
    def case(kind):
        w = lib.tensor([1.0, 2.0, 3.0], device=dev, requires_grad=True)
        a = w * 1
        v = a[1:]
        y = (v * v) if kind != "base via view" else (a * a)
        (a if kind == "view" else v).mul_(2.0)
        y.sum().backward()
    return [raises(lambda: case("view")), raises(lambda: case("base via view"))]


def _reshape_copies_only_when_needed(lib, dev):
    x = _ar(lib, dev, 2, 3)
    r1 = x.reshape(3, 2)  # a view
    r2 = x.t().reshape(6)  # a copy
    x.add_(100.0)
    return [r1, r2, r1._base is x, r2._base is None]


def _diagonal_write(lib, dev):
    x = lib.zeros(3, 4, device=dev)
    x.diagonal().fill_(1.0)
    x.diagonal(1).add_(2.0)
    d = x.diagonal(-1)
    d[0] = 7.0
    y = _ar(lib, dev, 2, 3, 3)
    y.diagonal(0, 1, 2).mul_(-1.0)  # a batch of diagonals
    return [x, d, y]


def _diagonal_grad(lib, dev):
    w = lib.arange(9.0, device=dev, requires_grad=True)
    y = w.reshape(3, 3).clone()
    y.diagonal().mul_(2.0)
    (y * y).sum().backward()
    v = lib.arange(12.0, device=dev, requires_grad=True)
    (v.reshape(3, 4).diagonal(1) ** 2).sum().backward()
    return [y.detach(), w.grad, v.grad]


def _unfold_write_and_grad(lib, dev):
    x = lib.arange(10.0, device=dev)
    u = x.unfold(0, 2, 3)  # windows with gaps between them
    u.mul_(-1.0)
    w = lib.arange(8.0, device=dev, requires_grad=True)
    (w.unfold(0, 3, 2) * lib.arange(3.0, device=dev)).sum().backward()
    m = _ar(lib, dev, 2, 6)
    patches = m.unfold(1, 2, 2)  # non-overlapping: writable
    patches[:, 1].zero_()
    return [x, u, w.grad, m]


def _strided_metadata(lib, dev):
    x = _ar(lib, dev, 2, 3, 4)
    out = []
    for t in (x.diagonal(), x.diagonal(1, 1, 2), x.diagonal(-1, 2, 0), x.diagonal(5),
              x.unfold(1, 2, 1), x.unfold(2, 2, 2), x.unfold(0, 1, 1), x.t().unfold(0, 3, 2)
              if x.ndim == 2 else x.transpose(0, 2).unfold(0, 3, 1),
              x[:, 1:].diagonal(0, 0, 2)):
        out.append([list(t.shape), list(t.stride()), t.storage_offset(), t.is_contiguous(),
                    t._base is x])
    return out


def _resize_view(lib, dev):
    x = _ar(lib, dev, 6)
    v = x[1:4]
    v.resize_(2)
    x.add_(10.0)
    y = _ar(lib, dev, 2, 3)
    y.resize_(4)
    z = _ar(lib, dev, 2)
    z.resize_(3)
    w = lib.ones(2, device=dev, requires_grad=True)
    return [v, x, v.storage_offset(), y, list(z.shape), z[:2], raises(lambda: w.resize_(3))]


def _numpy_values(lib, dev):
    # numpy() shares memory only on backends whose arrays are host numpy arrays (the numpy
    # backend, PyTorch's CPU tensors); everywhere an array taken before a write holds
    # either all the old or all the new values, and a fresh numpy() the current ones
    x = _ar(lib, dev, 2, 3)
    v = x[:, 1]
    before = x.numpy().copy()
    early = x.numpy()
    v.mul_(10.0)
    x.add_(1.0)
    now = x.numpy()
    stale_or_shared = bool((early == before).all() or (early == now).all())
    return [now.tolist(), v.numpy().tolist(), stale_or_shared]


def _tensor_copies_its_data(lib, dev):
    import numpy as np

    host = np.zeros(3, dtype=np.float32)
    t = lib.tensor(host, device=dev)
    host[0] = 1.0  # tensor() copies: a later write to the source does not reach it
    t.add_(2.0)  # ... nor a write to the tensor the source
    c = t.clone()
    c.mul_(10.0)  # a clone owns its storage
    return [t, host.tolist(), c]


#: name -> program(lib, device) -> list of results
VIEW_PROGRAMS: dict[str, Callable[[Any, str], list]] = {
    "slice_fill": _slice_fill,
    "slice_setitem": _slice_setitem,
    "view_write": _view_write,
    "transpose_write": _transpose_write,
    "row_fill": _row_fill,
    "data_add": _data_add,
    "detach_zero": _detach_zero,
    "data_before_step": _data_before_step,
    "chain_of_three": _chain_of_three,
    "write_through_the_middle": _write_through_the_middle,
    "base_write_updates_views": _base_write_updates_views,
    "setitem_on_view_of_view": _setitem_on_view_of_view,
    "copy_into_view": _copy_into_view,
    "grad_copyslices": _grad_copyslices,
    "grad_view_written_with_other": _grad_view_written_with_other,
    "grad_of_view_after_base_write": _grad_of_view_after_base_write,
    "grad_saved_output_with_views": _grad_saved_output_with_views,
    "metadata": _metadata,
    "errors": _errors,
    "modified_saved_tensors": _modified_saved_tensors,
    "reshape_copies_only_when_needed": _reshape_copies_only_when_needed,
    "diagonal_write": _diagonal_write,
    "diagonal_grad": _diagonal_grad,
    "unfold_write_and_grad": _unfold_write_and_grad,
    "strided_metadata": _strided_metadata,
    "resize_view": _resize_view,
    "numpy_values": _numpy_values,
    "tensor_copies_its_data": _tensor_copies_its_data,
}
