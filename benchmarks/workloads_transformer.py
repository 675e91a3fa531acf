"""One training step of a small Transformer encoder layer: ``nn.TransformerEncoderLayer``
(d_model 128, 4 heads, dim_feedforward 512, dropout 0, ReLU, post-norm, batch_first) on a
(16, 64, 128) batch, mean-squared-error loss against a random target, SGD(lr=0.01)."""
from __future__ import annotations

import functools

import numpy as np

from . import Impl, Workload, init_uniform
from .workloads_common import framework_builder

LR = 0.01
B, S, D, H, FF = 16, 64, 128, 4, 512
DH = D // H
EPS = 1e-5
NEEDS = ("nn.TransformerEncoderLayer", "optim.SGD")
SHAPES = {"self_attn.in_proj_weight": (3 * D, D), "self_attn.in_proj_bias": (3 * D,),
          "self_attn.out_proj.weight": (D, D), "self_attn.out_proj.bias": (D,),
          "linear1.weight": (FF, D), "linear1.bias": (FF,),
          "linear2.weight": (D, FF), "linear2.bias": (D,),
          "norm1.weight": (D,), "norm1.bias": (D,), "norm2.weight": (D,), "norm2.bias": (D,)}


def make_data(seed: int, batch: int = B, seq: int = S) -> dict[str, np.ndarray]:
    """Random inputs/targets; every weight random (non-zero biases, LayerNorm scales near 1)
    so that every gradient path is exercised by the agreement check."""
    rng = np.random.default_rng(seed)
    data = {"x": rng.standard_normal((batch, seq, D)).astype(np.float32),
            "target": rng.standard_normal((batch, seq, D)).astype(np.float32)}
    for name, shape in SHAPES.items():
        fan_in = FF if name.startswith("linear2") else D
        data[name] = init_uniform(rng, shape, fan_in)
        if name.startswith("norm") and name.endswith("weight"):
            data[name] += np.float32(1.0)
    return data


def _layer_norm(x, g, b):
    mu = x.mean(axis=-1, keepdims=True)
    xc = x - mu
    rstd = 1.0 / np.sqrt((xc * xc).mean(axis=-1, keepdims=True) + np.float32(EPS))
    xh = xc * rstd
    return xh * g + b, xh, rstd


def _layer_norm_bwd(dy, xh, rstd, g):
    dg = (dy * xh).sum(axis=(0, 1))
    db = dy.sum(axis=(0, 1))
    dxh = dy * g
    dx = rstd * (dxh - dxh.mean(axis=-1, keepdims=True)
                 - xh * (dxh * xh).mean(axis=-1, keepdims=True))
    return dx, dg, db


def _heads(t):
    """(B, S, D) -> (B, H, S, DH)."""
    return t.reshape(t.shape[0], t.shape[1], H, DH).transpose(0, 2, 1, 3)


def _merge(t):
    """(B, H, S, DH) -> (B, S, D)."""
    return t.transpose(0, 2, 1, 3).reshape(t.shape[0], t.shape[2], D)


class RawNumpy(Impl):
    """Attention, LayerNorm and feed-forward forward and backward written out in numpy."""

    def __init__(self, data: dict, device: str | None = None) -> None:
        self.x, self.t = data["x"], data["target"]
        self.p = {k: data[k].copy() for k in SHAPES}

    def step(self) -> float:
        p, x = self.p, self.x
        B, S = x.shape[:2]  # this batch's shape
        scale = np.float32(1.0 / np.sqrt(DH))
        qkv = x @ p["self_attn.in_proj_weight"].T
        qkv += p["self_attn.in_proj_bias"]
        q, k, v = (_heads(qkv[..., i * D:(i + 1) * D]) for i in range(3))
        sc = q @ k.transpose(0, 1, 3, 2)
        sc *= scale
        sc -= sc.max(axis=-1, keepdims=True)
        att = np.exp(sc)
        att /= att.sum(axis=-1, keepdims=True)
        ctx = _merge(att @ v)
        r1 = ctx @ p["self_attn.out_proj.weight"].T
        r1 += p["self_attn.out_proj.bias"]
        r1 += x
        h1, xh1, rstd1 = _layer_norm(r1, p["norm1.weight"], p["norm1.bias"])
        f1 = h1 @ p["linear1.weight"].T
        f1 += p["linear1.bias"]
        a = np.maximum(f1, 0)
        r2 = a @ p["linear2.weight"].T
        r2 += p["linear2.bias"]
        r2 += h1
        out, xh2, rstd2 = _layer_norm(r2, p["norm2.weight"], p["norm2.bias"])
        diff = out - self.t
        loss = float((diff * diff).mean())

        g = {}
        dout = diff * np.float32(2.0 / diff.size)
        dr2, g["norm2.weight"], g["norm2.bias"] = _layer_norm_bwd(dout, xh2, rstd2,
                                                                  p["norm2.weight"])
        dr2m = dr2.reshape(-1, D)
        g["linear2.weight"] = dr2m.T @ a.reshape(-1, FF)
        g["linear2.bias"] = dr2m.sum(axis=0)
        df1 = (dr2m @ p["linear2.weight"]).reshape(B, S, FF)
        df1 *= f1 > 0
        df1m = df1.reshape(-1, FF)
        g["linear1.weight"] = df1m.T @ h1.reshape(-1, D)
        g["linear1.bias"] = df1m.sum(axis=0)
        dh1 = (df1m @ p["linear1.weight"]).reshape(B, S, D)
        dh1 += dr2
        dr1, g["norm1.weight"], g["norm1.bias"] = _layer_norm_bwd(dh1, xh1, rstd1,
                                                                  p["norm1.weight"])
        dr1m = dr1.reshape(-1, D)
        g["self_attn.out_proj.weight"] = dr1m.T @ ctx.reshape(-1, D)
        g["self_attn.out_proj.bias"] = dr1m.sum(axis=0)
        dctx = _heads((dr1m @ p["self_attn.out_proj.weight"]).reshape(B, S, D))
        datt = dctx @ v.transpose(0, 1, 3, 2)
        dv = att.transpose(0, 1, 3, 2) @ dctx
        dsc = att * (datt - (datt * att).sum(axis=-1, keepdims=True))
        dsc *= scale
        dq = dsc @ k
        dk = dsc.transpose(0, 1, 3, 2) @ q
        dqkv = np.concatenate([_merge(dq), _merge(dk), _merge(dv)], axis=-1).reshape(-1, 3 * D)
        g["self_attn.in_proj_weight"] = dqkv.T @ x.reshape(-1, D)
        g["self_attn.in_proj_bias"] = dqkv.sum(axis=0)
        for name, grad in g.items():
            p[name] -= LR * grad
        self.g = g
        return loss

    def grads(self) -> dict[str, np.ndarray]:
        return self.g

    def params(self) -> dict[str, np.ndarray]:
        return self.p


def _build(fw):
    return fw.nn.TransformerEncoderLayer(d_model=D, nhead=H, dim_feedforward=FF, dropout=0.0,
                                         batch_first=True)


def _loss(fw, model, x, target):
    d = model(x) - target
    return (d * d).mean()


def _sgd(fw, params):
    return fw.optim.SGD(params, lr=LR)


def transformer_workload(name: str, batch: int = B, seq: int = S) -> Workload:
    """The encoder-layer training step on a ``(batch, seq, 128)`` batch."""
    return Workload(
        name, f"TransformerEncoderLayer training step (d_model {D}, {H} heads, ff {FF}, seq "
        f"{seq}, batch {batch}, dropout 0; MSE loss, SGD lr 0.01)",
        functools.partial(make_data, batch=batch, seq=seq),
        {"numpy": RawNumpy,
         **{fw: framework_builder(fw, _build, ("x", "target"), _loss, _sgd, NEEDS)
            for fw in ("xgrad", "torch")}})


WORKLOADS = [transformer_workload("transformer_layer")]
