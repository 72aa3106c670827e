"""Probe prelude (runs in the jail): gradient clipping recorded in its order with the
optimizer steps, so a judge (``curriculum.judges.training.clip_problem``) can tell a clip
between ``backward()`` and ``step()`` from one after the step or before the backward pass."""

import torch as _t


def clipping(ns, fn):
    """Run ``fn`` recording the ``max_norm`` of every clip of the gradients, the gradient
    norm each optimizer step sees, and their order: ``C`` a clip of gradients that are there
    (a non-zero norm, or not a number), ``c`` one of none, ``S`` a step — a clip after the
    step, or before the backward pass, leaves the gradients a step sees unclipped, which
    their norms only show when they exceed the bound. A clip is a call of clip_grad_norm_
    (through torch.nn.utils, torch.nn.utils.clip_grad or a name the submission imported)
    or of clip_grads_with_norm_ (the two-step form after get_total_norm)."""
    import torch.nn.utils as tnu
    import torch.nn.utils.clip_grad as tcg
    from torch.optim.optimizer import register_optimizer_step_pre_hook
    by_norm, with_norm = tnu.clip_grad_norm_, tnu.clip_grads_with_norm_
    max_norms, step_norms, order = [], [], []

    def number(args, kwargs, i, name):
        try:
            return float(args[i] if len(args) > i else kwargs.get(name, float("nan")))
        except (TypeError, ValueError, RuntimeError):
            return float("nan")

    def record(max_norm, total):
        max_norms.append(max_norm)
        order.append("c" if total == 0 else "C")  # NaN gradients are there too

    def clip(parameters, *a, **k):
        total = by_norm(parameters, *a, **k)
        record(number(a, k, 0, "max_norm"), number([total], {}, 0, ""))
        return total

    def clip_with(parameters, *a, **k):
        record(number(a, k, 0, "max_norm"), number(a, k, 1, "total_norm"))
        return with_norm(parameters, *a, **k)

    def norm(opt, args, kwargs):
        grads = [p.grad.detach().double() for g in opt.param_groups for p in g["params"]
                 if p.grad is not None]
        step_norms.append(float(_t.sqrt(sum((g ** 2).sum() for g in grads))) if grads
                          else 0.0)
        order.append("S")
    patches = [(tnu, "clip_grad_norm_", clip), (tcg, "clip_grad_norm_", clip),
               (tnu, "clip_grads_with_norm_", clip_with)]
    names = [(n, clip if v is by_norm else clip_with) for n, v in ns.items()
             if v is by_norm or v is with_norm]
    for module, attr, wrapper in patches:
        setattr(module, attr, wrapper)
    for n, wrapper in names:
        ns[n] = wrapper
    hook = register_optimizer_step_pre_hook(norm)
    try:
        return fn(), max_norms, step_norms, "".join(order[:20000])
    finally:
        hook.remove()
        tnu.clip_grad_norm_ = tcg.clip_grad_norm_ = by_norm
        tnu.clip_grads_with_norm_ = with_norm
        for n, wrapper in names:
            ns[n] = by_norm if wrapper is clip else with_norm
