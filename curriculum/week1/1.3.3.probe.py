"""1.3.3: what the checks measure inside the jail, next to the learner's code (data only)."""


def pipeline(ns, inputs):
    """``matrix_transformations()`` as ``calls.probe`` reports it, plus how many times it
    called the learner's own ``apply_transformation`` (the prompt: each of the three point
    sets is computed with it). The function reads the name from its module globals, so a
    counting wrapper put there sees every call."""
    fn = ns.get("matrix_transformations")
    if fn is None:
        raise NameError("name 'matrix_transformations' is not defined")
    apply = ns.get("apply_transformation")
    count = [0]
    if callable(apply):
        def counted(*args, **kwargs):
            count[0] += 1
            return apply(*args, **kwargs)
        ns["apply_transformation"] = counted
    try:
        result = {"ok": fn()}
    except Exception as exc:
        result = {"raised": [c.__name__ for c in type(exc).__mro__], "message": str(exc)[:300]}
    finally:
        if callable(apply):
            ns["apply_transformation"] = apply
    result["applied"] = count[0]
    return [result]
