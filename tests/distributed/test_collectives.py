"""Every collective on 2 and 3 ranks against numpy computed here, on one process, from the same
per-rank inputs."""
from __future__ import annotations

import numpy as np
import pytest
from mpi_launch import rank_input, run_mpi

_REDUCE = {"SUM": lambda a: a.sum(0), "AVG": lambda a: a.mean(0), "MAX": lambda a: a.max(0),
           "MIN": lambda a: a.min(0), "PRODUCT": lambda a: a.prod(0)}


@pytest.fixture(scope="module", params=[2, 3], ids=["2ranks", "3ranks"])
def results(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    n = request.param
    out = tmp_path_factory.mktemp(f"coll{n}")
    proc, _ = run_mpi("collectives.py", n, str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return n, [dict(np.load(out / f"rank{r}.npz")) for r in range(n)]


def test_all_reduce_every_op_and_dtype(results) -> None:
    n, res = results
    for dtype in ("float32", "float64", "int64"):
        stack = np.stack([rank_input(r, (3, 4), dtype, salt=1) for r in range(n)])
        for op, fn in _REDUCE.items():
            if op == "AVG" and dtype == "int64":
                continue
            for r in range(n):
                got = res[r][f"all_reduce_{op}_{dtype}"]
                assert got.dtype == np.dtype(dtype)
                np.testing.assert_allclose(got, fn(stack).astype(dtype), rtol=1e-6, err_msg=f"{op} {dtype}")
    for r in range(n):
        np.testing.assert_array_equal(res[r]["all_reduce_async"],
                                      sum(rank_input(k, (3, 4), salt=1) for k in range(n)))
        assert res[r]["async_completed"]


def test_broadcast_and_reduce(results) -> None:
    n, res = results
    for r in range(n):
        np.testing.assert_array_equal(res[r]["broadcast"], rank_input(n - 1, (5,), salt=2))
        want = sum(rank_input(k, (5,), salt=3) for k in range(n)) if r == 1 else rank_input(r, (5,), salt=3)
        np.testing.assert_array_equal(res[r]["reduce"], want)


def test_async_collectives_keep_their_host_buffers(results) -> None:
    """Broadcast, all_reduce, reduce, reduce_scatter_tensor and all_gather_into_tensor
    started with async_op=True: every host array handed to MPI is alive until wait()."""
    n, res = results
    for r in range(n):
        assert res[r]["async_buffers_alive"].tolist() == [True] * 5


def test_all_reduce_in_place_semantics(results) -> None:
    n, res = results
    total = sum(rank_input(k, (4, 3), salt=32) for k in range(n))
    for r in range(n):
        assert res[r]["in_place_version_moved"]
        np.testing.assert_array_equal(res[r]["in_place_plain"], total)
        np.testing.assert_allclose(res[r]["in_place_view"], (total / n)[1:], rtol=1e-6)


def test_gathers(results) -> None:
    n, res = results
    every = np.stack([rank_input(k, (2, 3), salt=4) for k in range(n)])
    for r in range(n):
        np.testing.assert_array_equal(res[r]["all_gather"], every)
        np.testing.assert_array_equal(res[r]["all_gather_into_tensor"], every.reshape(n * 2, 3))
        np.testing.assert_array_equal(res[r]["all_gather_into_tensor_stacked"], every)
    np.testing.assert_array_equal(res[0]["gather"], np.stack([rank_input(k, (3,), salt=5) for k in range(n)]))
    assert all("gather" not in res[r] for r in range(1, n))


def test_scatters(results) -> None:
    n, res = results
    for r in range(n):
        np.testing.assert_array_equal(res[r]["scatter"], rank_input(0, (3,), salt=20 + r))
        np.testing.assert_array_equal(res[r]["reduce_scatter"],
                                      sum(rank_input(k, (4,), salt=10 + r) for k in range(n)))
        full = np.stack([rank_input(k, (n * 2, 3), salt=6) for k in range(n)]).max(0)
        np.testing.assert_array_equal(res[r]["reduce_scatter_tensor_MAX"], full[2 * r:2 * r + 2])


def test_all_to_all_single(results) -> None:
    n, res = results
    for r in range(n):
        want = np.concatenate([rank_input(k, (n * 2, 2), salt=7)[2 * r:2 * r + 2] for k in range(n)])
        np.testing.assert_array_equal(res[r]["all_to_all_single"], want)
        chunks = []
        for k in range(n):  # rank k sends c(k, j) = k + j + 1 rows to rank j
            sizes = [k + j + 1 for j in range(n)]
            start = sum(sizes[:r])
            chunks.append(rank_input(k, (sum(sizes), 2), salt=8)[start:start + sizes[r]])
        np.testing.assert_array_equal(res[r]["all_to_all_single_uneven"], np.concatenate(chunks))


def test_new_group_and_objects(results) -> None:
    n, res = results
    members = [0, n - 1]
    for r in range(n):
        if r in members:
            np.testing.assert_array_equal(res[r]["group_all_reduce"],
                                          sum(rank_input(k, (3,), salt=9) for k in members))
            assert int(res[r]["group_rank"]) == members.index(r) and int(res[r]["group_size"]) == 2
        else:
            assert int(res[r]["group_rank"]) == -1
        assert res[r]["broadcast_object_list"] and res[r]["all_gather_object"]


def test_any_backend_in_place(results) -> None:
    n, res = results
    for r in range(n):
        np.testing.assert_array_equal(res[r]["reference_all_reduce"],
                                      sum(rank_input(k, (2, 2), salt=1) for k in range(n)))
        assert res[r]["reference_device"] and res[r]["leaf_still_requires_grad"]
