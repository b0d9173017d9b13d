"""Atomic output: a file is written to a temporary name in its directory and renamed into place."""

from __future__ import annotations

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


def write_parquet(path: str | Path, frame: pd.DataFrame, overwrite: bool = False) -> Path:
    """Atomic parquet of a DataFrame (index kept)."""
    import io

    buf = io.BytesIO()
    frame.to_parquet(buf, index=True)
    return atomic_write_bytes(path, buf.getvalue(), overwrite)


def write_figure(path: str | Path, fig, overwrite: bool = False) -> Path:
    """Atomic image of a matplotlib figure; the format follows the suffix (png, pdf)."""
    import io

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format=Path(path).suffix.lstrip("."), dpi=150)
    plt.close(fig)
    return atomic_write_bytes(path, buf.getvalue(), overwrite)
