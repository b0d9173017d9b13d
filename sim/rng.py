"""Counter-based random numbers: every draw is a pure function of (seed, scenario, step, stream, slot).

There is no generator state. A draw is the SplitMix64 finaliser (Steele, Lea and Flood 2014) applied to a
key built by chaining the finaliser over the counters, the construction of counter-based generators
(Salmon et al. 2011). A scenario therefore gets the same numbers whatever batch, chunk, worker or driver runs
it, and adding a stream does not shift the numbers of any other stream.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


def mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser on uint64 values (wrapping arithmetic); returns a new array."""
    z = np.asarray(x, dtype=np.uint64) + _GOLDEN
    z ^= z >> _S30
    z *= _M1
    z ^= z >> _S27
    z *= _M2
    z ^= z >> _S31
    return z


def stream_key(seed: int, name: str) -> np.uint64:
    """64-bit key of a named stream under a seed (the name is hashed with CRC32, stable across runs)."""
    with np.errstate(over="ignore"):
        k = mix64(np.uint64(seed & 0xFFFFFFFFFFFFFFFF))
        return mix64(k ^ np.uint64(zlib.crc32(name.encode())))


def to_unit(bits: np.ndarray) -> np.ndarray:
    """Top 53 bits of uint64 values as floats in [0, 1)."""
    return (bits >> np.uint64(11)).astype(np.float64) * _TO_UNIT


@dataclass
class Streams:
    """Named random streams for a set of scenarios.

    ``uniform(name, step)`` returns shape (N,) floats in [0, 1), a function of (seed, scenario, step, name)
    only. ``uniform(name, step, slots=M, rows=idx)`` returns (len(idx), M) draws for member slots 0..M-1 of
    the scenarios at positions ``idx``; the same (scenario, slot) always gets the same number.
    """

    seed: int
    scenarios: np.ndarray  # (N,) int64 global scenario indices
    _scen_keys: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _stacked: dict[tuple[str, ...], np.ndarray] = field(default_factory=dict, repr=False)
    _block: tuple[int, dict[str, np.ndarray]] = field(default=(-1, {}), repr=False)

    def _scenario_key(self, name: str) -> np.ndarray:
        keys = self._scen_keys.get(name)
        if keys is None:
            with np.errstate(over="ignore"):
                keys = mix64(stream_key(self.seed, name) ^ self.scenarios.astype(np.uint64))
            self._scen_keys[name] = keys
        return keys

    def prefetch(self, names: tuple[str, ...], step: int) -> None:
        """Draw streams ``names`` at ``step`` for every scenario in one pass (the same numbers ``uniform`` gives,
        which then returns them): a day's full draws at once spare a small batch most of their per-call cost."""
        keys = self._stacked.get(names)
        if keys is None:
            keys = self._stacked[names] = np.stack([self._scenario_key(name) for name in names])
        with np.errstate(over="ignore"):
            block = to_unit(mix64(keys + np.uint64(step) * _M2))
        self._block = (step, dict(zip(names, block, strict=True)))

    def uniform(self, name: str, step: int, slots: int | None = None, rows: np.ndarray | None = None):
        """Uniform [0, 1) draws of stream ``name`` at ``step``: (N,), or (len(rows), slots) per member slot."""
        if slots is None and rows is None and self._block[0] == step and name in self._block[1]:
            return self._block[1][name]
        keys = self._scenario_key(name)
        if rows is not None:
            keys = keys[rows]
        with np.errstate(over="ignore"):
            # Per (scenario, stream) a Weyl sequence in the step, finalised: SplitMix64 with a per-scenario seed.
            k = mix64(keys + np.uint64(step) * _M2)
            if slots is None:
                return to_unit(k)
            slot = np.arange(slots, dtype=np.uint64) * _M1
            return to_unit(mix64(k[:, None] ^ slot[None, :]))

    def uniform_where(self, name: str, step: int, mask: np.ndarray) -> np.ndarray:
        """``uniform(name, step)`` where ``mask`` (N,) holds, 1.0 elsewhere (no event ``u < p`` with p <= 1 happens
        there): the draws a rule reads only on a few rows, computed only there; (N,)."""
        u = np.ones(len(mask))
        rows = np.flatnonzero(mask)
        if rows.size:
            u[rows] = self.uniform(name, step, rows=rows)
        return u

    def key_arrays(self) -> list[np.ndarray]:
        """The per-scenario keys computed so far, one (N,) uint64 array per stream used (for memory estimates)."""
        return list(self._scen_keys.values())

    def subset(self, rows: np.ndarray) -> Streams:
        """Streams for a subset of the scenarios (positions ``rows``); cached scenario keys are carried over."""
        return Streams(self.seed, self.scenarios[rows], {k: v[rows] for k, v in self._scen_keys.items()})
