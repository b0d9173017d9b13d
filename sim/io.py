"""Atomic output: a file is written to a temporary name in its directory and renamed into place."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import pandas as pd


def atomic_write_bytes(path: str | Path, data: bytes, overwrite: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically; refuses to replace an existing file unless ``overwrite``."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; refusing to overwrite a finished output")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json(path: str | Path, obj, overwrite: bool = False) -> Path:
    """Atomic JSON (indented, UTF-8)."""
    return atomic_write_bytes(path, (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode(), overwrite)


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """Parquet of a DataFrame (index kept), deterministic: equal frames give equal bytes.

    One writer with fixed settings (snappy, statistics, no timestamps); a merged table written here is therefore
    byte-identical to the same table written in one piece, given the same pandas and pyarrow versions.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=True)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="snappy", write_statistics=True, use_dictionary=True)
    return sink.getvalue().to_pybytes()


def write_parquet(path: str | Path, frame: pd.DataFrame, overwrite: bool = False) -> Path:
    """Atomic, deterministic parquet of a DataFrame (index kept); see ``parquet_bytes``."""
    return atomic_write_bytes(path, parquet_bytes(frame), overwrite)


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_figure(path: str | Path, fig, overwrite: bool = False) -> Path:
    """Atomic image of a matplotlib figure; the format follows the suffix (png, pdf)."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format=Path(path).suffix.lstrip("."), dpi=150)
    if fig.canvas.manager is not None:  # a figure pyplot tracks (ema-workbench's): release it
        import matplotlib.pyplot as plt

        plt.close(fig)
    return atomic_write_bytes(path, buf.getvalue(), overwrite)
