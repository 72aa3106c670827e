"""Probe prelude: a model's outputs with the grader's weights (runs in the jail).

Shapes, parameter counts and accuracy after training cannot see a softmax on the logits, a
Tanh where the contract says ReLU or an attention context that ignores its weights. Every
parameter-owning layer gets weights that depend only on its place in the architecture
(:func:`curriculum.probes.module_class._fill`); the reference gets the same weights through
the same probe, so the judge compares the two outputs on the same inputs: with equal
weights, the stated computation gives equal outputs.
"""

import torch

from curriculum.probes.module_class import _fill


def grader_outputs(model, run, seed, names=()):
    """``run(model)`` in eval mode under ``no_grad`` once to learn the order in which the
    leaf modules run, then again with the grader's weights (the model's weights are
    overwritten: pass a model built for this)."""
    ran = []
    leaves = [m for m in model.modules() if m is not model and not any(True for _ in m.children())]
    hooks = [m.register_forward_hook(lambda m, a, o: ran.append(m)) for m in leaves]
    model.eval()
    try:
        with torch.no_grad():
            run(model)
    finally:
        for h in hooks:
            h.remove()
    _fill(model, ran, list(names), seed)
    with torch.no_grad():
        return run(model)
