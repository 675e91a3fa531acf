"""Prints the torchrun variables seen before and after init_process_group."""
import json
import os
import sys
from pathlib import Path

import xgrad.distributed as dist

before = [os.environ.get(k) for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK")]
dist.init_process_group()
after = [os.environ[k] for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE")]
row = [before, after, dist.get_rank(), dist.get_world_size(), dist.get_backend()]
(Path(sys.argv[1]) / f"rank{dist.get_rank()}.json").write_text(json.dumps(row))  # ranks' stdout interleaves
dist.destroy_process_group()
assert not dist.is_initialized()
