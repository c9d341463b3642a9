"""Heterogeneous data: which training examples each honest worker holds (`--heterogeneity`), in NumPy.

The paper's model (section 2.1) has every worker sample the whole training set (`iid`, the default,
`training.sampling.sample_indices`). Today's defences are also measured on workers whose data differ
(Karimireddy, He, Jaggi, ICLR 2022, "Byzantine-Robust Learning on Heterogeneous Datasets via Bucketing",
section 6; Allouah et al., AISTATS 2023, "Fixing by Mixing", section 6: ByzFL's partitions):

- `dirichlet:ALPHA` (ALPHA > 0): the examples of each class c, in a seeded random order, are split over
  the W honest workers in consecutive runs of sizes given by proportions p_c ~ Dirichlet(ALPHA 1_W)
  (the first floor(N_c (p_1 + ... + p_i)) examples up to worker i: ByzFL's `dirichlet_niid`). Large
  ALPHA: every worker holds about N_c / W examples of every class; small ALPHA: a worker holds few classes.
- `classes:K` (1 <= K <= C, C classes): the C classes, in a seeded random order pi, are dealt round-robin:
  worker i holds classes pi[(i K + j) mod C], j = 0, ..., K - 1 (K distinct classes). The examples of a
  class held by m workers, in a seeded random order, are split into m consecutive parts of sizes
  differing by at most one (`numpy.array_split`), in increasing worker order. When W K < C, the classes
  nobody is dealt are not used.

Either way every training example belongs to at most one worker (`dirichlet`: exactly one), and the shares
are a pure function of (seed, labels, W, the setting): computed once when a run starts, they need no
checkpoint. A worker whose share is empty is an error (`RunError`, one line). Each worker then draws its
mini-batch uniformly with replacement from its own share, keyed by (seed, step, worker) like the i.i.d.
draws (`training.sampling.sample_share_indices`).

W is the number of honest workers, n - f under an attack (n with the `none` attack). The f Byzantine
workers, when they compute gradients (labelflip; or honestly, outside an attack window), draw from the
whole training set: the adversary is not bound to a share.
"""

import dataclasses
import functools

import numpy as np

from training.errors import RunError

IID = "iid"
KINDS = ("iid", "dirichlet", "classes")
_STREAM = {"dirichlet": 1, "classes": 2}  # seeds the NumPy generator with (seed, stream)


def parse(spec):
    """`spec` -> (kind, parameter): ("iid", None), ("dirichlet", alpha float > 0) or ("classes", k int >= 1).
    ValueError, one line naming the value and the rule, otherwise (k <= C is checked by `check`)."""
    if not isinstance(spec, str):
        raise ValueError(f"heterogeneity must be a string such as iid, dirichlet:0.5 or classes:2, got {spec!r}")
    kind, sep, value = spec.strip().partition(":")
    if kind == IID and not sep:
        return IID, None
    if kind == "dirichlet" and sep:
        try:
            alpha = float(value)
        except ValueError:
            alpha = None
        if alpha is None or not np.isfinite(alpha) or alpha <= 0:
            raise ValueError(f"heterogeneity dirichlet:ALPHA needs a finite ALPHA > 0, got {spec!r}")
        return "dirichlet", alpha
    if kind == "classes" and sep:
        try:
            k = int(value)
        except ValueError:
            k = None
        if k is None or k < 1:
            raise ValueError(f"heterogeneity classes:K needs an integer K >= 1, got {spec!r}")
        return "classes", k
    raise ValueError(f"heterogeneity must be iid, dirichlet:ALPHA or classes:K, got {spec!r}")


def check(spec, classes=None):
    """`parse(spec)`, and for classes:K, K <= `classes` (C, when known). ValueError otherwise."""
    kind, parameter = parse(spec)
    if kind == "classes" and classes is not None and parameter > classes:
        raise ValueError(f"heterogeneity {spec} asks for {parameter} classes per worker, but the dataset has "
                         f"{classes}")
    return kind, parameter


@functools.lru_cache(maxsize=None)
def class_count(model_name):
    """C, the number of classes of model `model_name`: the width of its output (its logits)."""
    import models

    return int(models.get(model_name)().output_shape[-1])


@dataclasses.dataclass(frozen=True, eq=False)
class Shares:
    """The workers' shares, concatenated: worker i holds `indices[offsets[i]:offsets[i] + lengths[i]]`
    (int32 indices into the training set). `histograms` [W, C]: each worker's examples per class."""

    spec: str
    indices: np.ndarray
    offsets: np.ndarray
    lengths: np.ndarray
    histograms: np.ndarray

    @property
    def workers(self):
        return len(self.lengths)

    def of(self, worker):
        """Worker `worker`'s share, int32 indices into the training set."""
        return self.indices[self.offsets[worker]:self.offsets[worker] + self.lengths[worker]]


def partition(spec, labels, workers, seed, classes):
    """The `Shares` of `workers` honest workers for setting `spec` (module doc), or None for iid.
    `labels` int [N] in [0, classes). RunError (one line) when a worker's share is empty."""
    try:
        kind, parameter = check(spec, classes)
    except ValueError as error:
        raise RunError(str(error)) from None
    if kind == IID:
        return None
    labels = np.asarray(labels)
    rng = np.random.default_rng([int(seed), _STREAM[kind]])
    split = _dirichlet if kind == "dirichlet" else _classes
    shares = split(parameter, labels, workers, classes, rng)
    for worker, share in enumerate(shares):
        if len(share) == 0:
            fix = "raise ALPHA" if kind == "dirichlet" else "use fewer workers or larger K"
            raise RunError(f"heterogeneity {spec} leaves worker {worker} no example; {fix}")
    lengths = np.array([len(share) for share in shares], np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    indices = np.concatenate(shares).astype(np.int32)
    histograms = np.stack([np.bincount(labels[share], minlength=classes) for share in shares])
    return Shares(spec, indices, offsets, lengths, histograms)


def _class_members(labels, classes, rng):
    """For each class, its example indices in a seeded random order."""
    return [rng.permutation(np.flatnonzero(labels == c)) for c in range(classes)]


def _dirichlet(alpha, labels, workers, classes, rng):
    parts = [[] for _ in range(workers)]
    for members in _class_members(labels, classes, rng):
        proportions = rng.dirichlet(np.full(workers, alpha))
        cuts = (np.cumsum(proportions)[:-1] * len(members)).astype(np.int64)
        for worker, piece in enumerate(np.split(members, cuts)):
            parts[worker].append(piece)
    return [np.sort(np.concatenate(pieces)) for pieces in parts]


def dealt_classes(k, workers, classes, rng):
    """[workers, k]: the classes of each worker, dealt round-robin over a seeded permutation."""
    order = rng.permutation(classes)
    return order[(np.arange(workers)[:, None] * k + np.arange(k)[None, :]) % classes]


def _classes(k, labels, workers, classes, rng):
    dealt = dealt_classes(k, workers, classes, rng)
    members = _class_members(labels, classes, rng)
    parts = [[] for _ in range(workers)]
    for c in range(classes):
        holders = np.flatnonzero((dealt == c).any(axis=1))
        for worker, piece in zip(holders, np.array_split(members[c], len(holders)) if len(holders) else []):
            if len(piece) == 0:
                raise RunError(f"heterogeneity classes:{k} leaves worker {worker} no example of class {c} "
                               f"(its {len(members[c])} shared by {len(holders)} workers); use fewer workers or "
                               "larger K")
            parts[worker].append(piece)
    return [np.sort(np.concatenate(pieces)) if pieces else np.zeros([0], np.int64) for pieces in parts]
