"""Bad and edge-case input to core ops gets PyTorch's outcome (found by test_fuzz_torch.py):
the same exception class with a message naming the problem, or torch's values and dtype."""
from __future__ import annotations

import pytest
from torch_same import assert_same

pytest.importorskip("torch")


def _s(L, v, dt="float32"):
    return L.tensor(v, dt)


NAN, INF = float("nan"), float("inf")
SPECIAL = [0.0, -0.0, -1.0, -2.0, 1.0, 2.0, 0.5, -2.5, NAN, INF, -INF, 6e4, -1e30]


# id, call written once for both libraries, a text xgrad's message must contain (or None)
CASES = [
    # 0-d input: gather/scatter/topk/index_select treat it as 1-d with one element
    ("gather_0d", lambda L: L.t.gather(_s(L, 2.0), 0, _s(L, 0, "int64")), None),
    ("gather_0d_1d_index", lambda L: L.t.gather(_s(L, 2.0), 0, _s(L, [0, 0], "int64")), None),
    ("gather_1d_0d_index", lambda L: L.t.gather(_s(L, [1.0, 2, 3]), 0, _s(L, 2, "int64")), None),
    ("gather_0d_out_of_range", lambda L: L.t.gather(_s(L, 2.0), 0, _s(L, 1, "int64")),
     "out of bounds"),
    ("scatter_0d", lambda L: L.t.scatter(_s(L, 2.0), 0, _s(L, 0, "int64"), _s(L, 5.0)), None),
    ("scatter_add_0d", lambda L: L.t.scatter_add(_s(L, 2.0), 0, _s(L, 0, "int64"), _s(L, 5.0)),
     None),
    ("scatter_add_0d_twice", lambda L: L.t.scatter_add(_s(L, 2.0), 0, _s(L, [0, 0], "int64"),
                                                       _s(L, [5.0, 1])), None),
    ("scatter_add_src_smaller", lambda L: L.t.scatter_add(
        L.t.zeros(3), 0, _s(L, [0, 1, 2], "int64"), _s(L, [5.0, 1])), "no larger size than src"),
    ("scatter_src_smaller", lambda L: L.t.scatter(
        L.t.zeros(3), 0, _s(L, [0, 1, 2], "int64"), _s(L, [5.0, 1])), "no larger size than src"),
    ("index_select_0d", lambda L: L.t.index_select(_s(L, 2.0), 0, _s(L, [0], "int64")), None),
    ("index_select_0d_two", lambda L: L.t.index_select(_s(L, 2.0), 0, _s(L, [0, 0], "int64")),
     "Index to scalar can have only 1 value"),
    ("topk_0d", lambda L: L.t.topk(_s(L, 2.0), 1, 0), None),
    ("topk_0d_k0", lambda L: L.t.topk(_s(L, 2.0), 0, 0), None),
    ("topk_0d_k2", lambda L: L.t.topk(_s(L, 2.0), 2, 0), "k out of range"),
    ("take_along_dim_float_index_first", lambda L: L.t.take_along_dim(
        L.t.ones(2, 3), _s(L, [[0.0, 1, 0]]), 9), "dtype of indices should be Long"),
    ("take_along_dim_broadcast", lambda L: L.t.take_along_dim(
        L.t.ones(2, 3), _s(L, [[1, 0, 1]], "int64"), 0), None),
    ("take_along_dim_flat", lambda L: L.t.take_along_dim(
        _s(L, [[1.0, 2], [3, 4]]), _s(L, [3, 0], "int64")), None),
    # NaN/inf: the insertion points of PyTorch's bisection (NaN values past the end)
    ("searchsorted_nan_values", lambda L: L.t.searchsorted(
        _s(L, [-1.0, 0, 2]), _s(L, [NAN, 1, INF, -INF, NAN])), None),
    ("searchsorted_nan_sequence", lambda L: L.t.searchsorted(
        _s(L, [-1.0, NAN, 2, INF]), _s(L, [NAN, 1, INF, -INF, 3, -2])), None),
    ("searchsorted_right_nan_2d", lambda L: L.t.searchsorted(
        _s(L, [[-1.0, NAN, 2], [0, 1, NAN]]), _s(L, [[NAN, 1], [0.5, INF]]), right=True), None),
    ("searchsorted_bool", lambda L: L.t.searchsorted(_s(L, [False, True], "bool"),
                                                     _s(L, [True], "bool")), "Bool"),
    ("bucketize_nan", lambda L: L.t.bucketize(_s(L, [NAN, 0.5, INF, -INF]),
                                              _s(L, [0.1, 1.0, 2.0])), None),
    # poles and infinities of the special functions, in each float dtype and for ints
    *[(f"{f}_{dt}", lambda L, f=f, dt=dt: getattr(L.t, f)(_s(L, SPECIAL, dt)), None)
      for f in ("lgamma", "digamma") for dt in ("float64", "float32", "float16")],
    # creation: no size at all, huge sizes, argument types before value checks
    *[(f"{n}_no_size", lambda L, n=n: getattr(L.t, n)(), "missing 1 required positional")
      for n in ("zeros", "ones", "empty", "rand", "randn")],
    ("zeros_0d", lambda L: L.t.zeros(()), None),
    ("rand_like_tuple", lambda L: L.t.rand_like((2,)), "must be Tensor, not tuple"),
    ("randn_like_none", lambda L: L.t.randn_like(None), "must be Tensor, not NoneType"),
    ("randint_str_size_first", lambda L: L.t.randint(5, 0, (-2, "3")), "str"),
    ("randint_float_high", lambda L: L.t.randint(-2, 1.5, ()), "float"),
    ("randint_bounds", lambda L: L.t.randint(5, 0, (2,)), "expects 'from' to be less than 'to'"),
    ("randperm_bool", lambda L: L.t.randperm(True), "must be int, not bool"),
    ("randperm_huge", lambda L: L.t.randperm(2 ** 62), "overflowed"),
    ("eye_huge", lambda L: L.t.eye(2 ** 62), "overflow"),
    ("eye_float", lambda L: L.t.eye(2.5), "must be int"),
    ("expand_huge", lambda L: L.t.ones(1).expand(2 ** 62, 2 ** 62), "overflow"),
    ("broadcast_to_huge", lambda L: L.t.broadcast_to(L.t.ones(1), (2 ** 62, 2 ** 62)),
     "overflow"),
    ("repeat_huge", lambda L: L.t.ones(3).repeat(2 ** 62, 2 ** 62), None),
    ("repeat_no_sizes", lambda L: L.t.ones(1, 3).repeat(), "missing 1 required positional"),
    ("repeat_negative", lambda L: L.t.ones(3).repeat(-1), "negative dimension"),
    ("tile_str", lambda L: L.t.tile(L.t.ones(3), ("3", -1)), "found element of type str"),
    # reductions: bool argmax, every dim of an empty tensor
    ("argmax_bool_first", lambda L: L.t.argmax(_s(L, [[True, False]], "bool"), 5),
     "does not support bool input"),
    ("argmin_bool", lambda L: L.t.argmin(_s(L, [True, False], "bool")), "bool"),
    ("amax_all_empty", lambda L: L.t.amax(L.t.ones(2, 0)), "Expected reduction dim to be"),
    ("max_all_empty", lambda L: L.t.max(L.t.ones(2, 0)), "max(): Expected reduction dim"),
    ("amin_dim1_empty", lambda L: L.t.amin(L.t.ones(2, 0), 0), None),
    # argument types and values in PyTorch's order
    ("fmod_number_first", lambda L: L.t.fmod(2.0, _s(L, [2], "int64")), "must be Tensor"),
    ("fmod_int_by_float", lambda L: L.t.fmod(_s(L, [3], "int32"), _s(L, [[2.0, 1.5]],
                                                                      "float64")), None),
    ("fmod_int32_by_int64", lambda L: L.t.fmod(_s(L, [3, -7], "int32"), _s(L, [2], "int64")),
     None),
    ("einsum_no_operands", lambda L: L.t.einsum("ij,jk->ik", []), "at least one operand"),
    ("select_none_index", lambda L: L.t.select(L.t.ones(3, 1), -6, None), "must be int"),
    ("split_negative_first", lambda L: L.t.split(L.t.ones(1), -1, -3), "non-negative"),
    ("chunk_zero_first", lambda L: L.t.chunk(L.t.ones(1), 0, -3), "greater than 0"),
    ("flatten_none_end", lambda L: L.t.flatten(L.t.ones(3, 1), -6, None), "must be int"),
    ("roll_bool_dims", lambda L: L.t.roll(L.t.ones(2, 3), (1, 2), True), "tuple of ints"),
    ("randn_no_size_before_dtype", lambda L: L.t.randn(dtype=L.t.int32), "missing 1 required"),
    ("argmax_all_empty", lambda L: L.t.argmax(L.t.ones(2, 0)), "Expected reduction dim"),
    ("all_no_dims", lambda L: L.t.all(_s(L, [[1, 0, 2]], "int64"), dim=[], keepdim=True), None),
    ("any_no_dims", lambda L: L.t.any(_s(L, [[1, 0, 2]], "int64"), dim=()), None),
    ("prod_dtype_bool", lambda L: L.t.prod(_s(L, [[1.0, 2], [0, 3]]), 1, dtype=L.t.bool), None),
    ("masked_fill_keeps_bool", lambda L: L.t.masked_fill(
        _s(L, [True, False], "bool"), _s(L, [False, True], "bool"), 2.5), None),
    ("masked_fill_keeps_int", lambda L: L.t.masked_fill(
        _s(L, [1, 2], "int64"), _s(L, [False, True], "bool"), 2.5), None),
    ("median_bool", lambda L: L.t.median(_s(L, [True, False], "bool")), "'Bool'"),
    ("trace_bool", lambda L: L.t.trace(L.t.ones(3, 0, dtype=L.t.bool)), "'Bool'"),
    ("linspace_float_steps", lambda L: L.t.linspace(0, 3.0, 1.5), "must be int"),
    ("view_no_size", lambda L: L.t.ones(2, 3).view(), None),
    ("split_float_size", lambda L: L.t.split(L.t.ones(3), 1.5, 3), None),
    ("clamp_tensor_and_number", lambda L: L.t.clamp(L.t.ones(2), L.t.zeros(2), False), None),
    ("logsumexp_empty", lambda L: L.t.logsumexp(L.t.ones(2, 0), 1), None),
    ("logsumexp_empty_all", lambda L: L.t.logsumexp(L.t.ones(2, 0), (0, 1)), None),
    ("quantile_list_q", lambda L: L.t.quantile(L.t.ones(3), [0.5]), "'q'"),
    ("logical_and_broadcast", lambda L: L.t.logical_and(L.t.ones(2, 3), L.t.ones(0)),
     "must match the size"),
    ("median_bool_dim_first", lambda L: L.t.median(L.t.ones(2, 3, dtype=L.t.bool), 3, True),
     "Dimension out of range"),
    ("quantile_q_type_first", lambda L: L.t.quantile(_s(L, 1, "int64"), [0.2, 0.8], 0), "'q'"),
    ("logcumsumexp_dim_type_first", lambda L: L.t.logcumsumexp(
        L.t.ones(2, 3, dtype=L.t.int32), [0]), "must be int"),
    ("div_rounding_mode_int", lambda L: L.t.div(L.t.ones(2), L.t.ones(2), rounding_mode=1),
     "rounding_mode"),
    ("norm_bogus_order", lambda L: L.t.norm(_s(L, 1.0, "float64"), "bogus", [0]), "bogus"),
    ("pow_bool_bool", lambda L: L.t.pow(True, _s(L, [True, False], "bool")), "'Bool'"),
    ("pow_bool_tensors", lambda L: _s(L, True, "bool") ** _s(L, [[True]], "bool"), "'Bool'"),
    ("fmod_by_inf", lambda L: L.t.fmod(_s(L, 1.5, "float16"), _s(L, [INF, -INF, 2.0])), None),
    ("fmod_by_python_inf", lambda L: L.t.fmod(_s(L, [1.5, -2.0, INF]), INF), None),
    ("arange_inf_step", lambda L: L.t.arange(0, 2.5, INF), None),
    ("arange_nan_step", lambda L: L.t.arange(0, 5, NAN), "step must be nonzero"),
    ("quantile_dim_type_first", lambda L: L.t.quantile(_s(L, [1, 2], "int64"), 0.5, "0"),
     "must be int"),
    ("tensor_complex_int_dtype", lambda L: L.t.tensor([1 + 2j], dtype=L.t.int32), None),
    *[(f"{f}_int", lambda L, f=f: getattr(L.t, f)(_s(L, [0, -1, -2, 1, 2, 5, -4], "int64")),
       None) for f in ("lgamma", "digamma")],
]


@pytest.mark.parametrize("fn,match", [pytest.param(f, m, id=i) for i, f, m in CASES])
def test_as_torch(fn, match, backend):
    assert_same(fn, backend, match)
