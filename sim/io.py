"""Atomic output: a file is written to a temporary name in its directory and renamed into place, with the mode
the umask gives a new file (as ``open`` would); and the one-line description of a failed file operation."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import tempfile
from pathlib import Path

import pandas as pd

# A file operation failing with one of these means the path given cannot be used as asked (a file where a directory
# is needed, or the reverse): bad input, exit status 2. Any other OSError is a failure of the environment (1).
BAD_PATH_ERRNOS = frozenset({errno.ENOTDIR, errno.EEXIST, errno.EISDIR, errno.ENAMETOOLONG, errno.EINVAL})


def describe_os_error(exc: OSError) -> str:
    """``PATH: reason`` of a failed file operation, on one line (``No space left on device``, ``Permission
    denied``...)."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return f"{exc.filename}: {reason}" if exc.filename is not None and exc.strerror else reason


def one_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type's name when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def exit_status(exc: OSError) -> int:
    """2 when a failed file operation means the path given cannot be used as asked (``BAD_PATH_ERRNOS``, or an
    output that exists and would be overwritten), otherwise 1: the environment failed (permissions, full disk)."""
    return 2 if isinstance(exc, FileExistsError) or exc.errno in BAD_PATH_ERRNOS else 1


def file_mode() -> int:
    """Permission bits of a new file under the current umask (0o666 without the umask's bits).

    Read from ``/proc/self/status`` where it can be, because ``os.umask`` can only be read by setting it, which
    would change it for a moment for every thread of the process."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write_bytes(path: str | Path, data: bytes, overwrite: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically; refuses to replace an existing file unless ``overwrite``."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; refusing to overwrite a finished output")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), file_mode())  # mkstemp makes it 0600: give it the mode open() would
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


METADATA_KEY = b"ceasefire-sim"  # schema metadata of every table written: JSON {column: {unit, description}}
_OTHER_COLUMNS = {  # columns of the project's tables besides outcomes, series and parameters
    "scenario": ("index", "scenario index (addresses its random streams: common random numbers across conditions)"),
    "day": ("day", "days since the ceasefire (0: the ceasefire)"),
    "job": ("index", "job number of the sweep (its directory under the sweep directory)"),
    "preset": ("name", "scenario preset the job composed (configs/scenario/NAME.yaml)"),
    "experiment": ("name", "experiment the job composed (experiments/NAME.yaml)"),
}


def column_descriptions(columns) -> dict[str, dict[str, str]]:
    """``{column: {"unit", "description"}}`` of the columns the project declares (``sim.observables.OUTCOMES``
    and ``SERIES``, ``sim.parameters.PARAMS``, index columns); other columns are left out."""
    from sim.observables import OUTCOMES, SERIES
    from sim.parameters import PARAM_BY_KEY

    out = {}
    for column in columns:
        name = str(column)
        if name in OUTCOMES or name in SERIES:
            unit, doc = OUTCOMES.get(name) or SERIES[name]
        elif name in PARAM_BY_KEY:
            spec = PARAM_BY_KEY[name]
            unit, doc = spec.unit or "1", spec.doc
        elif name.removesuffix(" (override)") in PARAM_BY_KEY:
            spec = PARAM_BY_KEY[name.removesuffix(" (override)")]
            unit, doc = spec.unit or "1", f"{spec.doc} (the job's override)"
        elif name in _OTHER_COLUMNS:
            unit, doc = _OTHER_COLUMNS[name]
        else:
            continue
        out[name] = {"unit": unit, "description": doc}
    return out


def annotate_table(table):
    """A pyarrow Table with each declared column's unit and description as field metadata (``unit``,
    ``description``) and all of them as JSON under the schema metadata key ``METADATA_KEY``; deterministic
    (sorted keys, no timestamps), so equal tables still give equal bytes."""
    import pyarrow as pa

    described = column_descriptions(table.schema.names)
    fields = [field.with_metadata({**(field.metadata or {}), b"unit": described[field.name]["unit"].encode(),
                                   b"description": described[field.name]["description"].encode()})
              if field.name in described else field for field in table.schema]
    metadata = {**(table.schema.metadata or {}),
                METADATA_KEY: json.dumps(described, sort_keys=True, ensure_ascii=False).encode()}
    return table.cast(pa.schema(fields, metadata=metadata))


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """Parquet of a DataFrame (index kept), deterministic: equal frames give equal bytes.

    One writer with fixed settings (snappy, statistics, no timestamps); a merged table written here is therefore
    byte-identical to the same table written in one piece, given the same pandas and pyarrow versions. Units and
    descriptions of the columns go into the schema metadata (``annotate_table``).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = annotate_table(pa.Table.from_pandas(frame, preserve_index=True))
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


FIGURE_DATA = "source_data"  # attribute of a Figure (set by sim.plots) holding the table it was drawn from


def write_figure_data(path: str | Path, fig, overwrite: bool = False) -> Path | None:
    """The table a figure was drawn from (``sim.plots``), as CSV at ``path``, so that it can be redrawn
    elsewhere; None (nothing written) for a figure that carries no table."""
    data = getattr(fig, FIGURE_DATA, None)
    if data is None:
        return None
    return atomic_write_bytes(path, data.to_csv(index=False).encode(), overwrite)
