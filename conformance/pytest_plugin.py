"""pytest plugin of the conformance suite (registered through the ``pytest11`` entry point).

Inert unless asked: it adds the ``--xgrad-*`` options and the ``pytest_xgrad_*`` hooks, and
otherwise acts only on tests collected from ``xgrad.conformance``. Run the suite with::

    pytest --pyargs xgrad.conformance --xgrad-backend=NAME -n auto

Importing this module imports nothing beyond pytest and the standard library; xgrad's
suite modules load only when their tests are collected.
"""
from __future__ import annotations

import os
from typing import Any

import pytest

_MARK = "xgrad"  # user_properties key carrying (backend, dtype, op, check)


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("xgrad", "xgrad backend conformance suite")
    group.addoption("--xgrad-backend", action="append", dest="xgrad_backend", default=None,
                    metavar="NAME", help="backend to check (repeatable; 'all' = every available "
                    "backend). Default when the suite is collected without it: numpy.")
    group.addoption("--xgrad-dtypes", dest="xgrad_dtypes", default=None, metavar="LIST",
                    help="comma-separated floating dtypes to check (default float32,float64)")
    group.addoption("--xgrad-gradcheck", dest="xgrad_gradcheck", default="auto",
                    choices=("auto", "directional", "full"),
                    help="gradient check: full Jacobian for small inputs and a random-direction "
                    "check otherwise (auto), or always one of them")
    group.addoption("--xgrad-skips-file", dest="xgrad_skips_file", default=None, metavar="PATH",
                    help="file of test ids to skip (one a line, '#' comments)")
    group.addoption("--xgrad-xfails-file", dest="xgrad_xfails_file", default=None, metavar="PATH",
                    help="file of test ids expected to fail (strict: an unexpected pass fails)")
    group.addoption("--xgrad-seed", dest="xgrad_seed", default=None, metavar="N",
                    help="salt every sample seed with N (default: $XGRAD_CONFORMANCE_SEED, "
                    "else 0); the report records it so a failure can be replayed")
    group.addoption("--xgrad-shape-budget", dest="xgrad_shape_budget", action="store_true",
                    default=False, help="draw array inputs from a small fixed set of shapes per "
                    "rank (a case none of whose samples fits keeps its first one): fewer distinct "
                    "kernels for backends that compile per shape")
    group.addoption("--xgrad-count-kernels", dest="xgrad_count_kernels", action="store_true",
                    default=False, help="count the distinct (op, shape, dtype) backend calls per "
                    "backend under test (printed, and recorded in the report)")
    group.addoption("--xgrad-report", dest="xgrad_report", default=None, metavar="PATH",
                    help="write the op x dtype x backend JSON report here (and a .md next to it)")


def pytest_addhooks(pluginmanager: Any) -> None:
    from . import _hookspecs

    pluginmanager.add_hookspecs(_hookspecs)


_HERE = os.path.dirname(os.path.abspath(__file__))


def _is_suite(item: Any) -> bool:
    path = getattr(item, "path", None)
    return path is not None and os.path.dirname(os.path.abspath(str(path))) == _HERE


def read_ids(path: str) -> list[str]:
    """Test ids of a skips/xfails file: one a line; ``#`` starts a comment."""
    ids = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                ids.append(line)
    return ids


def _matches(item: Any, test_id: str) -> bool:
    nid = item.nodeid
    return (test_id == item.name or nid == test_id or nid.endswith("::" + test_id)
            or nid.endswith("/" + test_id))


def pytest_collection_modifyitems(config: Any, items: list) -> None:
    suite = [it for it in items if _is_suite(it)]
    if not suite:
        return
    for it in suite:
        params = getattr(getattr(it, "callspec", None), "params", {})
        param = next((params[k] for k in ("xgrad_op", "xgrad_item", "xgrad_counter", "xgrad_view",
                                          "xgrad_compiled", "xgrad_prim", "xgrad_fresh",
                                          "xgrad_pdtype", "xgrad_derived")
                      if k in params), None)
        if isinstance(param, tuple) and len(param) == 3:  # not an empty parameter set
            backend, dtype, op = param
            check = it.originalname[len("test_"):]
            it.user_properties.append((_MARK, [backend, dtype, op, check]))
    unmatched: list[str] = []
    for opt, make in (("xgrad_skips_file", lambda p: pytest.mark.skip(reason=f"listed in {p}")),
                      ("xgrad_xfails_file",
                       lambda p: pytest.mark.xfail(strict=True, reason=f"listed in {p}"))):
        path = config.getoption(opt)
        if not path:
            continue
        for test_id in read_ids(path):
            hits = [it for it in suite if _matches(it, test_id)]
            for it in hits:
                it.add_marker(make(os.path.basename(path)))
            if not hits:
                unmatched.append(f"{test_id} (in {path})")
    config._xgrad_unmatched = unmatched


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    outcome = yield
    if not _is_suite(item) or call.excinfo is None:
        return
    from .checks import ConformanceFailure

    rep = outcome.get_result()
    if isinstance(call.excinfo.value, ConformanceFailure):
        msg = str(call.excinfo.value)
        if rep.failed:
            rep.longrepr = msg
        rep.user_properties.append(("xgrad_message", msg))
    elif rep.failed:
        rep.user_properties.append(("xgrad_message", f"{call.excinfo.typename}: {call.excinfo.value}"))


class _Collector:
    """Outcome of every conformance test, gathered on the controlling process (registered
    only when ``--xgrad-report`` is given)."""

    def __init__(self) -> None:
        self.results: dict[str, dict] = {}

    def pytest_runtest_logreport(self, report: Any) -> None:
        props = dict(report.user_properties)
        key = props.get(_MARK)
        if key is None or (report.when != "call" and report.outcome == "passed"):
            return
        backend, dtype, op, check = key
        outcome = report.outcome
        if hasattr(report, "wasxfail"):
            outcome = "xfail" if report.skipped else "xpass"
        elif report.failed and "XPASS(strict)" in str(report.longrepr):
            outcome = "xpass"
        prev = self.results.get(report.nodeid)
        if prev is not None and prev["outcome"] in ("failed", "xpass"):
            return
        self.results[report.nodeid] = {
            "id": report.nodeid.rsplit("::", 1)[-1], "nodeid": report.nodeid,
            "backend": backend, "dtype": dtype, "op": op, "check": check,
            "outcome": outcome, "message": props.get("xgrad_message", ""),
            "skip_reason": _skip_reason(report) if report.skipped else "",
        }


def _skip_reason(report: Any) -> str:
    lr = report.longrepr
    if isinstance(lr, tuple) and len(lr) == 3:
        return str(lr[2])
    return str(getattr(report, "wasxfail", "") or lr or "")


def pytest_configure(config: Any) -> None:
    seed = config.getoption("xgrad_seed")
    if seed is not None:
        try:
            int(seed, 0)
        except ValueError:
            raise pytest.UsageError(f"--xgrad-seed expects an integer, got {seed!r}") from None
        os.environ["XGRAD_CONFORMANCE_SEED"] = seed  # workers and sampling read it
    if config.getoption("xgrad_shape_budget"):
        os.environ["XGRAD_CONFORMANCE_SHAPE_BUDGET"] = "1"  # workers and sampling read it
    if config.getoption("xgrad_count_kernels"):
        from .kernel_count import install

        install(config)
    if config.getoption("xgrad_report") and not hasattr(config, "workerinput"):
        config._xgrad_collector = _Collector()
        config.pluginmanager.register(config._xgrad_collector, "xgrad-conformance-collector")


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    config = session.config
    if hasattr(config, "workerinput"):
        return
    path = config.getoption("xgrad_report")
    col = getattr(config, "_xgrad_collector", None)
    if not path or col is None:
        return
    from .report import write_reports
    from .selection import selection

    write_reports(path, list(col.results.values()), selection(config))


def pytest_terminal_summary(terminalreporter: Any, config: Any) -> None:
    unmatched = getattr(config, "_xgrad_unmatched", None)
    if unmatched:
        terminalreporter.write_sep("-", "xgrad: ids in skips/xfails files that match no test")
        for line in unmatched:
            terminalreporter.write_line(line)
    path = config.getoption("xgrad_report")
    if path and not hasattr(config, "workerinput"):
        terminalreporter.write_line(f"xgrad conformance report: {path} "
                                    f"and {os.path.splitext(path)[0]}.md")
