"""Calls one learner function on every hidden case (runs in the jail).

``PROBE_ARGS["fn"]`` names the function. Each case is a tuple of positional
arguments, or — with ``PROBE_ARGS["kwargs"]`` — an ``(args, kwargs)`` pair.
Arguments are deep-copied first, so a function that changes its inputs in
place cannot change the next case. Per case: ``{"ok": result}`` or
``{"raised": [exception class names, most specific first], "message": …}``.

After the call the copies are compared with the untouched case: a case whose
function changed an argument it was given (a tensor's values, shape or dtype, a
list's entries, a dict's items) also carries ``"changed": <what it was: "tensor",
"list", "tuple", "dict" or "argument">``. ``PROBE_ARGS["mutates"]`` (a contract that
asks for in-place changes) turns this off.
"""

import copy

from curriculum.probes.unchanged import pristine, same

PROBE_ARGS: dict = {}


def _kind(value) -> str:
    import torch
    if isinstance(value, torch.Tensor):
        return "tensor"
    for kind in (list, tuple, dict):
        if isinstance(value, kind):
            return kind.__name__
    return "argument"


def _changed(before, after):
    """What the first changed argument was ("tensor", "list", …), else None."""
    p = pristine()  # the learner's call may have rebound zip or list: put them back first
    (args0, kwargs0), (args1, kwargs1) = before, after
    pairs = list(zip(args0, args1, strict=True)) + [(kwargs0[k], kwargs1.get(k)) for k in kwargs0]
    for was, now in pairs:
        if not same(was, now, p):
            return _kind(was)
    return None


def probe(ns, inputs):
    name = PROBE_ARGS["fn"]
    if name not in ns:
        raise NameError(f"name '{name}' is not defined")
    fn = ns[name]
    if not callable(fn):
        raise TypeError(f"{name} should be a function; found {type(fn).__name__}")
    out = []
    for case in inputs:
        args, kwargs = case if PROBE_ARGS.get("kwargs") else (case, {})
        untouched = copy.deepcopy((tuple(args), dict(kwargs)))
        args, kwargs = copy.deepcopy(untouched)
        try:
            record = {"ok": fn(*args, **kwargs)}
        except Exception as exc:
            out.append({"raised": [c.__name__ for c in type(exc).__mro__],
                        "message": str(exc)[:300]})
            continue
        if not PROBE_ARGS.get("mutates"):
            changed = _changed(untouched, (args, kwargs))
            if changed:
                record["changed"] = changed
        out.append(record)
    return out
