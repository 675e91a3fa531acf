"""Layer and optimizer cases (registered when ``xgrad.nn`` and ``xgrad.optim`` import)."""
from __future__ import annotations

from .spec import Idx, ModuleCase, OptimCase, T, register_module_case, register_optim_case

__all__ = ["MODULE_CASES", "OPTIM_CASES"]


def _nn():
    import xgrad.nn as nn

    return nn


def _optim():
    import xgrad.optim as optim

    return optim


def _m(name: str, make, *inputs, domain="real") -> ModuleCase:
    return ModuleCase(name, make, tuple(inputs), domain=domain)


MODULE_CASES = [
    _m("Linear", lambda: _nn().Linear(3, 4), T(2, 3)),
    _m("Bilinear", lambda: _nn().Bilinear(3, 2, 4), T(2, 3), T(2, 2)),
    _m("Conv1d", lambda: _nn().Conv1d(2, 3, 3, padding=1), T(1, 2, 5)),
    _m("Conv2d", lambda: _nn().Conv2d(2, 3, 2, padding=1), T(1, 2, 3, 3)),
    _m("Conv2d.groups", lambda: _nn().Conv2d(2, 4, 2, stride=2, groups=2), T(1, 2, 4, 4)),
    _m("ConvTranspose2d", lambda: _nn().ConvTranspose2d(2, 1, 2, stride=2), T(1, 2, 2, 3)),
    _m("MaxPool2d", lambda: _nn().MaxPool2d(2), T(1, 2, 4, 4)),
    _m("AvgPool2d", lambda: _nn().AvgPool2d(2), T(1, 2, 4, 4)),
    _m("AdaptiveAvgPool2d", lambda: _nn().AdaptiveAvgPool2d((2, 2)), T(1, 2, 3, 3)),
    _m("BatchNorm1d", lambda: _nn().BatchNorm1d(3), T(4, 3)),
    _m("BatchNorm2d", lambda: _nn().BatchNorm2d(2), T(2, 2, 2, 3)),
    _m("LayerNorm", lambda: _nn().LayerNorm(4), T(3, 4)),
    _m("GroupNorm", lambda: _nn().GroupNorm(2, 4), T(2, 4, 3)),
    _m("Embedding", lambda: _nn().Embedding(5, 3), Idx((2, 3), 5)),
    _m("Dropout", lambda: _nn().Dropout(0.5), T(4, 5)),
    _m("RNN", lambda: _nn().RNN(3, 4, batch_first=True), T(2, 3, 3)),
    _m("LSTM", lambda: _nn().LSTM(3, 2), T(3, 2, 3)),
    _m("GRU", lambda: _nn().GRU(2, 3, num_layers=2), T(3, 1, 2)),
    _m("RNNCell", lambda: _nn().RNNCell(3, 4), T(2, 3)),
    _m("LSTMCell", lambda: _nn().LSTMCell(3, 2), T(2, 3)),
    _m("GRUCell", lambda: _nn().GRUCell(3, 2), T(2, 3)),
    _m("MultiheadAttention", lambda: _nn().MultiheadAttention(4, 2, batch_first=True),
       T(2, 3, 4), T(2, 3, 4), T(2, 3, 4)),
    _m("TransformerEncoderLayer", lambda: _nn().TransformerEncoderLayer(
        4, 2, dim_feedforward=6, dropout=0.0, batch_first=True), T(2, 3, 4)),
    _m("Sequential", lambda: _nn().Sequential(_nn().Linear(3, 5), _nn().GELU(), _nn().Linear(5, 2),
                                              _nn().LogSoftmax(-1)), T(4, 3)),
    _m("CrossEntropyLoss", lambda: _nn().CrossEntropyLoss(label_smoothing=0.1), T(3, 4),
       Idx((3,), 4)),
    _m("MSELoss", lambda: _nn().MSELoss(), T(2, 3), T(2, 3)),
]


def _o(name: str, make, fused: str | None = None) -> OptimCase:
    return OptimCase(name, make, fused=fused)


OPTIM_CASES = [
    _o("SGD", lambda ps: _optim().SGD(ps, lr=0.1), "sgd_step"),
    _o("SGD.momentum", lambda ps: _optim().SGD(ps, lr=0.1, momentum=0.9, dampening=0.1,
                                               weight_decay=0.01), "sgd_step"),
    _o("SGD.nesterov", lambda ps: _optim().SGD(ps, lr=0.1, momentum=0.9, nesterov=True,
                                               maximize=True), "sgd_step"),
    _o("Adam", lambda ps: _optim().Adam(ps, lr=0.01), "adam_step"),
    _o("Adam.amsgrad", lambda ps: _optim().Adam(ps, lr=0.01, amsgrad=True, weight_decay=0.1),
       "adam_step"),
    _o("Adam.maximize", lambda ps: _optim().Adam(ps, lr=0.01, maximize=True), "adam_step"),
    # beta2 = 0.5: exp_avg_sq falls between steps, so the amsgrad running max matters
    _o("Adam.amsgrad.beta2", lambda ps: _optim().Adam(ps, lr=0.01, betas=(0.9, 0.5),
                                                      amsgrad=True), "adam_step"),
    _o("AdamW", lambda ps: _optim().AdamW(ps, lr=0.01, weight_decay=0.1), "adam_step"),
    _o("Adagrad", lambda ps: _optim().Adagrad(ps, lr=0.1)),
    _o("Adadelta", lambda ps: _optim().Adadelta(ps, lr=1.0)),
    _o("Adamax", lambda ps: _optim().Adamax(ps, lr=0.01)),
    _o("NAdam", lambda ps: _optim().NAdam(ps, lr=0.01)),
    _o("RMSprop", lambda ps: _optim().RMSprop(ps, lr=0.01, momentum=0.5, centered=True)),
]

register_module_case(*MODULE_CASES)
register_optim_case(*OPTIM_CASES)
