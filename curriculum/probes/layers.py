"""Describes each named layer object of the learner's code (Exercise 4.2; runs in the jail).

``PROBE_ARGS["names"]``: the module-level names (NameError if missing)."""

from curriculum.probes.describe import describe

PROBE_ARGS: dict = {}

def probe(ns, inputs):
    out = {}
    for name in PROBE_ARGS["names"]:
        if name not in ns:
            raise NameError(f"name '{name}' is not defined")
        out[name] = describe(ns[name])
    return out
