"""The README's promises: its program is the example that runs, its test command is CI's."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def test_quickstart_has_exactly_two_commands_and_ci_runs_the_test_command_verbatim() -> None:
    quick = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)```", quick, flags=re.S)
    assert len(commands) == 2, commands
    demo, tests = (c.strip() for c in commands)
    assert "examples/simple_net.py" in demo
    assert "pytest" in tests
    ci = (ROOT / ".ci" / "run").read_text()
    assert tests in ci.splitlines(), "'.ci/run' must run the README's test command verbatim"


def test_readme_program_is_the_demo_example() -> None:
    program = README.split("## The PyTorch program, on xgrad", 1)[1]
    (code,) = re.findall(r"```python\n(.*?)```", program, flags=re.S)[:1]
    example = (ROOT / "examples" / "simple_net.py").read_text()
    assert code.strip() in example, "README program and examples/simple_net.py differ"
