"""Probe prelude: a validation curve played back through a model's eval-mode logits (runs
in the jail). Early stopping is judged on a curve the grader chose (a dip, then an
improvement): a subclass of the learner's model returns, on validation rows, logits whose
cross-entropy is the curve's value for the epoch the optimizer steps say it is."""

import torch


def curve_loss(curve, steps, per_epoch):
    """The curve's value for the epoch that ``steps`` optimizer steps have completed."""
    return curve[min(max(steps // per_epoch - 1, 0), len(curve) - 1)]


def scripted_logits(loss, rows, classes, like):
    """Logits whose cross-entropy against the labels ``rows`` is ``loss``: a·onehot(label)
    over C classes gives log(1 + (C-1)e^-a). Same dtype and device as ``like``."""
    margin = -torch.log(torch.expm1(torch.tensor(loss, dtype=torch.float64)) / (classes - 1))
    logits = torch.zeros(len(rows), classes, dtype=torch.float64)
    logits[torch.arange(len(rows)), torch.tensor(rows)] = margin
    return logits.to(dtype=like.dtype, device=like.device)
