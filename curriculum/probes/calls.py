"""Calls one learner function on every hidden case (runs in the jail).

``PROBE_ARGS["fn"]`` names the function. Each case is a tuple of positional
arguments, or — with ``PROBE_ARGS["kwargs"]`` — an ``(args, kwargs)`` pair.
Arguments are deep-copied first, so a function that changes its inputs in
place cannot change the next case. Per case: ``{"ok": result}`` or
``{"raised": [exception class names, most specific first], "message": …}``.
"""

import copy

PROBE_ARGS: dict = {}


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
        args, kwargs = copy.deepcopy((tuple(args), dict(kwargs)))
        try:
            out.append({"ok": fn(*args, **kwargs)})
        except Exception as exc:
            out.append({"raised": [c.__name__ for c in type(exc).__mro__],
                        "message": str(exc)[:300]})
    return out
