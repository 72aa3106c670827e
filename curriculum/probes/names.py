"""Sends back module-level names of the learner's code (runs in the jail).

``PROBE_ARGS["names"]``: the names to send; a missing one is ``None`` unless it
is listed in ``PROBE_ARGS["required"]`` (default: all of them), which raises
NameError so the check reports the missing name.
"""

PROBE_ARGS: dict = {}


def probe(ns, inputs):
    names = PROBE_ARGS["names"]
    for name in PROBE_ARGS.get("required", names):
        if name not in ns:
            raise NameError(f"name '{name}' is not defined")
    return {name: ns.get(name) for name in names}
