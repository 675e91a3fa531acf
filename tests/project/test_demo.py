"""examples/demo.py, the README's first command: both backends print the same losses and the
plot is a PNG."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_backends_agree_and_plot(tmp_path):
    out_png = tmp_path / "losses.png"
    res = subprocess.run([sys.executable, str(ROOT / "examples" / "demo.py"), "--steps", "12",
                          "--out", str(out_png)], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    rows = re.findall(r"^\s*(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.e+-]+)$", res.stdout, flags=re.M)
    assert [int(r[0]) for r in rows] == [1, 2, 3, 4, 5, 10, 12]
    for _, a, b, _ in rows:
        assert abs(float(a) - float(b)) < 1e-5
    assert float(rows[-1][1]) < float(rows[0][1])  # it learns
    assert "largest difference" in res.stdout
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "no plot written" in res.stdout
    else:
        assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
