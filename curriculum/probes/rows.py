"""Probe prelude (runs in the jail): which training rows each forward pass of a model saw, so
the judge can tell whether the rows came in a new order every epoch (a prompt asking for
``DataLoader(..., shuffle=True)``; see ``curriculum/judges/shuffling.py``).

A row is known by a key: by default its first three features rounded to 3 decimals (float
features of distinct random rows); ``sequence_keys`` keys token sequences by their tokens up
to their length. ``row_index`` maps the training rows' keys to their positions; a row the
index does not know (an adversarial or augmented copy) is ``-1``.

``track_distinct_rows`` keeps the training rows themselves (their first features, each
distinct row once, with how often it came), so that the trusted judge can tell which of them
are validation rows, also after the learner shuffled or normalised them
(``curriculum/judges/leaks.py``)."""

import threading as _row_threading

import torch as _row_torch


def row_key(row):
    return tuple(round(float(v), 3) for v in row.reshape(-1)[:3])


def row_index(rows, key=row_key):
    """{key: position} of the training rows (a tensor's rows, or a list of sequences)."""
    return {key(r): i for i, r in enumerate(rows)}


def feature_keys(args):
    """The keys of a forward's rows: the first argument's rows."""
    x = args[0] if args else None
    if not isinstance(x, _row_torch.Tensor) or x.dim() == 0:
        return []
    return [row_key(r) for r in x.detach().float().cpu().reshape(int(x.shape[0]), -1)]


def sequence_keys(args):
    """The keys of ``forward(tokens, lengths)``'s rows: each sequence's tokens up to its
    length."""
    if len(args) < 2 or not all(isinstance(a, _row_torch.Tensor) for a in args[:2]):
        return []
    tokens, lengths = args[0].detach().cpu(), args[1].detach().cpu().reshape(-1)
    return [tuple(t[:int(n)].tolist()) for t, n in zip(tokens, lengths, strict=False)]


def training_forward(module, thread, owner=None):
    """Whether a forward is one of training: train mode, gradients on, on the learner's
    thread ``thread`` and (``owner``) of a module of that class."""
    return (_row_threading.get_ident() == thread and module.training
            and _row_torch.is_grad_enabled()
            and (owner is None or isinstance(module, owner)))


def track_training_rows(index, log, keys=feature_keys, owner=None):
    """A forward pre-hook ``(module, args)`` that appends the row positions of every training
    forward (train mode, gradients on, this thread; ``owner``: only modules of that class) to
    ``log``, one list per forward. Register it on a model, or globally with
    ``torch.nn.modules.module.register_module_forward_pre_hook``."""
    thread = _row_threading.get_ident()

    def hook(module, args):
        if not training_forward(module, thread, owner):
            return
        log.append([index.get(k, -1) for k in keys(args)])
    return hook


#: Features kept of each distinct training row, how many distinct rows are kept, and how
#: many training forwards' batches (as positions among the kept rows).
DISTINCT_WIDTH = 64
DISTINCT_LIMIT = 4096
BATCH_LIMIT = 1024


def track_distinct_rows(store, width=DISTINCT_WIDTH, limit=DISTINCT_LIMIT, owner=None):
    """A forward pre-hook ``(module, args)`` that keeps, in the dict ``store``, each distinct
    row of the first argument of every training forward (train mode, gradients on, this
    thread; ``owner``: only modules of that class): its first ``width`` features as float32,
    and how many times it came. At most ``limit`` distinct rows (later new ones are counted
    under ``store["dropped"]``), and which kept rows each forward held (its batch: a
    normalisation with each batch's own statistics maps every batch differently).
    ``distinct_rows(store)`` packs them for the judge."""
    thread = _row_threading.get_ident()
    rows = store.setdefault("rows", {})
    batches = store.setdefault("batches", [])
    store.setdefault("dropped", 0)

    def hook(module, args):
        if not training_forward(module, thread, owner):
            return
        x = args[0] if args else None
        if not isinstance(x, _row_torch.Tensor) or x.dim() == 0 or not x.is_floating_point():
            return
        flat = x.detach().float().cpu().reshape(int(x.shape[0]), -1)[:, :width].contiguous()
        positions = []
        for row in flat:
            key = row.numpy().tobytes()
            if key in rows:
                rows[key][1] += 1
                positions.append(rows[key][2])
            elif len(rows) < limit:
                rows[key] = [row.clone(), 1, len(rows)]
                positions.append(rows[key][2])
            else:
                store["dropped"] += 1
        if len(batches) < BATCH_LIMIT:
            batches.append(positions)
    return hook


def distinct_rows(store):
    """``{"rows": [n, width] float32, "counts": [n] int64, "dropped": int, "batches": [[row
    position, …] per training forward]}`` of a ``track_distinct_rows`` store."""
    kept = list(store.get("rows", {}).values())
    batches = [list(b) for b in store.get("batches", [])]
    if not kept:
        return {"rows": _row_torch.zeros(0, 0),
                "counts": _row_torch.zeros(0, dtype=_row_torch.int64),
                "dropped": int(store.get("dropped", 0)), "batches": batches}
    width = min(int(r.numel()) for r, *_ in kept)
    return {"rows": _row_torch.stack([r[:width] for r, *_ in kept]),
            "counts": _row_torch.tensor([c for _, c, *_ in kept], dtype=_row_torch.int64),
            "dropped": int(store.get("dropped", 0)), "batches": batches}
