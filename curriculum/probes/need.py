"""Probe prelude: a name from the learner's namespace, NameError when it is missing (runs in
the jail)."""

def need(ns, name):
    if name not in ns:
        raise NameError(f"name '{name}' is not defined")
    return ns[name]
