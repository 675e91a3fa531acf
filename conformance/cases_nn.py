"""Cases of ``xgrad.nn.functional`` (registered when the module imports)."""
from __future__ import annotations

from .spec import Const, Idx, Mask, OpCase, T, register

__all__ = ["NN_CASES"]

_FWD = {"grad": False, "grad2": False}
_ACT = [(T(2, 3),), (T(),), (T(3, 2, view="transposed"),)]
_TARGET01 = ((0.05, 0.95),)


def _f(name: str, fn: str, inputs: list, **kw) -> OpCase:
    covers = kw.pop("covers", (f"F.{name.split('.')[0]}",))
    return OpCase(f"F.{name}", fn, inputs, covers=covers, **kw)


NN_CASES = [
    # ---- convolution and pooling -----------------------------------------------------------
    _f("conv2d", "F.conv2d(a, b, c, stride=d, padding=e)",
       [(T(1, 2, 4, 4), T(3, 2, 2, 2), T(3), 1, 0), (T(1, 1, 5, 5), T(2, 1, 3, 3), T(2), 2, 1)],
       fused="conv2d"),
    _f("conv2d.dilation_groups", "F.conv2d(a, b, None, 1, 0, c, d)",
       [(T(1, 1, 5, 5), T(1, 1, 2, 2), 2, 1), (T(1, 2, 3, 3), T(4, 1, 2, 2), 1, 2)], fused="conv2d"),
    _f("conv2d.unequal", "F.conv2d(a, b, c, stride=d, padding=e, dilation=f)",
       [(T(1, 1, 5, 6), T(2, 1, 3, 2), T(2), (2, 1), (1, 0), (1, 2))], fused="conv2d"),
    _f("conv1d", "F.conv1d(a, b, c, stride=d, padding=e)", [(T(1, 2, 6), T(3, 2, 3), T(3), 1, 1)]),
    _f("conv_transpose2d", "F.conv_transpose2d(a, b, c, stride=d, padding=e)",
       [(T(1, 2, 3, 3), T(2, 1, 2, 2), T(1), 2, 0), (T(1, 1, 3, 3), T(1, 2, 3, 3), T(2), 1, 1)]),
    _f("max_pool2d", "F.max_pool2d(a, b, c, d)", [(T(1, 2, 4, 4), 2, 2, 0), (T(1, 1, 5, 5), 3, 2, 1)]),
    _f("max_pool1d", "F.max_pool1d(a, b, c, d)", [(T(1, 2, 6), 2, 2, 0), (T(2, 5), 3, 1, 1)]),
    _f("avg_pool2d", "F.avg_pool2d(a, b, c, d)", [(T(1, 2, 4, 4), 2, 2, 0), (T(1, 1, 5, 5), 3, 2, 1)]),
    _f("avg_pool2d.unequal", "F.avg_pool2d(a, b, c, d)", [(T(1, 1, 5, 6), (2, 3), (1, 2), (1, 0))]),
    _f("avg_pool1d", "F.avg_pool1d(a, b, c, d)", [(T(1, 2, 6), 3, 2, 0)]),
    _f("adaptive_avg_pool2d", "F.adaptive_avg_pool2d(a, b)", [(T(1, 2, 4, 3), (2, 3)), (T(1, 4, 4), 2)]),
    # ---- normalisation ---------------------------------------------------------------------
    _f("layer_norm", "F.layer_norm(a, d, b, c)", [(T(2, 3, 4), T(4), T(4), (4,)),
                                                  (T(2, 2, 3), T(2, 3), T(2, 3), (2, 3))]),
    _f("layer_norm.plain", "F.layer_norm(a, b)", [(T(3, 4), (4,))]),
    _f("batch_norm", "F.batch_norm(a, None, None, b, c, training=True)",
       [(T(4, 3), T(3), T(3)), (T(2, 3, 2, 2), T(3), T(3))]),
    _f("batch_norm.eval", "F.batch_norm(a, b, c, d, e)",
       [(T(4, 3), T(3, grad=False), T(3, dom="pos", grad=False), T(3), T(3))]),
    _f("group_norm", "F.group_norm(a, 2, b, c)", [(T(2, 4, 3), T(4), T(4))]),
    _f("normalize", "F.normalize(a, dim=b)", [(T(3, 4), -1), (T(3, 4), 0)]),
    _f("cosine_similarity", "F.cosine_similarity(a, b)", [(T(3, 4), T(3, 4)), (T(2, 3, 2), T(3, 2))]),
    # ---- losses ----------------------------------------------------------------------------
    _f("cross_entropy", "F.cross_entropy(a, b)", [(T(3, 4), Idx((3,), 4)), (T(4), Idx((), 4)),
                                                  (T(2, 3, 2, 2), Idx((2, 2, 2), 3))],
       fused="cross_entropy"),
    _f("cross_entropy.options", "F.cross_entropy(a, b, weight=c, reduction=d, label_smoothing=e)",
       [(T(3, 4), Idx((3,), 4), T(4, dom="pos", grad=False), "sum", 0.1),
        (T(3, 4), Idx((3,), 4), None, "none", 0.0)]),
    # fixed targets: random ones are all the ignored class at some seeds (a 0/0 mean)
    _f("cross_entropy.ignore_index", "F.cross_entropy(a, b, ignore_index=1)",
       [(T(4, 3), Const([0, 1, 2, 1], "int64"))]),
    _f("cross_entropy.probs", "F.cross_entropy(a, b.softmax(-1))", [(T(3, 4), T(3, 4, grad=False))]),
    _f("nll_loss", "F.nll_loss(a, b, reduction=c)", [(T(3, 4), Idx((3,), 4), "mean"),
                                                     (T(3, 4), Idx((3,), 4), "none")]),
    _f("mse_loss", "F.mse_loss(a, b)", [(T(2, 3), T(2, 3)), (T(4), T(4))]),
    _f("l1_loss", "F.l1_loss(a, b)", [(T(2, 3), T(2, 3))]),
    _f("smooth_l1_loss", "F.smooth_l1_loss(a, b)", [(T(2, 3), T(2, 3))]),
    _f("huber_loss", "F.huber_loss(a, b, delta=0.5)", [(T(2, 3), T(2, 3))]),
    _f("binary_cross_entropy", "F.binary_cross_entropy(a.sigmoid(), b)",
       [(T(2, 3), T(2, 3, dom=_TARGET01, grad=False))]),
    _f("binary_cross_entropy_with_logits", "F.binary_cross_entropy_with_logits(a, b)",
       [(T(2, 3), T(2, 3, dom=_TARGET01, grad=False))]),
    _f("kl_div", "F.kl_div(a.log_softmax(-1), b.softmax(-1), reduction='batchmean')",
       [(T(2, 3), T(2, 3))]),
    # ---- activations -----------------------------------------------------------------------
    _f("gelu", "F.gelu(a)", _ACT, fused="gelu"),
    _f("gelu.tanh", "F.gelu(a, approximate='tanh')", _ACT[:1], fused="gelu"),
    _f("silu", "F.silu(a)", _ACT),
    _f("softplus", "F.softplus(a, beta=b)", [(T(2, 3), 1.0), (T(4), 2.0)]),
    _f("mish", "F.mish(a)", _ACT[:2]),
    _f("elu", "F.elu(a)", _ACT[:2], domain="nonzero"),
    _f("leaky_relu", "F.leaky_relu(a, 0.1)", _ACT[:2], domain="nonzero"),
    _f("relu", "F.relu(a)", _ACT[:2], domain="nonzero"),
    _f("relu6", "F.relu6(a * 4.0)", _ACT[:2], domain=((-2.0, -0.2), (0.2, 1.3), (1.7, 2.0))),
    _f("hardtanh", "F.hardtanh(a)", _ACT[:2], domain=((-2.0, -1.2), (-0.8, 0.8), (1.2, 2.0))),
    _f("sigmoid", "F.sigmoid(a)", _ACT[:1], fused="sigmoid"),
    _f("tanh", "F.tanh(a)", _ACT[:1]),
    _f("softmax", "F.softmax(a, dim=-1)", [(T(2, 3),)], fused="softmax"),
    _f("log_softmax", "F.log_softmax(a, dim=0)", [(T(2, 3),)], fused="log_softmax"),
    # ---- embedding, attention, linear --------------------------------------------------------
    _f("embedding", "F.embedding(b, a)", [(T(5, 3), Idx((2, 3), 5))]),
    # the padding row gets no gradient by definition, unlike finite differences: forward only
    _f("embedding.padding_idx", "F.embedding(b, a, padding_idx=0)", [(T(4, 2), Idx((5,), 4))], **_FWD),
    _f("scaled_dot_product_attention", "F.scaled_dot_product_attention(a, b, c)",
       [(T(2, 3, 4), T(2, 3, 4), T(2, 3, 4)), (T(1, 2, 2, 3), T(1, 2, 4, 3), T(1, 2, 4, 2))]),
    _f("scaled_dot_product_attention.causal", "F.scaled_dot_product_attention(a, b, c, is_causal=True)",
       [(T(2, 3, 4), T(2, 3, 4), T(2, 3, 4))]),
    _f("scaled_dot_product_attention.mask",
       "F.scaled_dot_product_attention(a, b, c, attn_mask=d | (xgrad.eye(3, device=a.device) > 0))",
       [(T(1, 3, 2), T(1, 3, 2), T(1, 3, 2), Mask((3, 3)))]),
    _f("linear", "F.linear(a, b, c)", [(T(2, 3), T(4, 3), T(4))], fused="linear"),
    _f("conv3d", "F.conv3d(a, b, c, stride=d, padding=e)",
       [(T(1, 1, 3, 3, 3), T(2, 1, 2, 2, 2), T(2), 1, 0), (T(1, 2, 2, 2, 3), T(1, 2, 2, 2, 2), T(1), 2, 1)]),
    _f("conv_transpose3d", "F.conv_transpose3d(a, b, c, stride=d)",
       [(T(1, 2, 2, 2, 2), T(2, 1, 2, 2, 2), T(1), 2)]),
    _f("max_pool3d", "F.max_pool3d(a, b, c)", [(T(1, 1, 3, 3, 3), 2, 1), (T(1, 1, 2, 4, 4), 2, 2)]),
    _f("avg_pool3d", "F.avg_pool3d(a, b, c)", [(T(1, 1, 3, 3, 3), 2, 1), (T(1, 1, 2, 4, 4), 2, 2)]),
    _f("adaptive_max_pool1d", "F.adaptive_max_pool1d(a, b)", [(T(1, 2, 7), 3)]),
    _f("adaptive_max_pool2d", "F.adaptive_max_pool2d(a, b)", [(T(1, 1, 4, 5), (2, 3)), (T(1, 5, 4), 2)]),
    _f("adaptive_avg_pool1d", "F.adaptive_avg_pool1d(a, b)", [(T(1, 2, 7), 3)]),
    _f("unfold", "F.unfold(a, b, padding=c, stride=d)", [(T(1, 2, 4, 4), 2, 0, 2),
                                                          (T(1, 1, 4, 5), (2, 3), 1, 1)]),
    _f("fold", "F.fold(a, b, 2, stride=c)", [(T(1, 8, 4), (4, 4), 2), (T(1, 4, 4), (3, 3), 1)]),
    _f("pixel_shuffle", "F.pixel_shuffle(a, 2)", [(T(1, 4, 2, 3),)]),
    _f("pixel_unshuffle", "F.pixel_unshuffle(a, 2)", [(T(1, 1, 4, 6),)]),
    _f("instance_norm", "F.instance_norm(a, weight=b, bias=c)", [(T(2, 3, 5), T(3), T(3)),
                                                                  (T(1, 2, 3, 3), None, None)]),
    _f("local_response_norm", "F.local_response_norm(a, 3)", [(T(1, 4, 2, 3),), (T(2, 5, 3),)]),
    _f("bilinear", "F.bilinear(a, b, c, d)", [(T(2, 3), T(2, 2), T(2, 3, 2), T(2))]),
    # ---- reshaping, resampling, random -------------------------------------------------------
    _f("pad", "F.pad(a, b, mode=c)", [(T(1, 2, 3), (1, 2), "constant"), (T(1, 2, 4), (1, 1), "reflect"),
                                      (T(1, 2, 3), (2, 1), "replicate")]),
    _f("interpolate", "F.interpolate(a, size=b)", [(T(1, 1, 2, 3), (4, 6))]),
    _f("interpolate.bilinear", "F.interpolate(a, scale_factor=2.0, mode='bilinear', align_corners=b)",
       [(T(1, 1, 2, 3), False), (T(1, 1, 2, 2), True)]),
    _f("one_hot", "F.one_hot(a, 4)", [(Idx((3,), 4),), (Idx((2, 2), 4),)], **_FWD),
    _f("dropout", "(xgrad.manual_seed(0), F.dropout(a, 0.5))[1]", [(T(3, 4),)]),
    _f("dropout.eval", "F.dropout(a, 0.5, training=False)", [(T(3, 4),)]),
    _f("dropout1d", "(xgrad.manual_seed(0), F.dropout1d(a, 0.5))[1]", [(T(2, 3, 4),), (T(3, 4),)]),
    _f("dropout2d", "(xgrad.manual_seed(0), F.dropout2d(a, 0.5))[1]", [(T(2, 3, 2, 2),)]),
    _f("dropout3d", "(xgrad.manual_seed(0), F.dropout3d(a, 0.5))[1]",
       [(T(1, 3, 2, 2, 2),), (T(3, 2, 2, 2),)]),
    _f("feature_dropout", "(xgrad.manual_seed(0), F.feature_dropout(a, 0.5, True))[1]",
       [(T(2, 3, 2),)]),
]

register(*NN_CASES)
