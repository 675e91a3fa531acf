"""Checkpoints never lose or leak: permissions and symlinks survive a save, a failed save
leaves neither a changed file nor a temporary file, killed saves are swept up, and hostile
or odd files give an error naming the file instead of hanging, exhausting memory or a
traceback from deep inside the parser."""
from __future__ import annotations

import json
import os
import stat
import struct
import subprocess
import sys
import threading

import numpy as np
import pytest
import xgrad
from xgrad import serialization


def _state():
    return {"w": xgrad.arange(6.0).reshape(2, 3), "step": 3}


def _mode(p) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def test_save_keeps_the_destinations_permissions(tmp_path):
    p = tmp_path / "ck.xg"
    xgrad.save(_state(), p)
    os.chmod(p, 0o600)
    xgrad.save(_state(), p)
    assert _mode(p) == 0o600


def test_a_new_file_gets_the_umasks_mode(tmp_path):
    old = os.umask(0o027)
    try:
        xgrad.save(_state(), tmp_path / "new.xg")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "new.xg") == 0o640


def test_save_writes_through_a_symlink(tmp_path):
    target = tmp_path / "real.xg"
    xgrad.save({"a": 1}, target)
    link = tmp_path / "latest.xg"
    link.symlink_to(target)
    xgrad.save({"a": 2}, link)
    assert link.is_symlink() and xgrad.load(target) == {"a": 2}


def test_a_failed_save_keeps_the_old_file_and_leaves_no_temp_file(tmp_path, monkeypatch):
    p = tmp_path / "ck.xg"
    xgrad.save({"a": 1}, p)

    def boom(fh, payload):
        fh.write(payload[:10])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(serialization, "_write_payload", boom)
    with pytest.raises(OSError, match="No space left"):
        xgrad.save({"a": 2}, p)
    assert xgrad.load(p) == {"a": 1}
    assert sorted(os.listdir(tmp_path)) == ["ck.xg"]


def test_temp_files_of_killed_saves_are_swept(tmp_path):
    p = tmp_path / "ck.xg"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f".ck.xg.{dead}.abc123.tmp"
    stale.write_bytes(b"x" * 100)
    alive = tmp_path / f".ck.xg.{os.getppid()}.def456.tmp"  # a live process: kept
    alive.write_bytes(b"y")
    xgrad.save({"a": 1}, p)
    assert not stale.exists() and alive.exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = {}

    def attempt():
        try:
            xgrad.load(fifo)
        except ValueError as e:
            result["msg"] = str(e)

    t = threading.Thread(target=attempt, daemon=True)
    t.start()
    t.join(10)
    assert not t.is_alive(), "load() blocked on a FIFO"
    assert "FIFO" in result["msg"] and str(fifo) in result["msg"]


def test_devices_and_directories_are_refused(tmp_path):
    link = tmp_path / "zero.xg"
    link.symlink_to("/dev/zero")
    with pytest.raises(ValueError, match="is a device"):
        xgrad.load(link)
    with pytest.raises(ValueError, match="is a directory"):
        xgrad.load(tmp_path)
    with pytest.raises(FileNotFoundError, match="cannot open"):
        xgrad.load(tmp_path / "missing.xg")


def _raw_file(path, header: dict, body: bytes = b"") -> None:
    h = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(h)) + h + body)


def test_deeply_nested_metadata_is_a_clear_error(tmp_path):
    p = tmp_path / "deep.xg"
    tree = '{"l": [' * 5000 + ']}' * 5000
    _raw_file(p, {"__metadata__": {"format": "pt", "xgrad": tree, "xgrad_format_version": "2"}})
    with pytest.raises(ValueError, match="nested deeper than") as info:
        xgrad.load(p)
    assert str(p) in str(info.value)


@pytest.mark.parametrize("header, words", [
    ({"w": {"dtype": "F32", "shape": [1], "data_offsets": ["0", "4"]}}, "data_offsets"),
    ({"w": {"dtype": "F32", "shape": "x", "data_offsets": [0, 4]}}, "valid shape"),
    ({"w": {"dtype": ["F32"], "shape": [1], "data_offsets": [0, 4]}}, "valid dtype"),
    ({"w": {"dtype": "F8_E4M3", "shape": [4], "data_offsets": [0, 4]}}, "dtype F8_E4M3"),
    ({"__metadata__": {"xgrad": '{"d": [[["k"], {"v": 1}]]}'}}, "malformed structure"),
    ({"__metadata__": {"xgrad": '{"d": [[1, 2, 3]]}'}}, "malformed structure"),
    ({"__metadata__": {"xgrad": 5}}, "__metadata__"),
])
def test_malformed_files_name_the_file(tmp_path, header, words):
    p = tmp_path / "bad.xg"
    _raw_file(p, header, b"\0" * 8 if set(header) - {"__metadata__"} else b"")
    with pytest.raises(ValueError) as info:
        xgrad.load(p)
    assert words in str(info.value) and str(p) in str(info.value), str(info.value)


def test_round_trip_still_works(tmp_path):
    p = tmp_path / "ok.xg"
    xgrad.save(_state(), p)
    got = xgrad.load(p)
    np.testing.assert_array_equal(got["w"].numpy(), np.arange(6.0).reshape(2, 3))
    assert got["step"] == 3
