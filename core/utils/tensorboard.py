"""``xgrad.utils.tensorboard``: :class:`SummaryWriter`, as ``torch.utils.tensorboard``.

Event files are written with the ``tensorboard`` package's own event-file writer and
protocol buffers (``pip install 'xgrad[tensorboard]'``). Importing this module works
without the package; creating a :class:`SummaryWriter` then raises an ``ImportError``
naming the extra.
"""
from __future__ import annotations

import os
import socket
import struct
import time
import zlib
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..autograd import enable_grad
from ..nn import Module
from ..tensor import Tensor

__all__ = ["SummaryWriter"]

_EXTRA_HINT = ("xgrad.utils.tensorboard needs the 'tensorboard' package: "
               "pip install 'xgrad[tensorboard]'")


def _tb() -> Any:
    """The tensorboard modules this writer uses, imported on first use."""
    try:
        from tensorboard.compat.proto import (
            event_pb2,
            graph_pb2,
            node_def_pb2,
            summary_pb2,
            tensor_pb2,
            tensor_shape_pb2,
        )
        from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2
        from tensorboard.plugins.hparams import metadata as hp_metadata
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError as e:
        raise ImportError(f"{_EXTRA_HINT} (import failed: {e})") from e
    return SimpleNamespace(event_pb2=event_pb2, graph_pb2=graph_pb2, node_def_pb2=node_def_pb2,
                           summary_pb2=summary_pb2, tensor_pb2=tensor_pb2,
                           tensor_shape_pb2=tensor_shape_pb2, api_pb2=api_pb2,
                           plugin_data_pb2=plugin_data_pb2, hp_metadata=hp_metadata,
                           EventFileWriter=EventFileWriter)


def _to_numpy(x: Any) -> np.ndarray:
    if isinstance(x, Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _scalar(value: Any) -> float:
    arr = _to_numpy(value)
    if arr.size != 1:
        raise ValueError(f"add_scalar: expected a scalar value, got an array of shape {arr.shape}")
    return float(arr.reshape(()))


def _png(img: np.ndarray) -> bytes:
    """PNG bytes of a uint8 (H, W, C) image with C in 1, 3 or 4 (no compression tricks)."""
    h, w, c = img.shape
    color = {1: 0, 3: 2, 4: 6}[c]
    raw = b"".join(b"\x00" + img[i].tobytes() for i in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def _hwc(arr: np.ndarray, dataformats: str) -> np.ndarray:
    """An image array in layout ``dataformats`` (CHW, HWC, HW) as uint8 HWC."""
    fmt = dataformats.upper()
    if sorted(fmt) not in (sorted("CHW"), sorted("HW")) or len(fmt) != arr.ndim:
        raise ValueError(f"add_image: dataformats {dataformats!r} does not fit an image of shape "
                         f"{arr.shape}: expected one of 'CHW', 'HWC', 'HW' with as many dims")
    if fmt == "HW":
        arr, fmt = arr[..., None], "HWC"
    arr = np.transpose(arr, [fmt.index(k) for k in "HWC"])
    if arr.dtype != np.uint8:
        scale = 1.0 if arr.size and float(np.max(arr)) > 1.01 else 255.0
        arr = np.clip(arr.astype(np.float64) * scale, 0, 255).round().astype(np.uint8)
    if arr.shape[2] == 2 or arr.shape[2] > 4:
        raise ValueError(f"add_image: expected 1, 3 or 4 channels, got {arr.shape[2]}")
    return arr


def _grid(arr: np.ndarray, dataformats: str) -> np.ndarray:
    """A batch of images (NCHW/NHWC/...) tiled into one CHW grid, as torchvision's make_grid."""
    fmt = dataformats.upper()
    if "N" not in fmt or len(fmt) != arr.ndim:
        raise ValueError(f"add_images: dataformats {dataformats!r} does not fit a batch of shape "
                         f"{arr.shape}: expected e.g. 'NCHW' or 'NHWC'")
    if "C" not in fmt:
        arr, fmt = arr[..., None], fmt + "C"
    arr = np.transpose(arr, [fmt.index(k) for k in "NCHW"])
    n, c, h, w = arr.shape
    if c == 1:
        arr, c = np.repeat(arr, 3, axis=1), 3
    ncols = min(8, n)
    nrows = (n + ncols - 1) // ncols
    out = np.zeros((c, nrows * h, ncols * w), dtype=arr.dtype)
    for i in range(n):
        r, q = divmod(i, ncols)
        out[:, r * h:(r + 1) * h, q * w:(q + 1) * w] = arr[i]
    return out


class SummaryWriter:
    """Writes TensorBoard event files into ``log_dir`` (as ``torch.utils.tensorboard``).

    ``log_dir`` defaults to ``runs/CURRENT_DATETIME_HOSTNAME`` with ``comment`` appended;
    ``max_queue`` events are buffered and flushed at least every ``flush_secs`` seconds.
    """

    def __init__(self, log_dir: str | None = None, comment: str = "", purge_step: int | None = None,
                 max_queue: int = 10, flush_secs: int = 120, filename_suffix: str = "") -> None:
        self._tb = _tb()
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = str(log_dir)
        self.purge_step = purge_step
        self.max_queue, self.flush_secs, self.filename_suffix = max_queue, flush_secs, filename_suffix
        self._writer = self._new_writer(self.log_dir)
        self._sub_writers: dict[str, Any] = {}
        if purge_step is not None:
            ev = self._tb.event_pb2.Event(step=purge_step, wall_time=time.time())
            ev.session_log.status = self._tb.event_pb2.SessionLog.START
            self._writer.add_event(ev)

    def _new_writer(self, path: str) -> Any:
        return self._tb.EventFileWriter(path, self.max_queue, self.flush_secs, self.filename_suffix)

    def get_logdir(self) -> str:
        """The directory event files are written to."""
        return self.log_dir

    # ---- events ------------------------------------------------------------------------------
    def _event(self, summary: Any, global_step: int | None, walltime: float | None,
               writer: Any = None) -> None:
        ev = self._tb.event_pb2.Event(summary=summary,
                                      wall_time=time.time() if walltime is None else walltime)
        if global_step is not None:
            ev.step = int(global_step)
        (writer or self._writer).add_event(ev)

    def _summary(self, tag: str, **value: Any) -> Any:
        return self._tb.summary_pb2.Summary(value=[self._tb.summary_pb2.Summary.Value(tag=tag, **value)])

    def add_scalar(self, tag: str, scalar_value: Any, global_step: int | None = None,
                   walltime: float | None = None, new_style: bool = False,
                   double_precision: bool = False) -> None:
        """Log one scalar (a number or a one-element tensor) under ``tag``."""
        self._event(self._summary(tag, simple_value=_scalar(scalar_value)), global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict[str, Any], global_step: int | None = None,
                    walltime: float | None = None) -> None:
        """Log several scalars in one chart: each key becomes the run ``log_dir/main_tag_key``."""
        if not isinstance(tag_scalar_dict, dict):
            raise TypeError(f"add_scalars: expected a dict of tag -> value, got "
                            f"{type(tag_scalar_dict).__name__}")
        walltime = time.time() if walltime is None else walltime
        for tag, value in tag_scalar_dict.items():
            path = os.path.join(self.log_dir, f"{main_tag}_{tag}".replace("/", "_"))
            if path not in self._sub_writers:
                self._sub_writers[path] = self._new_writer(path)
            self._event(self._summary(main_tag, simple_value=_scalar(value)), global_step, walltime,
                        self._sub_writers[path])

    def add_histogram(self, tag: str, values: Any, global_step: int | None = None,
                      bins: str | int = "tensorflow", walltime: float | None = None,
                      max_bins: int | None = None) -> None:
        """Log a histogram of ``values``; ``bins`` is numpy's (an int or a rule name)."""
        arr = _to_numpy(values).astype(np.float64).ravel()
        if arr.size == 0:
            raise ValueError("add_histogram: the input has no element")
        if bins == "tensorflow":
            bins = 30
        counts, edges = np.histogram(arr, bins=bins)
        # empty buckets at either end are dropped; a zero bucket ending at the lowest edge
        # comes first, as PyTorch writes them
        nz = np.flatnonzero(counts)
        lo, hi = int(nz[0]), int(nz[-1])
        hist = self._tb.summary_pb2.HistogramProto(
            min=float(arr.min()), max=float(arr.max()), num=int(arr.size), sum=float(arr.sum()),
            sum_squares=float((arr * arr).sum()), bucket_limit=[float(e) for e in edges[lo:hi + 2]],
            bucket=[0.0] + [float(c) for c in counts[lo:hi + 1]])
        self._event(self._summary(tag, histo=hist), global_step, walltime)

    def _image_summary(self, tag: str, hwc: np.ndarray) -> Any:
        h, w, c = hwc.shape
        img = self._tb.summary_pb2.Summary.Image(height=h, width=w, colorspace=c,
                                                 encoded_image_string=_png(hwc))
        return self._summary(tag, image=img)

    def add_image(self, tag: str, img_tensor: Any, global_step: int | None = None,
                  walltime: float | None = None, dataformats: str = "CHW") -> None:
        """Log one image; floats are taken in [0, 1], uint8 in [0, 255]."""
        self._event(self._image_summary(tag, _hwc(_to_numpy(img_tensor), dataformats)), global_step,
                    walltime)

    def add_images(self, tag: str, img_tensor: Any, global_step: int | None = None,
                   walltime: float | None = None, dataformats: str = "NCHW") -> None:
        """Log a batch of images, tiled into one grid image (8 per row)."""
        grid = _grid(_to_numpy(img_tensor), dataformats)
        self._event(self._image_summary(tag, _hwc(grid, "CHW")), global_step, walltime)

    def _text_summary(self, tag: str, text: str) -> Any:
        pb = self._tb
        meta = pb.summary_pb2.SummaryMetadata(
            plugin_data=pb.summary_pb2.SummaryMetadata.PluginData(plugin_name="text"))
        tensor = pb.tensor_pb2.TensorProto(
            dtype="DT_STRING", string_val=[text.encode("utf-8")],
            tensor_shape=pb.tensor_shape_pb2.TensorShapeProto(
                dim=[pb.tensor_shape_pb2.TensorShapeProto.Dim(size=1)]))
        return self._summary(tag + "/text_summary", metadata=meta, tensor=tensor)

    def add_text(self, tag: str, text_string: str, global_step: int | None = None,
                 walltime: float | None = None) -> None:
        """Log a (Markdown) text under ``tag`` (stored as ``tag/text_summary``)."""
        if not isinstance(text_string, str):
            raise TypeError(f"add_text: expected text_string to be a str, got {type(text_string).__name__}")
        self._event(self._text_summary(tag, text_string), global_step, walltime)

    def _hp_summary(self, tag: str, data: Any) -> Any:
        meta = self._tb.hp_metadata.create_summary_metadata(data)
        return self._summary(tag, metadata=meta)

    def add_hparams(self, hparam_dict: dict[str, Any], metric_dict: dict[str, Any],
                    hparam_domain_discrete: dict[str, list] | None = None,
                    run_name: str | None = None, global_step: int | None = None) -> None:
        """Log one trial's hyperparameters and final metrics for the HParams dashboard.

        As in PyTorch, the trial goes into a sub-run of ``log_dir`` (``run_name``, by default
        the current time) holding the experiment, session start/end and the metric scalars.
        """
        if not isinstance(hparam_dict, dict) or not isinstance(metric_dict, dict):
            raise TypeError("add_hparams: expected hparam_dict and metric_dict to be dicts, got "
                            f"{type(hparam_dict).__name__} and {type(metric_dict).__name__}")
        api, pd = self._tb.api_pb2, self._tb.plugin_data_pb2
        hparam_domain_discrete = hparam_domain_discrete or {}
        start = pd.SessionStartInfo(start_time_secs=time.time())
        infos = []
        for name, value in hparam_dict.items():
            if isinstance(value, Tensor):
                value = _scalar(value)
            info = api.HParamInfo(name=name)
            if isinstance(value, bool):
                start.hparams[name].bool_value = value
                info.type = api.DATA_TYPE_BOOL
            elif isinstance(value, (int, float)):
                start.hparams[name].number_value = float(value)
                info.type = api.DATA_TYPE_FLOAT64
            elif isinstance(value, str):
                start.hparams[name].string_value = value
                info.type = api.DATA_TYPE_STRING
            elif value is None:
                start.hparams[name].string_value = "None"
                info.type = api.DATA_TYPE_STRING
            else:
                raise ValueError(f"add_hparams: value of hparam {name!r} must be an int, float, str, "
                                 f"bool or Tensor, got {type(value).__name__}")
            if name in hparam_domain_discrete:
                info.domain_discrete.extend(hparam_domain_discrete[name])
            infos.append(info)
        metrics = [api.MetricInfo(name=api.MetricName(tag=k)) for k in metric_dict]
        exp = api.Experiment(hparam_infos=infos, metric_infos=metrics, time_created_secs=time.time())
        md = self._tb.hp_metadata
        path = os.path.join(self.log_dir, run_name or str(time.time()))
        w = self._new_writer(path)
        self._sub_writers[path] = w
        self._event(self._hp_summary(md.EXPERIMENT_TAG, pd.HParamsPluginData(experiment=exp)),
                    None, None, w)
        self._event(self._hp_summary(md.SESSION_START_INFO_TAG, pd.HParamsPluginData(
            session_start_info=start)), None, None, w)
        end = pd.SessionEndInfo(status=api.STATUS_SUCCESS, end_time_secs=time.time())
        self._event(self._hp_summary(md.SESSION_END_INFO_TAG, pd.HParamsPluginData(
            session_end_info=end)), None, None, w)
        for k, v in metric_dict.items():
            self._event(self._summary(k, simple_value=_scalar(v)), global_step, None, w)

    def add_embedding(self, mat: Any, metadata: list | None = None, label_img: Any = None,
                      global_step: int | None = None, tag: str = "default",
                      metadata_header: list | None = None) -> None:
        """Write ``mat`` (N, D) for the Projector: ``tensors.tsv``, ``metadata.tsv`` and an
        entry in ``projector_config.pbtxt``, under ``log_dir/<global_step>/<tag>``."""
        arr = _to_numpy(mat)
        if arr.ndim != 2:
            raise ValueError(f"add_embedding: expected a 2-D matrix (N, D), got shape {arr.shape}")
        sub = os.path.join(f"{global_step or 0:05d}", tag)
        path = os.path.join(self.log_dir, sub)
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "tensors.tsv"), "w") as f:
            for row in arr:
                f.write("\t".join(repr(float(v)) for v in row) + "\n")
        entry = f'embeddings {{\n  tensor_name: "{tag}:{global_step or 0:05d}"\n' \
                f'  tensor_path: "{sub}/tensors.tsv"\n'
        if metadata is not None:
            if len(metadata) != arr.shape[0]:
                raise ValueError(f"add_embedding: expected {arr.shape[0]} metadata rows (one per "
                                 f"embedding), got {len(metadata)}")
            with open(os.path.join(path, "metadata.tsv"), "w") as f:
                if metadata_header is not None:
                    f.write("\t".join(str(h) for h in metadata_header) + "\n")
                for m in metadata:
                    f.write(("\t".join(str(v) for v in m) if isinstance(m, (list, tuple)) else str(m))
                            + "\n")
            entry += f'  metadata_path: "{sub}/metadata.tsv"\n'
        with open(os.path.join(self.log_dir, "projector_config.pbtxt"), "a") as f:
            f.write(entry + "}\n")

    def add_graph(self, model: Module, input_to_model: Any = None, verbose: bool = False,
                  use_strict_trace: bool = True) -> None:
        """Log the autograd graph recorded by one forward pass of ``model``.

        Each op node (named after the op, e.g. ``linear``, ``relu``) links to the nodes of
        its inputs; parameters appear under their ``named_parameters`` names.
        """
        inputs = input_to_model if isinstance(input_to_model, (tuple, list)) else (input_to_model,)
        params = {id(p): n for n, p in model.named_parameters()}
        graph_in = [x.detach().requires_grad_(True) if isinstance(x, Tensor) and x.is_floating_point()
                    else x for x in inputs]
        with enable_grad():  # the graph is the autograd record, also when called under no_grad
            out = model(*graph_in)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        names: dict[int, str] = {}
        for i, x in enumerate(graph_in):
            if isinstance(x, Tensor):
                names[id(x)] = f"input/{i}"
        nodes: list[Any] = []
        pb = self._tb
        seen_nodes: dict[int, str] = {}
        counter: dict[str, int] = {}

        def name_of(t: Tensor) -> str:
            node = getattr(t, "grad_fn", None)
            if node is None:
                key = id(t)
                if key not in names:
                    names[key] = f"param/{params[key]}" if key in params else f"constant/{len(names)}"
                if names[key] not in {n.name for n in nodes}:
                    nodes.append(pb.node_def_pb2.NodeDef(name=names[key], op="Parameter" if key in params
                                                      else "IO Node"))
                return names[key]
            if id(node) in seen_nodes:
                return seen_nodes[id(node)]
            ins = [name_of(i) for i in (node.inputs or ()) if isinstance(i, Tensor)]
            k = counter.get(node.name, 0)
            counter[node.name] = k + 1
            nm = f"{node.name}_{k}"
            seen_nodes[id(node)] = nm
            nodes.append(pb.node_def_pb2.NodeDef(name=nm, op=node.name, input=ins))
            return nm

        for i, o in enumerate(outs):
            if isinstance(o, Tensor):
                src = name_of(o)
                nodes.append(pb.node_def_pb2.NodeDef(name=f"output/{i}", op="IO Node", input=[src]))
        del out
        graph = pb.graph_pb2.GraphDef(node=nodes)
        ev = pb.event_pb2.Event(graph_def=graph.SerializeToString(), wall_time=time.time())
        self._writer.add_event(ev)
        if verbose:
            print(graph)

    # ---- lifecycle ---------------------------------------------------------------------------
    def flush(self) -> None:
        """Write all pending events to disk."""
        self._writer.flush()
        for w in self._sub_writers.values():
            w.flush()

    def close(self) -> None:
        """Flush and close every event file of this writer."""
        self._writer.close()
        for w in self._sub_writers.values():
            w.close()

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

