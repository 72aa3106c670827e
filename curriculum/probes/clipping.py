"""Probe prelude (runs in the jail): gradient clipping recorded in its order with the
optimizer steps, so a judge (``curriculum.judges.training.clip_problem``) can tell a clip
between ``backward()`` and ``step()`` from one after the step or before the backward pass."""

from curriculum.probes.trusted import total_norm


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

    def arg(args, kwargs, i, name):
        return args[i] if len(args) > i else kwargs.get(name, float("nan"))

    def number(value):
        try:
            return float(value)
        except (TypeError, ValueError, RuntimeError):
            return float("nan")

    def record(max_norm, total):
        max_norms.append(number(max_norm))
        order.append("c" if number(total) == 0 else "C")  # NaN gradients are there too

    def clip(parameters, *a, **k):
        total = by_norm(parameters, *a, **k)
        record(arg(a, k, 0, "max_norm"), total)
        return total

    def clip_with(parameters, *a, **k):
        record(arg(a, k, 0, "max_norm"), arg(a, k, 1, "total_norm"))
        return with_norm(parameters, *a, **k)

    def norm(opt, args, kwargs):
        step_norms.append(total_norm([p.grad for g in opt.param_groups for p in g["params"]
                                      if p.grad is not None]))
        order.append("S")
    wrappers = {by_norm: clip, with_norm: clip_with}
    # (namespace, name, original): the torch modules' names and the submission's own
    places = [(vars(tnu), "clip_grad_norm_", by_norm), (vars(tcg), "clip_grad_norm_", by_norm),
              (vars(tnu), "clip_grads_with_norm_", with_norm)]
    places += [(ns, n, v) for n, v in ns.items() if v is by_norm or v is with_norm]
    for space, name, original in places:
        space[name] = wrappers[original]
    hook = register_optimizer_step_pre_hook(norm)
    try:
        return fn(), max_norms, step_norms, "".join(order[:20000])
    finally:
        hook.remove()
        for space, name, original in places:
            space[name] = original
