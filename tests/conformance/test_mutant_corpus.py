"""The conformance suite fails every backend of the planted-bug corpus (``mutants.py``).

CI mode: each mutant runs only the checks of the cases its ``cases`` patterns select, in
this process, and stops at the first failure (see ``mutant_report.py``). The whole suite on
every mutant: ``python -m tests.conformance.mutant_report --full``.
"""
from __future__ import annotations

import pytest
from mutant_report import hunt
from mutants import MUTANTS, backend_name, register

#: Mutants the suite cannot tell from a correct backend, with the reason (class name -> why).
EQUIVALENT: dict[str, str] = {}

@pytest.fixture(scope="module", autouse=True)
def _corpus() -> None:
    register()


def test_corpus_size_and_categories() -> None:
    """At least 60 mutants, each with a category, a one-line docstring and target cases."""
    from mutants import CATEGORIES

    assert len(MUTANTS) >= 60
    names = [backend_name(c) for c in MUTANTS]
    assert len(set(names)) == len(names)
    for c in MUTANTS:
        assert c.category in CATEGORIES, c
        assert c.__doc__ and c.__doc__.strip(), c
        assert c.cases, c
    assert not set(EQUIVALENT) - {c.__name__ for c in MUTANTS}


@pytest.mark.parametrize("cls", [c for c in MUTANTS if c.__name__ not in EQUIVALENT],
                         ids=lambda c: c.__name__)
def test_suite_kills_mutant(cls: type) -> None:
    """Some check of the cases relevant to the planted bug fails on the mutant."""
    h = hunt(backend_name(cls), cls.cases)
    assert h.ran, f"{cls.__name__}: its patterns {cls.cases} select no check of the suite"
    assert h.killed, f"{cls.__name__} ({cls.__doc__.strip()}) survived {h.ran} checks"


def test_unmutated_backend_passes_every_targeted_check() -> None:
    """The same checks on the unmodified numpy backend all pass: a kill is the bug's doing."""
    patterns = tuple(sorted({p for c in MUTANTS for p in c.cases}))
    h = hunt("numpy", patterns, first=False)
    assert h.ran > 100
    assert not h.killed_by, h.killed_by[:10]
