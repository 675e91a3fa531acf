"""Compiled training steps: ``xgrad.compile`` of a whole step (forward, backward, optimizer)
gives the results of eager mode on the backend under test.

Each entry of :data:`COMPILED_PROGRAMS` builds a small model and its optimizer; the check
trains it for :data:`STEPS` seeded steps eagerly and again, from the same initial state,
through ``xgrad.compile``, and compares losses, parameters, gradients and the random
generator's state. A backend without ``compile_program`` replays the same kernels in the
same order, so any difference there is a capture or replay bug; a backend with its own
``compile_program`` (a jit of the whole program, a CUDA graph) may reorder floating-point
work, so values are compared with the dtype's forward tolerance. The check also requires
that the steps really replayed: a silent fallback to eager mode would pass an equality test
for the wrong reason.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["COMPILED_PROGRAMS", "STEPS", "check_compiled", "train"]

#: Steps per run: the first three capture (the first step also creates the gradients; the
#: next two record the steady step and check the record is stable), the rest replay.
STEPS = 6


def _mlp(nn: Any) -> Any:
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))


def _cnn(nn: Any) -> Any:
    return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(4 * 4 * 4, 3))


def _lstm(nn: Any) -> Any:
    class LSTMNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.LSTM(5, 7, batch_first=True)
            self.fc = nn.Linear(7, 3)

        def forward(self, x: Any) -> Any:
            out, _ = self.rnn(x)
            return self.fc(out[:, -1])

    return LSTMNet()


def _transformer(nn: Any) -> Any:
    class TransformerNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
            self.fc = nn.Linear(8, 3)

        def forward(self, x: Any) -> Any:
            return self.fc(self.enc(x).mean(1))

    return TransformerNet()


def _dropout_mlp(nn: Any) -> Any:
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))


#: name -> (model builder taking ``xgrad.nn``, optimizer builder taking ``(optim, params)``,
#: input batch shape). Targets are class indices in ``range(3)``.
COMPILED_PROGRAMS: dict[str, tuple[Callable, Callable, tuple[int, ...]]] = {
    "mlp_sgd": (_mlp, lambda o, p: o.SGD(p, lr=0.1), (6, 8)),
    "mlp_sgd_momentum": (lambda nn: nn.Sequential(nn.Linear(8, 16), nn.Tanh(),
                                                  nn.Linear(16, 3)),
                         lambda o, p: o.SGD(p, lr=0.1, momentum=0.9, nesterov=True), (6, 8)),
    "mlp_adam": (_mlp, lambda o, p: o.Adam(p, lr=0.01), (6, 8)),
    "mlp_dropout_adamw": (_dropout_mlp, lambda o, p: o.AdamW(p, lr=0.01), (6, 8)),
    "cnn_adam": (_cnn, lambda o, p: o.Adam(p, lr=0.01), (4, 2, 8, 8)),
    "lstm_adam": (_lstm, lambda o, p: o.Adam(p, lr=0.01), (4, 6, 5)),
    "transformer_adam": (_transformer, lambda o, p: o.Adam(p, lr=0.01), (4, 5, 8)),
}


def train(name: str, backend: str, dtype: str, compiled: bool, steps: int = STEPS) -> dict:
    """Train program ``name`` on ``backend`` for ``steps`` seeded steps; returns the step
    function, losses, parameters, gradients (numpy), the generator state and the optimizer."""
    import xgrad

    build, make_opt, shape = COMPILED_PROGRAMS[name]
    xgrad.manual_seed(0)
    dt = getattr(xgrad, dtype)
    model = build(xgrad.nn).to(device=backend, dtype=dt)
    opt = make_opt(xgrad.optim, model.parameters())
    loss_fn = xgrad.nn.functional.cross_entropy

    def step(x: Any, y: Any) -> Any:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    fn = xgrad.compile(step) if compiled else step
    rng = np.random.default_rng(1)
    losses = []
    for _ in range(steps):  # a new batch every step: replay must bind the new inputs
        x = xgrad.tensor(rng.standard_normal(shape), dtype=dt, device=backend)
        y = xgrad.tensor(rng.integers(0, 3, shape[0]), device=backend)
        losses.append(fn(x, y).numpy().copy())
    gen = xgrad.random.default_generator.get_state().tolist()
    return {"fn": fn, "losses": losses, "opt": opt, "generator": gen,
            "params": [p.detach().numpy().copy() for p in model.parameters()],
            "grads": [p.grad.numpy().copy() for p in model.parameters()]}


def check_compiled(name: str, backend: str, dtype: str, rtol: float, atol: float) -> None:
    """Compiled training of program ``name`` equals eager training on ``backend``; raises
    :class:`~xgrad.conformance.checks.ConformanceFailure` naming the first difference."""
    from xgrad.backends import get_backend

    from .checks import ConformanceFailure

    eager = train(name, backend, dtype, compiled=False)
    comp = train(name, backend, dtype, compiled=True)
    fn = comp["fn"]
    where = f"compiled program {name!r} on backend {backend!r}, dtype {dtype}"
    repro = ("\n\n--- reproducer ---\nfrom xgrad.conformance.compiled import check_compiled\n"
             f"check_compiled({name!r}, {backend!r}, {dtype!r}, rtol={rtol}, atol={atol})\n"
             "--- end reproducer ---")
    if fn.reasons() or fn.stats["replays"] < STEPS - 4:
        raise ConformanceFailure(f"{where}: the step did not replay (stats {fn.stats}, "
                                 f"reasons {fn.reasons()})" + repro)
    exact = getattr(get_backend(backend), "compile_program", None) is None
    for kind in ("losses", "params", "grads"):
        for i, (w, g) in enumerate(zip(eager[kind], comp[kind])):
            same = np.array_equal(g, w, equal_nan=True) if exact else np.allclose(
                g, w, rtol=rtol, atol=atol, equal_nan=True)
            if g.shape != w.shape or g.dtype != w.dtype or not same:
                bad = np.argwhere(~np.isclose(g, w, rtol=0 if exact else rtol,
                                              atol=0 if exact else atol, equal_nan=True)) \
                    if g.shape == w.shape else []
                at = f" first at {tuple(bad[0])}: compiled {g[tuple(bad[0])]!r}, eager " \
                     f"{w[tuple(bad[0])]!r}" if len(bad) else ""
                rule = "bit for bit (the same kernels in the same order)" if exact else \
                    f"within rtol={rtol}, atol={atol} (the backend compiles programs)"
                raise ConformanceFailure(
                    f"{where}: {kind[:-1]} {i} differs from eager mode{at}; expected equal "
                    f"{rule}; compiled {g.dtype}{list(g.shape)}, eager {w.dtype}{list(w.shape)}"
                    + repro)
    if comp["generator"] != eager["generator"]:
        raise ConformanceFailure(f"{where}: the random generator's state after the compiled "
                                 "steps differs from eager mode's (replay must advance it "
                                 "exactly as the eager draws do)" + repro)
