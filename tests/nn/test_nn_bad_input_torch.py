"""Bad and edge-case input to nn.functional and nn modules gets PyTorch's outcome (found by
tests/core/test_fuzz_torch.py): the same exception class with a message naming the problem,
or torch's values, shape and dtype."""
from __future__ import annotations

import pytest
from torch_same import assert_same

pytest.importorskip("torch")

INF = float("inf")


def _s(L, v, dt="float32"):
    return L.tensor(v, dt)


def _ones(L, *shape, dt="float32"):
    return L.t.ones(*shape, dtype=getattr(L.t, dt))


IMG = [[[[-3, 5, 2, -7], [1, 1, 1, 1], [0, 3, -4, 9], [2, 2, 2, 3]]]]
LOGITS = [[1.0, 2, 3], [INF, 0, 1], [0.0, 1, 2]]  # the ignored row 1 holds inf

# id, call written once for both libraries, a text xgrad's message must contain (or None)
CASES = [
    # activations and softmax: a Tensor input, in a floating dtype
    *[(f"{n}_tuple", lambda L, n=n: getattr(L.F, n)((2,)), "must be Tensor, not tuple")
      for n in ("relu", "relu6", "gelu", "elu", "leaky_relu", "silu", "mish", "softplus",
                "hardtanh", "sigmoid", "tanh")],
    ("softmax_long", lambda L: L.t.softmax(_ones(L, 2, dt="int64"), 0), "'Long'"),
    ("softmax_long_to_float", lambda L: L.t.softmax(_ones(L, 2, dt="int64"), 0,
                                                    dtype=L.t.float32), None),
    ("log_softmax_bool", lambda L: L.F.log_softmax(_ones(L, 2, dt="bool"), 0), "'Bool'"),
    ("softmax_empty", lambda L: L.F.softmax(_ones(L, 2, 0), 1), None),
    ("layer_norm_int_shape", lambda L: L.F.layer_norm(_ones(L, 2, 3), 3), "tuple of ints"),
    ("normalize_int", lambda L: L.F.normalize(_ones(L, 2, 3, dt="int32"), 2.0, -6),
     "Expected a floating point"),
    # losses: the reduction first, then dtypes
    ("bce_reduction_first", lambda L: L.F.binary_cross_entropy(
        _ones(L, 2, 3, dt="int64"), _ones(L, 2, 3, dt="float16"), reduction="bogus"),
     "not a valid value for reduction"),
    ("kl_div_reduction_first", lambda L: L.F.kl_div(_ones(L, 2, 0), _ones(L, 3),
                                                    reduction="bogus"), "reduction"),
    ("kl_div_int", lambda L: L.F.kl_div(_ones(L, 2, dt="int32"), _ones(L, 2)), "Integral"),
    ("bce_logits_int_input", lambda L: L.F.binary_cross_entropy_with_logits(
        _ones(L, 2, dt="int32"), _ones(L, 2)), "'Int'"),
    ("bce_logits_target_dtype", lambda L: L.F.binary_cross_entropy_with_logits(
        _s(L, [0.5, -1.0]), _s(L, [1.0, 0.0], "float16"), reduction="sum"), None),
    ("huber_number_target", lambda L: L.F.huber_loss(_s(L, 1.0), 2), None),
    ("cross_entropy_batch_before_smoothing", lambda L: L.F.cross_entropy(
        _ones(L, 0, 3), _ones(L, 2, 3), label_smoothing=-0.1), "batch_size"),
    ("cross_entropy_bad_smoothing", lambda L: L.F.cross_entropy(
        _ones(L, 2, 3), _ones(L, 2, dt="int64"), label_smoothing=1.5), "label_smoothing"),
    ("cosine_similarity_int", lambda L: L.F.cosine_similarity(
        _ones(L, 1, dt="int32"), _ones(L, 2, 3, 4, dt="int64"), 2), "floating point"),
    ("batch_norm_eps_0_training", lambda L: L.F.batch_norm(_ones(L, 2, 3), None, None,
                                                           training=True, eps=0.0),
     "eps must be positive during training"),
    ("conv2d_groups_0", lambda L: L.F.conv2d(_ones(L, 1, 0, 3, 3), _ones(L, 2, 1, 1, 1),
                                             groups=0), "non-positive groups"),
    ("adaptive_avg_pool2d_bool_0", lambda L: L.F.adaptive_avg_pool2d(
        _ones(L, 2, 4, 4, dt="bool"), 0), None),
    ("pad_constant_too_negative", lambda L: L.F.pad(_ones(L, 2, 3), (-5, 0)),
     "length must be non-negative"),
    ("kl_div_half_target", lambda L: L.F.kl_div(_s(L, [0.5, -1.0]), _s(L, [0.3, 0.0], "float16"),
                                                reduction="none"), None),
    # batch_norm: running stats of the wrong size are torch's RuntimeError, in its order
    ("batch_norm_1d_input", lambda L: L.F.batch_norm(_ones(L, 3), _ones(L, 3), _ones(L, 3),
                                                     training=True),
     "running_mean should contain 0 elements not 3"),
    ("batch_norm_mean_size", lambda L: L.F.batch_norm(_ones(L, 2, 3), _ones(L, 2), _ones(L, 3)),
     "running_mean should contain 3 elements not 2"),
    ("batch_norm_var_size", lambda L: L.F.batch_norm(_ones(L, 2, 3), _ones(L, 3), _ones(L, 2),
                                                     training=True),
     "running_var should contain 3 elements not 2"),
    ("batch_norm_empty", lambda L: L.F.batch_norm(_ones(L, 2, 3, 0), _ones(L, 2), _ones(L, 2),
                                                  training=True), None),
    ("batch_norm_one_value_first", lambda L: L.F.batch_norm(_ones(L, 1, 3), _ones(L, 2),
                                                            _ones(L, 3), training=True),
     "Expected more than 1 value per channel"),
    ("batch_norm_mixed_dtype", lambda L: L.F.batch_norm(_ones(L, 2, 3, dt="float64"),
                                                        _ones(L, 3), _ones(L, 3)),
     "expected scalar type Double"),
    ("batch_norm_int", lambda L: L.F.batch_norm(_ones(L, 2, 3, dt="int32"), _ones(L, 3),
                                                _ones(L, 3)), "not implemented for 'Int'"),
    ("BatchNorm1d_channels", lambda L: L.nn.BatchNorm1d(4)(_ones(L, 2, 3)),
     "running_mean should contain 3 elements not 4"),
    # embedding / one_hot
    ("embedding_no_rows", lambda L: L.F.embedding(_s(L, [0], "int64"), _ones(L, 0, 3)),
     "self indexing axis dim should be positive"),
    ("Embedding_no_rows", lambda L: L.nn.Embedding(0, 2)(_s(L, [0], "int64")), None),
    ("embedding_out_of_range", lambda L: L.F.embedding(_s(L, [0, 5], "int64"), _ones(L, 5, 3)),
     "out of range"),
    ("one_hot_empty_infer", lambda L: L.F.one_hot(_s(L, [], "int64")), "empty tensor"),
    ("one_hot_empty_0", lambda L: L.F.one_hot(_s(L, [], "int64"), 0), "empty tensor"),
    ("one_hot_empty_3", lambda L: L.F.one_hot(_s(L, [], "int64"), 3), None),
    ("one_hot_int32", lambda L: L.F.one_hot(_s(L, [1], "int32"), 3), "LongTensor"),
    # RNNs: sizes checked at construction, the input dtype before its size
    *[(f"{n}_input_size_0", lambda L, n=n: getattr(L.nn, n)(0, 3),
       "input_size must be greater than zero") for n in ("RNN", "GRU", "LSTM")],
    ("GRU_hidden_size_0", lambda L: L.nn.GRU(2, 0), "hidden_size must be greater than zero"),
    ("GRUCell_hidden_size_0", lambda L: tuple(L.nn.GRUCell(2, 0).weight_ih.shape), None),
    ("LSTM_dtype_first", lambda L: L.nn.LSTM(2, 3)(_ones(L, 3, 2, 4, dt="int64")),
     "does not match weight dtype"),
    # pooling
    ("avg_pool2d_int64", lambda L: L.F.avg_pool2d(_s(L, IMG, "int64"), 2), None),
    ("avg_pool2d_int64_pad", lambda L: L.F.avg_pool2d(_s(L, IMG, "int64"), 3, 1, 1), None),
    ("avg_pool2d_int64_nopad_count", lambda L: L.F.avg_pool2d(
        _s(L, IMG, "int64"), 3, 1, 1, count_include_pad=False), None),
    ("avg_pool2d_int64_divisor", lambda L: L.F.avg_pool2d(_s(L, IMG, "int64"), 2,
                                                          divisor_override=3), None),
    ("avg_pool2d_int32", lambda L: L.F.avg_pool2d(_s(L, IMG, "int32"), 2),
     "not implemented for 'Int'"),
    ("avg_pool2d_2d_input", lambda L: L.F.avg_pool2d(_ones(L, 2, 4, dt="bool"), 1),
     "Dimension out of range"),
    ("avg_pool1d_pair_kernel", lambda L: L.F.avg_pool1d(_ones(L, 2, 2, 4), (2, 1)),
     "should contain one int"),
    ("max_pool1d_pair_kernel", lambda L: L.F.max_pool1d(_ones(L, 2, 2, 4), (2, 1)), None),
    ("adaptive_avg_pool2d_0", lambda L: L.F.adaptive_avg_pool2d(_ones(L, 2, 4, 4), 0), None),
    ("adaptive_avg_pool2d_neg", lambda L: L.F.adaptive_avg_pool2d(_ones(L, 2, 4, 4), -1),
     "greater than or equal to 0"),
    ("adaptive_avg_pool2d_none", lambda L: L.F.adaptive_avg_pool2d(_ones(L, 2, 4), None), None),
    ("adaptive_avg_pool2d_long", lambda L: L.F.adaptive_avg_pool2d(_ones(L, 2, 4, 4, dt="int64"),
                                                                   2), "'Long'"),
    # pad / conv argument checks
    ("pad_reflect_1d", lambda L: L.F.pad(_ones(L, 3), (1, 1), mode="reflect"),
     "Padding size 2 is not supported for 1D input"),
    ("pad_replicate_2d_4", lambda L: L.F.pad(_ones(L, 2, 3), (1, 1, 1, 1), mode="replicate"),
     "Padding size 4 is not supported for 2D input"),
    ("pad_reflect_too_small", lambda L: L.F.pad(_ones(L, 2, 3), (-5, 0), mode="reflect"),
     "input (W: 3) is too small"),
    ("Embedding_width_0_out_of_range", lambda L: L.nn.Embedding(2, 0)(_s(L, [3], "int64")),
     "out of DATA bounds"),
    ("pad_reflect_2d", lambda L: L.F.pad(_s(L, [[1.0, 2, 3]]), (1, 1), mode="reflect"), None),
    ("conv2d_float_dilation_first", lambda L: L.F.conv2d(_ones(L, 1, 2, 4, 4), _ones(L, 3, 2, 3),
                                                         None, 1, 0, 1.5), None),
    # cross_entropy / nll_loss: an ignored row with inf is masked out (no NaN)
    ("cross_entropy_ignored_inf", lambda L: L.F.cross_entropy(
        _s(L, LOGITS), _s(L, [0, 1, 2], "int64"), ignore_index=1), None),
    ("cross_entropy_ignored_inf_none", lambda L: L.F.cross_entropy(
        _s(L, LOGITS), _s(L, [0, 1, 2], "int64"), ignore_index=1, reduction="none"), None),
    ("cross_entropy_ignored_inf_smoothing", lambda L: L.F.cross_entropy(
        _s(L, LOGITS), _s(L, [0, 1, 2], "int64"), ignore_index=1, label_smoothing=0.1), None),
    ("cross_entropy_ignored_inf_weight", lambda L: L.F.cross_entropy(
        _s(L, LOGITS), _s(L, [0, 1, 2], "int64"), ignore_index=1, weight=_s(L, [1.0, 2, 3])),
     None),
    ("nll_loss_ignored_inf", lambda L: L.F.nll_loss(_s(L, LOGITS), _s(L, [0, 1, 2], "int64"),
                                                    ignore_index=1), None),
    ("cross_entropy_batch_first", lambda L: L.F.cross_entropy(_ones(L, 2, 3), _ones(L, 3)),
     "Expected input batch_size (2) to match target batch_size (3)"),
    ("cross_entropy_batch_3d", lambda L: L.F.cross_entropy(_ones(L, 2, 3, 4),
                                                           _ones(L, 3, dt="int64")),
     "batch_size"),
    ("cross_entropy_smoothing_batch", lambda L: L.F.cross_entropy(
        _ones(L, 2, 3), _ones(L, 3, dt="int64"), label_smoothing=0.1), "batch_size"),
    ("cross_entropy_target_size", lambda L: L.F.cross_entropy(_ones(L, 2, 3, 4),
                                                              _ones(L, 2, 3, dt="int64")),
     "Expected target size [2, 4], got [2, 3]"),
    ("cross_entropy_long_probs", lambda L: L.F.cross_entropy(_ones(L, 2, 3),
                                                             _ones(L, 2, 3, dt="int64")),
     "Expected floating point type for target"),
    ("cross_entropy_int32_target", lambda L: L.F.cross_entropy(_ones(L, 2, 3),
                                                               _ones(L, 2, dt="int32")),
     "Long or Byte, but got Int"),
    ("cross_entropy_long_input", lambda L: L.F.cross_entropy(_ones(L, 2, 3, dt="int64"),
                                                             _ones(L, 2, dt="int64")), "'Long'"),
    ("cross_entropy_no_classes", lambda L: L.F.cross_entropy(_ones(L, 2, 0), _ones(L, 2, 0)),
     None),
    ("cross_entropy_1d_target_size", lambda L: L.F.cross_entropy(_ones(L, 3),
                                                                 _ones(L, 2, dt="int64")),
     "1D target must have size 1"),
    ("nll_loss_batch_before_dtype", lambda L: L.F.nll_loss(_ones(L, 0, 3), _ones(L, 3)),
     "batch_size"),
    ("nll_loss_0d_target", lambda L: L.F.nll_loss(_ones(L, 2, 3), _s(L, 1.0)), "batch_size"),
]


@pytest.mark.parametrize("fn,match", [pytest.param(f, m, id=i) for i, f, m in CASES])
def test_as_torch(fn, match, backend):
    assert_same(fn, backend, match)
