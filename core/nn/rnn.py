"""Recurrent layers: RNN, LSTM, GRU and their cells (being written)."""
from __future__ import annotations

from .module import Module


class RNNBase(Module):
    """Placeholder: being written."""


class RNN(RNNBase):
    """Placeholder: being written."""


class LSTM(RNNBase):
    """Placeholder: being written."""


class GRU(RNNBase):
    """Placeholder: being written."""


class RNNCell(Module):
    """Placeholder: being written."""


class LSTMCell(Module):
    """Placeholder: being written."""


class GRUCell(Module):
    """Placeholder: being written."""
