"""Cases of the ``xgrad.nn.functional`` names added for real programs: activations (prelu,
selu, celu, glu, hardswish, hardsigmoid, logsigmoid, softmin), rms_norm, pairwise_distance,
alpha_dropout, conv_transpose1d and the margin, embedding and likelihood losses; and layer
cases for the new modules."""
from __future__ import annotations

from .spec import Const, ModuleCase, OpCase, T, register, register_module_case

_ACT = [(T(2, 3),), (T(),), (T(3, 2, view="transposed"),)]
_SIGNS = Const([1.0, -1.0, -1.0, 1.0])
_SIGNS23 = Const([[1.0, -1.0, 1.0], [-1.0, -1.0, 1.0]])


def _f(name: str, fn: str, inputs: list, **kw) -> OpCase:
    covers = kw.pop("covers", (f"F.{name.split('.')[0]}",))
    return OpCase(f"F.{name}", fn, inputs, covers=covers, **kw)


def _nn():
    import xgrad.nn as nn

    return nn


CASES = [
    _f("prelu", "F.prelu(a, b)", [(T(2, 3, 2, dom="nonzero"), T(3)), (T(2, 3, dom="nonzero"), T(1)),
                                  (T(4, dom="nonzero"), T(1))]),
    _f("selu", "F.selu(a)", _ACT, domain="nonzero"),
    _f("celu", "F.celu(a, 0.7)", _ACT, domain="nonzero"),
    _f("glu", "F.glu(a, b)", [(T(2, 4), -1), (T(4, 3), 0), (T(2, 2, 2), 1)]),
    # away from the kinks at -3 and 3
    _f("hardswish", "F.hardswish(a)", [(T(2, 3, dom=((-4.5, -3.3), (-2.7, 2.7), (3.3, 4.5))),)]),
    _f("hardsigmoid", "F.hardsigmoid(a)", [(T(2, 3, dom=((-4.5, -3.3), (-2.7, 2.7), (3.3, 4.5))),)]),
    _f("logsigmoid", "F.logsigmoid(a)", _ACT + [(T(3, dom=((-30.0, -20.0), (20.0, 30.0))),)],
       dtypes=("float32", "float64")),
    _f("logsigmoid.half", "F.logsigmoid(a)", _ACT, dtypes=("float16",), covers=("F.logsigmoid",)),
    _f("softmin", "F.softmin(a, b)", [(T(2, 3), 1), (T(2, 3, 2), 0)]),
    _f("rms_norm", "F.rms_norm(a, b, c)", [(T(2, 3, 4), (4,), T(4)), (T(2, 2, 3), (2, 3), None)]),
    _f("rms_norm.eps", "F.rms_norm(a, (3,), eps=0.1)", [(T(2, 3),)], covers=("F.rms_norm",)),
    _f("pairwise_distance", "F.pairwise_distance(a, b, c)",
       [(T(3, 4), T(3, 4), 2.0), (T(2, 3), T(3), 1.0), (T(4), T(4), 3.0)]),
    _f("alpha_dropout", "(xgrad.manual_seed(0), F.alpha_dropout(a, 0.3, True))[1]", [(T(3, 4),)]),
    _f("alpha_dropout.eval", "F.alpha_dropout(a, 0.5)", [(T(3, 4),)], covers=("F.alpha_dropout",)),
    _f("conv_transpose1d", "F.conv_transpose1d(a, b, c, stride=d, padding=e)",
       [(T(1, 2, 4), T(2, 3, 3), T(3), 2, 1), (T(2, 3), T(2, 2, 2), None, 1, 0)]),
    _f("conv_transpose1d.groups", "F.conv_transpose1d(a, b, None, 1, 0, 0, 2, 2)",
       [(T(1, 4, 3), T(4, 1, 2))], covers=("F.conv_transpose1d",)),
    _f("embedding_bag", "F.embedding_bag(b, a, c, mode=d)",
       [(T(5, 3), Const([1, 2, 4, 0, 2], "int64"), Const([0, 2, 2], "int64"), "mean"),
        (T(5, 3), Const([[1, 2], [4, 4]], "int64"), None, "sum"),
        (T(5, 3), Const([3, 1, 0, 4], "int64"), Const([0, 1, 1], "int64"), "max")]),
    _f("embedding_bag.weights", "F.embedding_bag(b, a, c, mode='sum', per_sample_weights=d, "
       "padding_idx=2)", [(T(5, 3), Const([1, 2, 4, 0], "int64"), Const([0, 3], "int64"), T(4))],
       covers=("F.embedding_bag",)),
    # ---- losses (targets fixed, margins keep the hinge points away from the samples) --------
    _f("margin_ranking_loss", "F.margin_ranking_loss(a, b, c, margin=0.1, reduction=d)",
       [(T(4), T(4), _SIGNS, "mean"), (T(4), T(4), _SIGNS, "none")]),
    _f("hinge_embedding_loss", "F.hinge_embedding_loss(a, b, margin=3.0, reduction=c)",
       [(T(2, 3), _SIGNS23, "mean"), (T(2, 3), _SIGNS23, "sum")]),
    _f("soft_margin_loss", "F.soft_margin_loss(a, b)", [(T(2, 3), _SIGNS23)]),
    _f("multilabel_soft_margin_loss", "F.multilabel_soft_margin_loss(a, b, c)",
       [(T(2, 3), Const([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]]), None),
        (T(2, 3), Const([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]]), T(3, dom="pos"))]),
    _f("cosine_embedding_loss", "F.cosine_embedding_loss(a, b, c, margin=-0.99)",
       [(T(4, 3), T(4, 3), _SIGNS), (T(3), T(3), Const(1.0))]),
    _f("triplet_margin_loss", "F.triplet_margin_loss(a, b, c, margin=d, swap=e)",
       [(T(3, 4), T(3, 4), T(3, 4), 10.0, False), (T(2, 3), T(2, 3), T(2, 3), 10.0, True)]),
    # margins wide enough that every hinge term is active (no kink near a sample)
    _f("multi_margin_loss", "F.multi_margin_loss(a, b, p=c, margin=10.0, weight=d)",
       [(T(3, 4), Const([0, 3, 1], "int64"), 1, None), (T(3, 4), Const([2, 2, 0], "int64"), 2, T(4)),
        (T(4), Const(1, "int64"), 1, None)]),
    _f("multilabel_margin_loss", "F.multilabel_margin_loss(a, b)",
       [(T(3, 4, dom=((-0.4, 0.4),)), Const([[0, 1, -1, 2], [3, -1, 0, 0], [2, 1, 0, 3]], "int64")),
        (T(3, dom=((-0.4, 0.4),)), Const([2, 0, -1], "int64"))]),
    _f("ctc_loss", "F.ctc_loss(a.log_softmax(2), b, c, d, reduction=e)",
       [(T(4, 2, 3), Const([[1, 2], [2, 0]], "int64"), [4, 3], [2, 1], "mean"),
        (T(4, 2, 3), Const([1, 1, 2], "int64"), [4, 4], [2, 1], "none"),
        (T(3, 1, 3), Const([[2, 2]], "int64"), [3], [2], "sum")], dtypes=("float32", "float64")),
    _f("ctc_loss.unbatched", "F.ctc_loss(a.log_softmax(1), b, 4, 2)",
       [(T(4, 3), Const([1, 2], "int64"))], covers=("F.ctc_loss",), dtypes=("float32", "float64")),
    _f("poisson_nll_loss", "F.poisson_nll_loss(a, b, log_input=c, full=d)",
       [(T(2, 3), Const([[0.0, 1.0, 2.0], [3.0, 1.0, 0.0]]), True, False),
        (T(2, 3, dom="pos"), Const([[0.0, 1.0, 2.0], [3.0, 1.0, 5.0]]), False, True)]),
    _f("gaussian_nll_loss", "F.gaussian_nll_loss(a, b, c, full=d)",
       [(T(2, 3), T(2, 3), T(2, 3, dom="pos"), False), (T(2, 3), T(2, 3), T(2, dom="pos"), True),
        (T(2, 3), T(2, 3), T(2, 1, dom="pos"), False)]),
]

MODULES = [
    ModuleCase("PReLU", lambda: _nn().PReLU(3), (T(2, 3, 2),), domain="nonzero"),
    ModuleCase("RMSNorm", lambda: _nn().RMSNorm(4), (T(3, 4),)),
    ModuleCase("BatchNorm3d", lambda: _nn().BatchNorm3d(2), (T(2, 2, 2, 1, 2),)),
    ModuleCase("ConvTranspose1d", lambda: _nn().ConvTranspose1d(2, 3, 3, stride=2), (T(1, 2, 3),)),
    ModuleCase("EmbeddingBag", lambda: _nn().EmbeddingBag(6, 3, mode="sum"),
               (Const([[1, 5, 2], [0, 0, 3]], "int64"),)),
    ModuleCase("ReflectionPad2d", lambda: _nn().ReflectionPad2d((1, 0, 1, 2)), (T(1, 1, 3, 3),)),
    ModuleCase("TripletMarginLoss", lambda: _nn().TripletMarginLoss(margin=10.0),
               (T(3, 4), T(3, 4), T(3, 4))),
]

register(*CASES)
register_module_case(*MODULES)
