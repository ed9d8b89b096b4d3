"""A lexicographic network simplex for the per-bucket transportation problems, warm-started from
one bucket to the next.

A plain component of a timed run (no yards, no recipes) is, bucket by bucket, the same
transportation problem with different supplies: the same offers, needs, candidate arcs and costs,
each listing's slot quantity in that bucket (zero where its window is closed) and the candidate
pairs that exist in that bucket. OR-Tools solves each bucket from scratch; this module keeps one
spanning-tree basis per chain of buckets and starts every bucket from the optimal tree of the one
before, which is usually only a few pivots away.

The problem (offers 0..O-1 with supplies, needs O..O+N-1 with demands, arcs offer → need) is made
balanced and uncapacitated with two dummy nodes: the root ``Dn`` sends every need what it does not
receive (arcs ``Dn → n``) and the real flow (``Dn → Do``), ``Do`` takes what every offer keeps
(arcs ``o → Do``). An arc never needs a capacity: what an offer sends and a need takes are bounded
by their own supply and demand. The objective is the lexicographic one of :mod:`.flow`, as four
integer cost vectors compared in order:

0. artificial arcs (``v → root`` and ``root → v``, one pair per node) cost 1 — the warm start's
   phase one: they carry what the previous tree cannot carry in this bucket and are driven to 0;
1. −1 per unit on an arc out of a waste-bound offer (the most waste-bound mass moved);
2. −1 per unit on every offer → need arc (the most mass moved);
3. the arc's cost (tonne-km).

Reduced costs are vectors and compared lexicographically, so no weight ever combines two levels
(no overflow, no tolerance): an arc enters when its reduced-cost vector is lexicographically
negative, and when none is, the tree is optimal for level 0, then 1, 2 and 3 in that order (the
standard lexicographic simplex). Everything is integer, so the flows are integral and exact.

A bucket starts from the previous bucket's tree: the tree's flows are recomputed for the new
supplies from the leaves up, and every tree arc that would carry a negative flow or does not
exist in this bucket is cut, its subtree hung from the root by an artificial arc. Artificial arcs
never enter, so once the level-0 optimum (zero on every artificial arc; the all-dummy solution is
always feasible) is reached they are out of the flow, and the primal simplex goes on as usual.
Pivots follow block search (the most negative reduced cost in blocks of about √m arcs, cyclically)
and the leaving arc is chosen by Cunningham's rule (the last blocking arc from the apex); a pivot
cap guards against cycling and makes the caller fall back to OR-Tools.

The kernel is plain C (``_netsimplex.c``, no Python API), compiled once with the system's C
compiler (``$CC`` or ``cc``) into ``QAITA_NATIVE_DIR``, this folder or the temporary folder, and
called through ctypes; ``make venv`` and the Dockerfile compile it ahead. Where no compiler is
found :func:`available` is False and the engine solves every part with OR-Tools, as before (the
same optimum; ties may be broken differently).
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from .errors import SolverFailure

log = logging.getLogger(__name__)

#: levels of the cost vector (see the module docstring)
LEVELS = 4
#: pivots allowed per bucket: this many per node and arc, plus PIVOT_SLACK (a guard: a bucket
#: takes well under one pivot per node and arc)
PIVOTS_PER_SIZE = 20
PIVOT_SLACK = 10_000

SOURCE = Path(__file__).with_name("_netsimplex.c")
#: no -march=native: the Dockerfile's build must run on any x86-64 (or arm64) host
CFLAGS = ("-O2", "-std=c99", "-shared", "-fPIC")
_LIB: list[Any] = []  # [ctypes.CDLL or None] once loading was tried


def _library_path() -> tuple[str, list[Path]]:
    digest = hashlib.sha256(SOURCE.read_bytes() + " ".join(CFLAGS).encode()).hexdigest()[:16]
    name = f"_netsimplex-{digest}.so"
    places = [Path(p) for p in [os.environ.get("QAITA_NATIVE_DIR", "")] if p]
    places += [SOURCE.parent, Path(tempfile.gettempdir()) / "qaita-native"]
    return name, places


def build() -> Path | None:
    """The compiled kernel's path, compiling it first where it is not there yet (None: no C
    compiler, or nowhere to write it)."""
    name, places = _library_path()
    for place in places:
        if (place / name).is_file():
            return place / name
    compiler = os.environ.get("CC", "cc")
    for place in places:
        try:
            place.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(suffix=".so", dir=place)
            os.close(fd)
        except OSError:
            continue
        try:
            subprocess.run(
                [compiler, *CFLAGS, "-o", tmp, str(SOURCE)],
                check=True,
                capture_output=True,
                timeout=120,
            )
            os.replace(tmp, place / name)  # atomic: parallel test workers may build at once
            return place / name
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("network simplex kernel not compiled (%s): OR-Tools solves every part", exc)
            Path(tmp).unlink(missing_ok=True)
            return None
    return None


def _lib() -> Any:
    if not _LIB:
        path = build()
        lib = None
        if path is not None:
            try:
                lib = ctypes.CDLL(str(path))
            except OSError as exc:
                log.warning("network simplex kernel not loaded (%s): OR-Tools solves every part", exc)
        if lib is not None:
            i64, ptr = ctypes.c_int64, ctypes.c_void_p
            lib.ns_solve.restype = i64
            lib.ns_solve.argtypes = [i64, i64, i64, i64] + [ptr] * 14 + [ptr, i64, ptr, i64]
        _LIB.append(lib)
    return _LIB[0]


def available() -> bool:
    """Whether the compiled kernel can be used here."""
    return _lib() is not None


def _p(array: Any) -> int:
    assert array.flags.c_contiguous
    return int(array.ctypes.data)


class WarmTransport:
    """One chain of buckets of a plain component: the same offers, needs and arcs, a tree kept
    from one :meth:`solve` to the next.

    ``offer`` and ``need`` are every candidate arc's ends (0..O-1 and 0..N-1), ``cost`` its
    cost, ``waste`` whether each offer is waste-bound.
    """

    def __init__(
        self,
        n_off: int,
        n_need: int,
        offer: np.ndarray,
        need: np.ndarray,
        cost: np.ndarray,
        waste: np.ndarray,
    ) -> None:
        self.n_off, self.n_need = n_off, n_need
        self.m_real = m_real = int(offer.size)
        self.n = n = n_off + n_need + 2
        self.root = root = n_off + n_need  # Dn
        self.sink = sink = n_off + n_need + 1  # Do
        self.art_base = art_base = m_real + n_off + n_need + 1
        self.m = m = art_base + 2 * n
        tail = np.empty(m, np.int64)
        head = np.empty(m, np.int64)
        tail[:m_real] = offer
        head[:m_real] = n_off + need.astype(np.int64)
        tail[m_real : m_real + n_off] = np.arange(n_off)
        head[m_real : m_real + n_off] = sink
        tail[m_real + n_off : art_base - 1] = root
        head[m_real + n_off : art_base - 1] = n_off + np.arange(n_need)
        tail[art_base - 1], head[art_base - 1] = root, sink
        nodes = np.arange(n)
        tail[art_base::2], head[art_base::2] = nodes, root  # v -> root
        tail[art_base + 1 :: 2], head[art_base + 1 :: 2] = root, nodes  # root -> v
        self.tail, self.head = tail, head
        self.cost = cost_vec = np.zeros((m, LEVELS), np.int64)  # an arc's levels side by side
        cost_vec[art_base:, 0] = 1
        cost_vec[:m_real, 1] = np.where(waste[offer], -1, 0)
        cost_vec[:m_real, 2] = -1
        cost_vec[:m_real, 3] = cost
        self.flow = np.zeros(m, np.int64)
        self.in_tree = np.zeros(m, np.uint8)
        self.enabled = np.ones(m, np.uint8)  # exists in this bucket: may enter (unless artificial) or stay
        # the all-dummy tree: the offers under Do (arcs o -> Do), Do and the needs under the root
        self.parent = np.empty(n, np.int64)
        self.pred = np.empty(n, np.int64)
        self.up = np.zeros(n, np.uint8)
        self.parent[:n_off], self.pred[:n_off], self.up[:n_off] = sink, m_real + np.arange(n_off), 1
        self.parent[n_off:root] = root
        self.pred[n_off:root] = m_real + n_off + np.arange(n_need)
        self.parent[root], self.pred[root] = -1, -1
        self.parent[sink], self.pred[sink] = root, art_base - 1
        self.in_tree[self.pred[self.pred >= 0]] = 1
        # children in index order: the offers under Do, then the needs and Do under the root
        self.first_child = np.full(n, -1, np.int64)
        self.next_sib = np.full(n, -1, np.int64)
        self.prev_sib = np.full(n, -1, np.int64)
        for kids, top in ((np.arange(n_off), sink), (np.r_[np.arange(n_off, root), sink], root)):
            if kids.size:
                self.first_child[top] = kids[0]
                self.next_sib[kids[:-1]] = kids[1:]
                self.prev_sib[kids[1:]] = kids[:-1]
        self.depth = np.zeros(n, np.int64)
        self.y = np.zeros((n, LEVELS), np.int64)
        self.block = max(int(np.sqrt(m)), 16)  # block search: about √m arcs per block
        self.pos = np.zeros(1, np.int64)
        self.pivots = 0

    def solve(self, supply: np.ndarray, demand: np.ndarray, enabled: np.ndarray) -> np.ndarray:
        """The lexicographic optimum of one bucket: offers' supplies, needs' demands (zero where a
        listing takes no part) and which candidate arcs exist; flows per candidate arc."""
        lib = _lib()
        if lib is None:
            raise SolverFailure("network simplex kernel not available", status="NO_KERNEL")
        m_real = self.m_real
        self.enabled[:m_real] = enabled
        b = np.zeros(self.n, np.int64)
        b[: self.n_off] = supply
        b[self.n_off : self.root] = -demand
        b[self.root] = int(demand.sum())
        b[self.sink] = -int(supply.sum())
        cap = PIVOTS_PER_SIZE * (self.n + m_real) + PIVOT_SLACK
        pivots = lib.ns_solve(
            self.n,
            self.m,
            self.root,
            self.art_base,
            *map(
                _p,
                (
                    self.tail,
                    self.head,
                    self.cost,
                    self.flow,
                    self.in_tree,
                    self.enabled,
                    self.parent,
                    self.pred,
                    self.up,
                    self.depth,
                    self.y,
                    self.first_child,
                    self.next_sib,
                    self.prev_sib,
                    b,
                ),
            ),
            self.block,
            _p(self.pos),
            cap,
        )
        if pivots < 0:
            why = {-1: "pivot cap", -2: "unbounded", -3: "not a spanning tree", -4: "out of memory"}
            raise SolverFailure(
                f"network simplex stopped ({why.get(pivots, pivots)})", status="NETWORK_SIMPLEX"
            )
        if self.flow[self.art_base :].any():
            raise SolverFailure("network simplex: an artificial arc still carries flow", status="ARTIFICIAL")
        self.pivots += int(pivots)
        return self.flow[:m_real].copy()
