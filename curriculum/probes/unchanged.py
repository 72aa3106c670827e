"""Probe prelude (runs in the jail): is an argument handed to the learner's code still
what it was? A function must not change its caller's inputs (a tensor's values, shape,
dtype, ``requires_grad`` or ``.grad``; a list's entries; a dict's items): the probes keep
an untouched copy and compare it with what they handed over after the call.

The comparison runs after the learner's code, in its process: it uses the functions the
harness captured before that code ran (``PRISTINE``), and puts torch and the builtins
back first (``restore_pristine``) — a submission rebinding ``torch.equal`` or, inside
its own function, ``builtins.isinstance`` made every changed input look unchanged."""


def pristine() -> dict:
    """The harness's untouched functions, after undoing the learner's rebinding. A probe
    script gets both from the harness; a module imported outside it (a unit test, on the
    trusted side, where nothing was rebound) reads the harness's own."""
    restore = globals().get("restore_pristine")
    if restore is not None:
        restore()
    found = globals().get("PRISTINE")
    if found is None:
        from grader.sandbox.harness import PRISTINE as found
    return found


def _same_tensor(a, b, p) -> bool:
    if p["size"](a) != p["size"](b) or p["dtype"](a) != p["dtype"](b) \
            or p["device"](a) != p["device"](b):
        return False
    if p["requires_grad"](a) != p["requires_grad"](b) \
            or (p["grad"](a) is None) != (p["grad"](b) is None):
        return False
    a, b = p["detach"](a), p["detach"](b)
    if p["is_floating_point"](a) or p["is_complex"](a):
        return bool(p["equal"](p["isnan_t"](a), p["isnan_t"](b))
                    and p["equal"](p["nan_to_num"](a, nan=0.0), p["nan_to_num"](b, nan=0.0)))
    return bool(p["equal"](a, b))


def same(before, after, p=None) -> bool:
    """Whether ``after`` still equals ``before`` (NaN equal to itself). Values of a kind
    not compared here (an object of the learner's) count as unchanged; a comparison that
    raises (``before`` is our own data, so only a hostile value put in its place can make it
    raise) counts as changed. ``p``: :func:`pristine`'s functions, when the caller has
    them already."""
    return _same(before, after, p or pristine())


def _same(before, after, p) -> bool:
    isinstance_, type_, len_ = p["isinstance"], p["type"], p["len"]
    try:
        if isinstance_(before, p["Tensor"]):
            return isinstance_(after, p["Tensor"]) and _same_tensor(before, after, p)
        if isinstance_(before, (list, tuple)):
            return (type_(after) is type_(before) and len_(after) == len_(before)
                    and p["all"](_same(x, y, p) for x, y in p["zip"](before, after)))
        if isinstance_(before, dict):
            return (isinstance_(after, dict) and p["list"](after) == p["list"](before)
                    and p["all"](_same(before[k], after[k], p) for k in before))
        if isinstance_(before, float) and isinstance_(after, float):
            return before == after or (p["isnan"](before) and p["isnan"](after))
        if isinstance_(before, (bool, int, float, complex, str, bytes, type(None))):
            return type_(after) is type_(before) and before == after
    except Exception:
        return False
    return True
