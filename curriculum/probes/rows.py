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
(``curriculum/judges/leaks.py``).

A forward of the learner's model is seen however it is entered and on whichever thread it
runs: ``model(x)``, ``model.forward(x)`` (its first submodule's call is the entry),
``model.net(x)``, a layer of it called on its own. ``ModelMembers`` knows the model's modules
(given models, or every instance of the learner's class built, copied or called meanwhile);
``watch_entries`` registers one global forward pre-hook that reports a call of one of those
modules when no module of the model is running further up the same thread's call stack (read
from the Python frames, so an exception or an abandoned call leaves nothing stale): the
model's input rows once per forward, never its hidden activations. A row's mode is that of the
module entered and the thread's grad mode (``training_forward``)."""

import functools as _row_functools
import sys as _row_sys
import threading as _row_threading

import torch as _row_torch

from curriculum.probes.trusted import grad_on


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
    length. A padded batch of token ids alone (the model's embedding entered first, by
    ``model.forward``): each row's tokens without the padding (0) at its end."""
    if len(args) >= 2 and all(isinstance(a, _row_torch.Tensor) for a in args[:2]):
        tokens, lengths = args[0].detach().cpu(), args[1].detach().cpu().reshape(-1)
        return [tuple(t[:int(n)].tolist()) for t, n in zip(tokens, lengths, strict=False)]
    x = args[0] if args else None
    if not isinstance(x, _row_torch.Tensor) or x.dim() != 2 or x.is_floating_point() \
            or x.is_complex() or x.dtype == _row_torch.bool:
        return []
    out = []
    for row in x.detach().cpu().tolist():
        while row and row[-1] == 0:
            row.pop()
        out.append(tuple(row))
    return out


def training_forward(module):
    """Whether a forward entering the model is one of training: the module entered is in
    train mode and gradients are on (grad mode is the running thread's own)."""
    return bool(module.training) and grad_on()


_ROW_MODULE = _row_torch.nn.Module
_ROW_CALL_CODE = _row_torch.nn.Module._call_impl.__code__
_row_frame = _row_sys._getframe
_row_dict = object.__getattribute__


def _row_tree(root, into):
    """Every module under ``root`` (itself included) into ``{id: module}``, read from the
    modules' own ``_modules`` (a class's ``modules()`` of its own is not asked)."""
    todo = [root]
    while todo:
        m = todo.pop()
        if id(m) in into:
            continue
        into[id(m)] = m
        try:
            children = _row_dict(m, "__dict__").get("_modules") or {}
        except Exception:
            continue
        todo.extend(c for c in list(children.values()) if isinstance(c, _ROW_MODULE))
    return into


class ModelMembers:
    """The modules of the learner's model(s): those under ``models``, and (``owner``: the
    learner's model class) under every instance of it built (``__init__``), copied or loaded
    (``__setstate__``: deepcopy, pickle) or called while watching. Known by identity, and read
    again when a module not known yet runs (a layer added or replaced later). ``remove()``
    puts the class back as it was."""

    def __init__(self, *models, owner=None):
        self.roots = {id(m): m for m in models if isinstance(m, _ROW_MODULE)}
        self.owner = owner if isinstance(owner, type) and issubclass(owner, _ROW_MODULE) \
            else None
        self.known = {}
        self.lock = _row_threading.Lock()
        self.patched = []
        if self.owner is not None:
            for name in ("__init__", "__setstate__"):
                self._patch(self.owner, name)
        self.refresh()

    def _patch(self, cls, name):
        own = cls.__dict__.get(name)
        orig = getattr(cls, name)

        @_row_functools.wraps(orig)
        def wrapped(obj, *a, **k):
            try:
                return orig(obj, *a, **k)
            finally:
                self.add(obj)
        try:
            setattr(cls, name, wrapped)
        except Exception:
            return
        self.patched.append((cls, name, own))

    def remove(self):
        for cls, name, own in reversed(self.patched):
            try:
                if own is None:
                    delattr(cls, name)
                else:
                    setattr(cls, name, own)
            except Exception:
                pass
        self.patched = []

    def add(self, module):
        if isinstance(module, _ROW_MODULE):
            with self.lock:
                self.roots[id(module)] = module

    def refresh(self):
        with self.lock:
            roots = list(self.roots.values())
        known = {}
        for r in roots:
            _row_tree(r, known)
        self.known = known

    def has(self, module):
        if id(module) in self.known:
            return True
        if self.owner is not None and isinstance(module, self.owner):
            self.add(module)
        self.refresh()
        return id(module) in self.known

    def entry(self, module):
        """Whether this call of ``module`` (from within a forward pre-hook) enters the model:
        a module of it, and no module of it further up this thread's stack is in its call."""
        if not self.has(module):
            return False
        f, own = _row_frame(1), False
        while f is not None:
            if f.f_code is _ROW_CALL_CODE:
                if own:  # an enclosing module call
                    outer = f.f_locals.get("self")
                    if outer is not None and id(outer) in self.known:
                        return False
                own = True  # the first one up is this module's own call
            f = f.f_back
        return True


def watch_entries(members, on_entry):
    """Registers a global forward pre-hook calling ``on_entry(module, args)`` at every forward
    entering the model of ``members`` (a ``ModelMembers``, or a model), on any thread;
    returns the hook's handle."""
    if not isinstance(members, ModelMembers):
        members = ModelMembers(members)

    def hook(module, args):
        if members.entry(module):
            on_entry(module, args)
    return _row_torch.nn.modules.module.register_module_forward_pre_hook(hook)


def track_training_rows(members, index, log, keys=feature_keys):
    """Appends the row positions of every training forward (train mode, gradients on) of the
    model of ``members`` (a ``ModelMembers``, or a model) to ``log``, one list per forward,
    however the model is entered and on whichever thread; returns the hook's handle."""
    def record(module, args):
        if training_forward(module):
            log.append([index.get(k, -1) for k in keys(args)])
    return watch_entries(members, record)


#: Features kept of each distinct training row, how many distinct rows are kept, and how
#: many training forwards' batches (as positions among the kept rows).
DISTINCT_WIDTH = 64
DISTINCT_LIMIT = 4096
BATCH_LIMIT = 1024


def track_distinct_rows(members, store, width=DISTINCT_WIDTH, limit=DISTINCT_LIMIT):
    """Keeps, in the dict ``store``, each distinct row of the first argument of every training
    forward (train mode, gradients on) of the model of ``members`` (a ``ModelMembers``, or a
    model; however it is entered, on whichever thread): its first ``width`` features as
    float32, and how many times it came. At most ``limit`` distinct rows (later new ones are
    counted under ``store["dropped"]``), and which kept rows each forward held (its batch: a
    normalisation with each batch's own statistics maps every batch differently).
    ``distinct_rows(store)`` packs them for the judge. Returns the hook's handle."""
    rows = store.setdefault("rows", {})
    batches = store.setdefault("batches", [])
    store.setdefault("dropped", 0)
    lock = _row_threading.Lock()

    def record(module, args):
        if not training_forward(module):
            return
        x = args[0] if args else None
        if not isinstance(x, _row_torch.Tensor) or x.dim() == 0 or not x.is_floating_point():
            return
        flat = x.detach().float().cpu().reshape(int(x.shape[0]), -1)[:, :width].contiguous()
        with lock:
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
    return watch_entries(members, record)


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
