"""Write docs/api.md from the op table (tests/core/test_op_table.py checks it is current)."""
from pathlib import Path

from xgrad.ops.table import api_markdown

out = Path(__file__).resolve().parents[1] / "docs" / "api.md"
out.write_text(api_markdown() + "\n")
print(f"wrote {out}")
