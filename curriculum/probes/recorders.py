"""Probe prelude (runs in the jail): wrap torch.optim optimizers and schedulers to record how
they were built, watch a parameter for gradients piling up across steps (zero_grad
missing), a hook recording (training, grad enabled) per forward of a model, and the loss calls
of the training batches. Gradient clipping has a recorder of its own (``clipping``)."""

import threading as _threading

import torch as _t

from curriculum.probes.need import need  # noqa: F401  (the prelude's users call it)
from curriculum.probes.rows import watch_entries
from curriculum.probes.torch_class import torch_class_name
from curriculum.probes.trusted import grad_on, number

_made = []
# (label, object) of every optimizer and scheduler built while recording, in order: a probe
# reads their state after the learner's run (e.g. a scheduler's last_epoch: its step() calls)
_objects = []


def _record_class(cls, label):
    orig = cls.__init__

    def init(self, *a, **k):
        orig(self, *a, **k)
        info = {"cls": torch_class_name(self), "label": label}
        if label == "optimizer":
            info["lr"] = float(self.param_groups[0]["lr"])
            info["nparams"] = sum(p.numel() for g in self.param_groups for p in g["params"])
            watch_accumulation(self.param_groups[0]["params"][0])
        else:
            info.update({k2: v for k2, v in self.__dict__.items()
                         if k2 in ("step_size", "gamma") and isinstance(v, (int, float))})
        _made.append(info)
        _objects.append((label, self))
    cls.__init__ = init
    return orig


# backward passes seen on watched parameters, and how many of them added onto a
# gradient left over from an earlier backward (zero_grad() missing or ineffective)
_acc = {"backward": 0, "accumulated": 0}


def watch_accumulation(p):
    fresh = {}

    def pre(grad):
        fresh["g"] = grad.detach().clone()
        return grad

    def post(param):
        _acc["backward"] += 1
        g = fresh.pop("g", None)
        if g is None or param.grad is None:
            return
        # the same gradient, NaN where the fresh one is NaN (a NaN loss is not a pile-up)
        same = param.grad.shape == g.shape and bool(
            ((param.grad == g) | (param.grad.isnan() & g.isnan())).all())
        if not same:
            _acc["accumulated"] += 1
    if p.requires_grad:
        p.register_hook(pre)
        p.register_post_accumulate_grad_hook(post)


def recording(fn):
    saved = []
    for cls in {c for c in vars(_t.optim).values() if isinstance(c, type)
                and issubclass(c, _t.optim.Optimizer) and c is not _t.optim.Optimizer}:
        saved.append((cls, _record_class(cls, "optimizer")))
    sched = _t.optim.lr_scheduler
    for cls in {c for c in vars(sched).values() if isinstance(c, type)
                and issubclass(c, sched.LRScheduler) and c is not sched.LRScheduler}:
        saved.append((cls, _record_class(cls, "scheduler")))
    try:
        return fn()
    finally:
        for cls, orig in saved:
            cls.__init__ = orig


def mode_hook(model, log):
    """Appends ``(training, grad enabled)`` of every forward of ``model`` to ``log``: however
    it is entered (``model(x)``, ``model.forward(x)``, a submodule of it) and on whichever
    thread (the mode of the module entered, the grad mode of the thread running it; see
    ``curriculum/probes/rows.py``). Returns the handle to ``remove()``."""
    def hook(mod, args):
        log.append((bool(mod.training), grad_on()))
    return watch_entries(model, hook)


def holds_graph(value, depth=3):
    """Whether ``value`` is, or holds within ``depth`` levels of lists, tuples and dict
    values, a tensor still attached to the autograd graph: a loss kept as a tensor
    instead of a number (its whole graph kept alive with it, epoch after epoch)."""
    if isinstance(value, _t.Tensor):
        return bool(value.requires_grad)
    if depth and isinstance(value, dict):
        return any(holds_graph(v, depth - 1) for v in value.values())
    if depth and isinstance(value, (list, tuple)):
        return any(holds_graph(v, depth - 1) for v in value)
    return False


def loss_calls(log):
    """A global forward hook that appends ``[value, batch rows]`` of every one-number call of
    a loss module made with gradients enabled (the training batches' losses, in order) to
    ``log`` — in the jail (``SANDBOXED``) on every thread, in the judge on this one (other
    jobs' references run in other threads); returns its handle."""
    tid = _threading.get_ident()
    everywhere = bool(globals().get("SANDBOXED", False))

    def hook(mod, args, out):
        if not (everywhere or _threading.get_ident() == tid) \
                or not isinstance(mod, _t.nn.modules.loss._Loss) or not grad_on():
            return
        if isinstance(out, _t.Tensor) and out.numel() == 1:
            x = args[0] if args else None
            rows = int(x.shape[0]) if isinstance(x, _t.Tensor) and x.dim() else 0
            log.append([number(out), rows])

    return _t.nn.modules.module.register_module_forward_hook(hook)
