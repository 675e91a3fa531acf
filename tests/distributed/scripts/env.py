"""Prints the torchrun variables seen before and after init_process_group."""
import json
import os

import xgrad.distributed as dist

before = [os.environ.get(k) for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK")]
dist.init_process_group()
after = [os.environ[k] for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE")]
print("ENV", json.dumps([before, after, dist.get_rank(), dist.get_world_size(), dist.get_backend()]),
      flush=True)
dist.destroy_process_group()
assert not dist.is_initialized()
