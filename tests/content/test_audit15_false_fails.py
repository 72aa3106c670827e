"""Fifteenth audit (a hunt for false fails after round 14's changes).

- 6.3.1 / final.2: a loop that zeroes the gradients itself and hands backward and step to a
  helper (``update(loss, optimizer)``) was refused by the per-body five-step reading ("call
  zero_grad in the training loop itself"): a helper that is no loop may leave zero_grad to
  the loop that calls it.
- final.1: a model entered with ``model.forward(x)`` kept no "best weights" candidates (the
  snapshot hooks sat on the model object): they now watch where a forward enters the model.
- 3.3.1a: f′ and f″ from ``torch.autograd.functional`` (jacobian, hessian) are autograd too.
"""

from __future__ import annotations

from audit_support import audit_tests

SEEDS = (5, 23)

_UPDATE = "\n\ndef update(loss, optimizer):\n    loss.backward()\n    optimizer.step()\n"

CORRECT = {
    "6.3.1-backward-and-step-in-a-helper": ("6.3.1", [
        ("            loss.backward()\n            optimizer.step()\n    return model\n",
         "            update(loss, optimizer)\n    return model\n" + _UPDATE)]),
    "final.2-backward-and-step-in-a-helper": ("final.2", [
        ("            loss.backward()\n            optimizer.step()\n    return model\n",
         "            update(loss, optimizer)\n    return model\n" + _UPDATE)]),
    "final.1-entered-with-forward": ("final.1", [
        ("loss = criterion(model(data), target)", "loss = criterion(model.forward(data), target)"),
        ("criterion(model(x), y).item()", "criterion(model.forward(x), y).item()")]),
    "3.3.1a-autograd-functional": ("3.3.1a", [
        ("    x = x.detach().requires_grad_(True)\n"
         "    y = polynomial(x, coeffs)\n"
         "    (d1,) = torch.autograd.grad(y.sum(), x, create_graph=True)\n"
         "    (d2,) = torch.autograd.grad(d1.sum(), x)\n"
         "    return d1.detach(), d2.detach()",
         "    from torch.autograd.functional import hessian, jacobian\n\n"
         "    def f(t):\n        return polynomial(t, coeffs).sum()\n"
         "    d1 = jacobian(f, x.detach())\n"
         "    d2 = torch.stack([hessian(f, v) for v in x.detach()])\n"
         "    return d1, d2")]),
}

WRONG = {
    "6.3.1-zero-grad-between-backward-and-step-in-a-helper": ("6.3.1", [
        ("            loss.backward()\n            optimizer.step()\n    return model\n",
         "            update(loss, optimizer)\n    return model\n"
         "\n\ndef update(loss, optimizer):\n    loss.backward()\n    optimizer.zero_grad()\n"
         "    optimizer.step()\n")],
        "training_loop", ["wipes the gradients before the step"]),
}

test_wrong_solution_fails_with_its_cause, test_correct_solution_passes = audit_tests(
    WRONG, CORRECT, SEEDS)
