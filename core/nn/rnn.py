"""Recurrent layers as ``torch.nn``: RNN, LSTM, GRU and their single-step cells.

Parameter names, shapes, gate order and initialisation follow PyTorch, so state dicts are
interchangeable. Each layer computes the input projection of every time step in one matmul;
only the recurrent part loops over time.

A :class:`~xgrad.nn.utils.rnn.PackedSequence` input is run step by step on the rows still
running at each step (the batch is sorted by decreasing length, so they are a prefix); the
rest keep their state, so padding never touches the result and each sequence's final state
is the one at its true length. The output is packed the same way.
"""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from ..creation import empty, zeros
from ..ops.fused import linear
from ..ops.shape import cat, stack
from ..random import uniform_
from ..tensor import Tensor
from .functional import dropout
from .module import Module
from .parameter import Parameter
from .utils.rnn import PackedSequence

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# ---- one time step, shared by the layers and the cells ------------------------------------
def _rnn_step(xi: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None, relu: bool) -> Tensor:
    pre = xi + linear(h, w_hh, b_hh)
    return pre.relu() if relu else pre.tanh()


def _lstm_step(xi: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh: Tensor | None,
               w_hr: Tensor | None = None) -> tuple[Tensor, Tensor]:
    i, f, g, o = (xi + linear(h, w_hh, b_hh)).chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    if w_hr is not None:
        h = linear(h, w_hr)
    return h, c


def _gru_step(xi: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    xr, xz, xn = xi.chunk(3, -1)
    hr, hz, hn = linear(h, w_hh, b_hh).chunk(3, -1)
    r = (xr + hr).sigmoid()
    z = (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    return n + z * (h - n)


def _check_dropout(dropout: Any) -> float:
    if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) \
            or not 0 <= dropout <= 1:
        raise ValueError("dropout should be a number in range [0, 1] representing the "
                         f"probability of an element being zeroed, got {dropout!r}")
    return float(dropout)


def _check_sizes(input_size: Any, hidden_size: Any, positive: bool = True) -> None:
    """PyTorch's checks of the sizes: ints, and (for the multi-layer modules, not the cells)
    both greater than zero, raised at construction."""
    for name, v in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(v, int) or isinstance(v, bool):
            raise TypeError(f"{name} should be of type int, got: {type(v).__name__}")
    for name, v in (("input_size", input_size), ("hidden_size", hidden_size)):
        if positive and v <= 0:
            raise ValueError(f"{name} must be greater than zero, got {v}")


class RNNBase(Module):
    """Shared machinery of :class:`RNN`, :class:`LSTM` and :class:`GRU` (as ``torch.nn``)."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        _check_sizes(input_size, hidden_size)
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError(f"num_layers must be greater than zero, got {num_layers!r}")
        dropout = _check_dropout(dropout)
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = dropout
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate = _GATES[mode] * hidden_size
        out = proj_size or hidden_size
        dirs = 2 if bidirectional else 1
        self._flat_weights_names: list[str] = []
        for layer in range(num_layers):
            for suffix in ("", "_reverse")[:dirs]:
                in_size = input_size if layer == 0 else out * dirs
                shapes = [(f"weight_ih_l{layer}{suffix}", (gate, in_size)),
                          (f"weight_hh_l{layer}{suffix}", (gate, out))]
                if bias:
                    shapes += [(f"bias_ih_l{layer}{suffix}", (gate,)),
                               (f"bias_hh_l{layer}{suffix}", (gate,))]
                if proj_size:
                    shapes.append((f"weight_hr_l{layer}{suffix}", (proj_size, hidden_size)))
                for name, shape in shapes:
                    setattr(self, name, Parameter(empty(*shape, dtype=dtype, device=device)))
                    self._flat_weights_names.append(name)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: every weight and bias from U(-1/sqrt(hidden), 1/sqrt(hidden))."""
        k = 1.0 / math.sqrt(self.hidden_size)
        for w in self.parameters():
            uniform_(w, -k, k)

    def flatten_parameters(self) -> None:
        """No-op, for compatibility with PyTorch's cuDNN weight packing."""

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters grouped per layer and direction, as PyTorch."""
        per = len(self._flat_weights_names) // (self.num_layers * (2 if self.bidirectional else 1))
        ws = [getattr(self, n) for n in self._flat_weights_names]
        return [ws[i:i + per] for i in range(0, len(ws), per)]

    def extra_repr(self) -> str:
        """``input_size, hidden_size`` and every non-default option."""
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ---- forward helpers ---------------------------------------------------------------
    def _name(self) -> str:
        return type(self).__name__

    def _prepare_input(self, input: Tensor) -> tuple[Tensor, bool]:
        """Validate ``input``; return it as (L, N, H_in) and whether it was batched."""
        if not isinstance(input, Tensor):
            raise TypeError(f"{self._name()}: expected input to be a Tensor or a "
                            f"PackedSequence, got {type(input).__name__}")
        w = self.weight_ih_l0
        if input.dtype is not w.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({w.dtype}). Convert input: input.to({w.dtype}), or convert "
                             f"model: model.to({input.dtype})")
        if input.ndim not in (2, 3):
            raise ValueError(f"{self._name()}: Expected input to be 2D or 3D, got {input.ndim}D "
                             "tensor instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")
        if input.backend is not w.backend:
            raise RuntimeError(f"{self._name()}: input is on device '{input.device.type}' but "
                               f"the parameters are on '{w.device.type}'")
        batched = input.ndim == 3
        if not batched:
            return input.unsqueeze(1), False
        return (input.transpose(0, 1) if self.batch_first else input), True

    def _prepare_state(self, h: Tensor | None, x: Tensor, batched: bool, size: int,
                       what: str = "hidden") -> Tensor:
        """Validate an initial state (or make zeros) as (D*num_layers, N, size)."""
        dirs = 2 if self.bidirectional else 1
        expected = (self.num_layers * dirs, x.shape[1], size)
        if h is None:
            return zeros(*expected, dtype=x.dtype, device=x.backend)
        if not isinstance(h, Tensor):
            raise TypeError(f"{self._name()}: expected the initial {what} state to be a Tensor, "
                            f"got {type(h).__name__}")
        if batched and h.ndim != 3:
            raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {h.ndim}-D "
                               "tensor")
        if not batched:
            if h.ndim != 2:
                raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got "
                                   f"{h.ndim}-D tensor")
            h = h.unsqueeze(1)
        if tuple(h.shape) != expected:
            got = list(h.shape) if batched else [h.shape[0], h.shape[2]]
            exp = list(expected) if batched else [expected[0], expected[2]]
            raise RuntimeError(f"Expected {what} size {tuple(exp)}, got {got}")
        if h.dtype is not x.dtype or h.backend is not x.backend:
            raise RuntimeError(f"{self._name()}: expected the {what} state with dtype "
                               f"{x.dtype} on '{x.device.type}', got {h.dtype} on "
                               f"'{h.device.type}'")
        return h

    def _weights(self, layer: int, suffix: str) -> tuple:
        def get(kind: str) -> Tensor | None:
            return getattr(self, f"{kind}_l{layer}{suffix}", None)

        return (get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"),
                get("weight_hr"))

    def _direction(self, x: Tensor, h: Tensor, c: Tensor | None, layer: int,
                   reverse: bool) -> tuple[Tensor, Tensor, Tensor | None]:
        """Run one layer in one direction over the whole (L, N, in) sequence."""
        w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(layer, "_reverse" if reverse else "")
        steps = linear(x, w_ih, b_ih).unbind(0)
        n = len(steps)
        outs: list[Tensor | None] = [None] * n
        mode = self.mode
        for t in (range(n - 1, -1, -1) if reverse else range(n)):
            if mode == "LSTM":
                h, c = _lstm_step(steps[t], h, c, w_hh, b_hh, w_hr)
            elif mode == "GRU":
                h = _gru_step(steps[t], h, w_hh, b_hh)
            else:
                h = _rnn_step(steps[t], h, w_hh, b_hh, mode == "RNN_RELU")
            outs[t] = h
        return stack(outs, 0), h, c

    def _run(self, x: Tensor, h0: Tensor, c0: Tensor | None) -> tuple:
        """All layers and directions; returns (output, h_n, c_n or None) in (L, N, ...)."""
        if x.shape[0] == 0:
            raise RuntimeError(f"{self._name()}: expected a sequence of at least one step, got "
                               f"input of shape {list(x.shape)}")
        dirs = 2 if self.bidirectional else 1
        hs, cs = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                out, h, c = self._direction(x, h0[k], None if c0 is None else c0[k], layer,
                                            d == 1)
                outs.append(out)
                hs.append(h)
                cs.append(c)
            x = outs[0] if dirs == 1 else cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = dropout(x, self.dropout, True)
        return x, stack(hs, 0), (stack(cs, 0) if c0 is not None else None)

    # ---- PackedSequence input ----------------------------------------------------------
    def _direction_packed(self, x: Tensor, sizes: list, h: Tensor, c: Tensor | None,
                          layer: int, reverse: bool) -> tuple[Tensor, Tensor, Tensor | None]:
        """One layer in one direction over packed ``x`` (rows of step ``t``: ``sizes[t]``)."""
        w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(layer, "_reverse" if reverse else "")
        steps = linear(x, w_ih, b_ih).split(sizes, 0)
        n, batch = len(steps), h.shape[0]
        outs: list[Tensor | None] = [None] * n
        mode = self.mode
        for t in (range(n - 1, -1, -1) if reverse else range(n)):
            bs = sizes[t]
            hp = h if bs == batch else h[:bs]
            if mode == "LSTM":
                cp = c if bs == batch else c[:bs]
                hp, cp = _lstm_step(steps[t], hp, cp, w_hh, b_hh, w_hr)
                c = cp if bs == batch else cat([cp, c[bs:]], 0)
            elif mode == "GRU":
                hp = _gru_step(steps[t], hp, w_hh, b_hh)
            else:
                hp = _rnn_step(steps[t], hp, w_hh, b_hh, mode == "RNN_RELU")
            outs[t] = hp
            h = hp if bs == batch else cat([hp, h[bs:]], 0)
        return cat(outs, 0), h, c

    def _forward_packed(self, packed: PackedSequence, hx: Any) -> tuple:
        """Run on a PackedSequence; returns ``(PackedSequence, h_n)`` (LSTM:
        ``(PackedSequence, (h_n, c_n))``) with states in the caller's batch order."""
        data = packed.data
        if data.ndim != 2:
            raise RuntimeError(f"input must have 2 dimensions, got {data.ndim}")
        sizes = [int(v) for v in packed.batch_sizes.tolist()]
        like, _ = self._prepare_input(data[:sizes[0]].unsqueeze(1 if self.batch_first else 0))
        lstm = self.mode == "LSTM"
        if lstm:
            if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
                raise TypeError("LSTM: expected hx to be a tuple (h_0, c_0) of two Tensors, "
                                f"got {type(hx).__name__}")
            states = [None, None] if hx is None else list(hx)
        else:
            states = [hx]
        if packed.sorted_indices is not None:
            states = [None if s is None or not isinstance(s, Tensor) else
                      s.index_select(1, packed.sorted_indices) for s in states]
        h0 = self._prepare_state(states[0], like, True, self.proj_size or self.hidden_size)
        c0 = self._prepare_state(states[1], like, True, self.hidden_size, "cell") \
            if lstm else None
        dirs = 2 if self.bidirectional else 1
        x, hs, cs = data, [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                out, h, c = self._direction_packed(x, sizes, h0[k], None if c0 is None else c0[k],
                                                   layer, d == 1)
                outs.append(out)
                hs.append(h)
                cs.append(c)
            x = outs[0] if dirs == 1 else cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = dropout(x, self.dropout, True)
        finals = [stack(hs, 0)] + ([stack(cs, 0)] if lstm else [])
        if packed.unsorted_indices is not None:
            finals = [f.index_select(1, packed.unsorted_indices) for f in finals]
        out = PackedSequence(x, packed.batch_sizes, packed.sorted_indices,
                             packed.unsorted_indices)
        return out, (tuple(finals) if lstm else finals[0])

    def _finish(self, out: Tensor, states: tuple, batched: bool) -> tuple:
        if not batched:
            return out.squeeze(1), tuple(s.squeeze(1) for s in states)
        if self.batch_first:
            out = out.transpose(0, 1)
        return out, states


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or ReLU).

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``; ``forward(input, hx=None)``
    returns ``(output, h_n)`` with PyTorch's shapes.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """``(output, h_n)``: output (L, N, D*H) (batch_first: (N, L, D*H)), h_n
        (D*num_layers, N, H); unbatched input drops the N dimension. A PackedSequence
        input gives a PackedSequence output."""
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        x, batched = self._prepare_input(input)
        h0 = self._prepare_state(hx, x, batched, self.hidden_size)
        out, h, _ = self._run(x, h0, None)
        out, (h,) = self._finish(out, (h,), batched)
        return out, h


class LSTM(RNNBase):
    """Long short-term memory (gates i, f, g, o as PyTorch), with optional projections.

    ``forward(input, (h_0, c_0)=None)`` returns ``(output, (h_n, c_n))``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
                ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """``(output, (h_n, c_n))`` with PyTorch's shapes (PackedSequence in, PackedSequence
        out)."""
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        x, batched = self._prepare_input(input)
        if hx is None:
            h0 = c0 = None
        elif not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError("LSTM: expected hx to be a tuple (h_0, c_0) of two Tensors, got "
                            f"{type(hx).__name__}")
        else:
            h0, c0 = hx
            if batched and (h0.ndim != 3 or c0.ndim != 3):
                raise RuntimeError("For batched 3-D input, hx and cx should also be 3-D but got "
                                   f"({h0.ndim}-D, {c0.ndim}-D) tensors")
            if not batched and (h0.ndim != 2 or c0.ndim != 2):
                raise RuntimeError("For unbatched 2-D input, hx and cx should also be 2-D but "
                                   f"got ({h0.ndim}-D, {c0.ndim}-D) tensors")
        h0 = self._prepare_state(h0, x, batched, self.proj_size or self.hidden_size)
        c0 = self._prepare_state(c0, x, batched, self.hidden_size, "cell")
        out, h, c = self._run(x, h0, c0)
        out, (h, c) = self._finish(out, (h, c), batched)
        return out, (h, c)


class GRU(RNNBase):
    """Gated recurrent unit (gates r, z, n; ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``).

    ``forward(input, hx=None)`` returns ``(output, h_n)``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device: Any = None, dtype: Any = None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """``(output, h_n)`` with PyTorch's shapes (PackedSequence in, PackedSequence out)."""
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        x, batched = self._prepare_input(input)
        h0 = self._prepare_state(hx, x, batched, self.hidden_size)
        out, h, _ = self._run(x, h0, None)
        out, (h,) = self._finish(out, (h,), batched)
        return out, h


# ---- cells ---------------------------------------------------------------------------------
class RNNCellBase(Module):
    """Parameters ``weight_ih`` (G*H, in), ``weight_hh`` (G*H, H), ``bias_ih``, ``bias_hh``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        _check_sizes(input_size, hidden_size, positive=False)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        g = num_chunks * hidden_size
        self.weight_ih = Parameter(empty(g, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(empty(g, hidden_size, dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(empty(g, dtype=dtype, device=device))
            self.bias_hh = Parameter(empty(g, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(hidden), 1/sqrt(hidden)) (0 for no hidden
        units, as PyTorch)."""
        k = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for w in self.parameters():
            uniform_(w, -k, k)

    def extra_repr(self) -> str:
        """``input_size, hidden_size`` and non-default options."""
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nl = getattr(self, "nonlinearity", "tanh")
        return s + (f", nonlinearity={nl}" if nl != "tanh" else "")

    def _prepare(self, input: Tensor, hx: Any, n_states: int) -> tuple[Tensor, tuple, bool]:
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected input to be a Tensor, got {type(input).__name__}")
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} "
                               f"expected {self.input_size}")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        if hx is None:
            z = zeros(x.shape[0], self.hidden_size, dtype=x.dtype, device=x.backend)
            return x, (z,) * n_states, batched
        states = tuple(hx) if n_states == 2 else (hx,)
        out = []
        for s in states:
            if not isinstance(s, Tensor):
                raise TypeError(f"{name}: expected the hidden state to be a Tensor, got "
                                f"{type(s).__name__}")
            if s.ndim != input.ndim:
                raise RuntimeError(f"{name}: Expected hidden to be {input.ndim}D for "
                                   f"{input.ndim}D input, got {s.ndim}D instead")
            s = s if batched else s.unsqueeze(0)
            if tuple(s.shape) != (x.shape[0], self.hidden_size):
                raise RuntimeError(f"hidden{'' if len(out) == 0 else '[1]'} has inconsistent "
                                   f"size: got {list(s.shape)}, expected "
                                   f"{[x.shape[0], self.hidden_size]}")
            out.append(s)
        return x, tuple(out), batched


class RNNCell(RNNCellBase):
    """One Elman RNN step: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or ReLU)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        """The next hidden state, (N, H) or (H,)."""
        x, (h,), batched = self._prepare(input, hx, 1)
        h = _rnn_step(linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh,
                      self.nonlinearity == "relu")
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step; ``forward(input, (h, c)=None)`` returns ``(h', c')``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
                ) -> tuple[Tensor, Tensor]:
        """``(h', c')``, each (N, H) or (H,)."""
        x, (h, c), batched = self._prepare(input, hx, 2)
        h, c = _lstm_step(linear(x, self.weight_ih, self.bias_ih), h, c, self.weight_hh,
                          self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (gates r, z, n as PyTorch)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        """The next hidden state, (N, H) or (H,)."""
        x, (h,), batched = self._prepare(input, hx, 1)
        h = _gru_step(linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)
