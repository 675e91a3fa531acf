"""``xgrad.utils.summary``: the layer table torchinfo prints for a model.

One forward pass (under ``no_grad``) with hooks on every module records each call's
input and output shapes; the table lists the calls depth-indented, with parameter
counts, whether they train, totals and an estimate of the memory a training step needs.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..autograd import no_grad
from ..creation import zeros
from ..dtypes import float32
from ..nn import Module
from ..random import randn
from ..tensor import Tensor

__all__ = ["summary", "ModelStatistics", "LayerInfo"]

COLUMNS = ("input_size", "output_size", "num_params", "params_percent", "kernel_size", "mult_adds",
           "trainable")
_HEADERS = {"input_size": "Input Shape", "output_size": "Output Shape", "num_params": "Param #",
            "params_percent": "Param %", "kernel_size": "Kernel Shape", "mult_adds": "Mult-Adds",
            "trainable": "Trainable"}


def _shapes(obj: Any) -> Any:
    if isinstance(obj, Tensor):
        return list(obj.shape)
    if isinstance(obj, (tuple, list)):
        shapes = [s for s in (_shapes(o) for o in obj) if s is not None]
        return shapes[0] if len(shapes) == 1 else shapes or None
    if isinstance(obj, dict):
        return _shapes(list(obj.values()))
    return None


def _tensors(obj: Any) -> list[Tensor]:
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in _tensors(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _tensors(o)]
    return []


class LayerInfo:
    """One module call of the recorded forward pass (a row of the table)."""

    def __init__(self, module: Module, name: str, depth: int, index: int) -> None:
        self.module, self.name, self.depth, self.depth_index = module, name, depth, index
        self.class_name = type(module).__name__
        self.input_size: Any = None
        self.output_size: Any = None
        self.output_bytes = 0
        self.is_leaf = not any(True for _ in module.children())
        params = list(module.parameters())
        self.num_params = sum(p.numel() for p in params)
        self.trainable_params = sum(p.numel() for p in params if p.requires_grad)
        self.own_params = sum(p.numel() for p in module.parameters(recurse=False))
        w = getattr(module, "weight", None)
        self.kernel_size = list(w.shape[2:]) if isinstance(w, Tensor) and w.dim() > 2 else None
        self.mult_adds = 0

    def trainable(self) -> str:
        """``True``, ``False``, ``Partial`` or ``--`` (no parameters), as torchinfo."""
        if self.num_params == 0:
            return "--"
        if self.trainable_params == self.num_params:
            return "True"
        return "False" if self.trainable_params == 0 else "Partial"


class ModelStatistics:
    """What :func:`summary` found; ``str()`` is the table."""

    def __init__(self, rows: list[LayerInfo], model: Module, input_bytes: int, col_names: Sequence[str],
                 col_width: int, depth: int) -> None:
        self.summary_list = rows
        params = {id(p): p for p in model.parameters()}
        self.total_params = sum(p.numel() for p in params.values())
        self.trainable_params = sum(p.numel() for p in params.values() if p.requires_grad)
        self.non_trainable_params = self.total_params - self.trainable_params
        self.total_mult_adds = sum(r.mult_adds for r in rows)
        self.total_input = input_bytes
        self.total_output_bytes = 2 * sum(r.output_bytes for r in rows if r.is_leaf)  # values + grads
        self.total_param_bytes = sum(p.numel() * p.element_size() for p in params.values())
        self.col_names, self.col_width, self.depth = tuple(col_names), col_width, depth

    def _param_cell(self, r: LayerInfo, shown_children: bool) -> str:
        n = r.own_params if shown_children else r.num_params
        return f"{n:,}" if n else "--"

    def __str__(self) -> str:
        name_w = 40
        width = name_w + self.col_width * len(self.col_names)
        bar = "=" * width
        head = "Layer (type:depth-idx)".ljust(name_w) + "".join(
            _HEADERS[c].ljust(self.col_width) for c in self.col_names)
        lines = [bar, head.rstrip(), bar]
        rows = [r for r in self.summary_list if r.depth <= self.depth]
        for i, r in enumerate(rows):
            nxt = rows[i + 1] if i + 1 < len(rows) else None
            shown_children = nxt is not None and nxt.depth > r.depth
            if r.depth == 0:
                label = r.class_name
            else:
                later = rows[i + 1:]
                def continues(d: int, later: list = later) -> bool:
                    for o in later:
                        if o.depth < d:
                            return False
                        if o.depth == d:
                            return True
                    return False
                prefix = "".join("│    " if continues(d) else "     " for d in range(1, r.depth))
                branch = "├─" if continues(r.depth) else "└─"
                label = f"{prefix}{branch}{r.class_name}: {r.depth}-{r.depth_index}"
            cells = []
            for c in self.col_names:
                if c == "input_size":
                    cells.append(str(r.input_size) if r.input_size is not None else "--")
                elif c == "output_size":
                    cells.append(str(r.output_size) if r.output_size is not None else "--")
                elif c == "num_params":
                    cells.append(self._param_cell(r, shown_children))
                elif c == "params_percent":
                    n = r.own_params if shown_children else r.num_params
                    cells.append(f"{100 * n / self.total_params:.2f}%" if n and self.total_params else "--")
                elif c == "kernel_size":
                    cells.append(str(r.kernel_size) if r.kernel_size else "--")
                elif c == "mult_adds":
                    cells.append(f"{r.mult_adds:,}" if r.mult_adds else "--")
                else:
                    cells.append(r.trainable())
            lines.append((label.ljust(name_w) + "".join(c.ljust(self.col_width) for c in cells)).rstrip())
        mb = 1e6
        total = self.total_input + self.total_output_bytes + self.total_param_bytes
        lines += [bar, f"Total params: {self.total_params:,}",
                  f"Trainable params: {self.trainable_params:,}",
                  f"Non-trainable params: {self.non_trainable_params:,}",
                  f"Total mult-adds (M): {self.total_mult_adds / mb:.2f}", bar,
                  f"Input size (MB): {self.total_input / mb:.2f}",
                  f"Forward/backward pass size (MB): {self.total_output_bytes / mb:.2f}",
                  f"Params size (MB): {self.total_param_bytes / mb:.2f}",
                  f"Estimated Total Size (MB): {total / mb:.2f}", bar]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)


def _mult_adds(m: Module, out: Any) -> int:
    w = getattr(m, "weight", None)
    outs = _tensors(out)
    if not isinstance(w, Tensor) or not outs:
        return 0
    o = outs[0]
    name = type(m).__name__
    if name == "Linear":
        return w.numel() * (o.numel() // max(o.shape[-1], 1))
    if name.startswith("Conv") and o.dim() >= 3:
        spatial = o.numel() // (o.shape[0] * o.shape[1]) if o.shape[0] and o.shape[1] else 0
        return w.numel() * spatial * o.shape[0]
    return 0


def summary(model: Module, input_size: Sequence | None = None, input_data: Any = None,
            batch_dim: int | None = None, col_names: Sequence[str] | None = None, col_width: int = 25,
            depth: int = 3, device: Any = None, dtypes: Sequence | None = None, verbose: int = 1,
            **kwargs: Any) -> ModelStatistics:
    """Run ``model`` once on ``input_data`` (or random inputs of ``input_size``) and return
    (and, with ``verbose`` >= 1, print) its layer table, as ``torchinfo.summary``.

    ``col_names`` picks from ``input_size``, ``output_size``, ``num_params``,
    ``params_percent``, ``kernel_size``, ``mult_adds``, ``trainable`` (default: output size
    and parameter count); ``depth`` limits how deep nested modules are listed. Extra keyword
    arguments go to ``model.forward``.
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary: expected model to be an xgrad.nn.Module, got {type(model).__name__}")
    col_names = tuple(col_names) if col_names is not None else ("output_size", "num_params")
    bad = [c for c in col_names if c not in COLUMNS]
    if bad:
        raise ValueError(f"summary: unknown col_names {bad}; expected a subset of {list(COLUMNS)}")
    if depth < 0:
        raise ValueError(f"summary: depth must be >= 0, got {depth}")
    if input_data is not None:
        args = input_data if isinstance(input_data, (tuple, list)) else [input_data]
    elif input_size is not None:
        sizes = [input_size] if all(isinstance(s, int) for s in input_size) else list(input_size)
        dtypes = list(dtypes) if dtypes is not None else [float32] * len(sizes)
        if len(dtypes) != len(sizes):
            raise ValueError(f"summary: got {len(sizes)} input sizes but {len(dtypes)} dtypes")
        args = []
        for s, dt in zip(sizes, dtypes):
            s = list(s)
            if batch_dim is not None:
                s.insert(batch_dim, 1)
            make = randn if dt.is_floating_point else zeros
            args.append(make(*s, dtype=dt, device=device))
    else:
        args = []
    input_bytes = sum(t.numel() * t.element_size() for t in _tensors(args))

    names = {id(m): n for n, m in model.named_modules()}
    rows: list[LayerInfo] = []
    stack: list[LayerInfo] = []
    counters: dict[int, int] = {}

    def pre(m: Module, inp: tuple) -> None:
        d = len(stack)
        counters[d] = counters.get(d, 0) + 1
        row = LayerInfo(m, names.get(id(m), ""), d, counters[d])
        row.input_size = _shapes(inp)
        rows.append(row)
        stack.append(row)

    def post(m: Module, inp: tuple, out: Any) -> None:
        row = stack.pop()
        row.output_size = _shapes(out)
        row.output_bytes = sum(t.numel() * t.element_size() for t in _tensors(out))
        row.mult_adds = _mult_adds(m, out)

    handles = []
    for m in model.modules():
        handles.append(m.register_forward_pre_hook(pre))
        handles.append(m.register_forward_hook(post))
    try:
        with no_grad():
            model(*args, **kwargs)
    finally:
        for h in handles:
            h.remove()
    stats = ModelStatistics(rows, model, input_bytes, col_names, col_width, depth)
    if verbose:
        print(stats)
    return stats
