"""5.2.4 (adversarial training): what the checks run in the jail, on top of the
training-loop instruments (data only)."""

import torch as _torch
from torch import nn as _nn

from curriculum.probes.recorders import holds_graph, mode_hook
from curriculum.probes.rows import row_index
from curriculum.probes.training_loop import _build, _describe, _flat, _Rec
from curriculum.probes.unchanged import pristine, same


def fgsm(ns, inputs):
    fn = ns.get("generate_adversarial_examples")
    if fn is None:
        raise NameError("name 'generate_adversarial_examples' is not defined")
    ev = ns.get("evaluate_adversarial_accuracy")
    if ev is None:
        raise NameError("name 'evaluate_adversarial_accuracy' is not defined")
    _torch.manual_seed(inputs["init_seed"])
    model = _build(inputs["model"])
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    out = {"state": state, "adv": []}
    for eps in inputs["eps"]:
        X = inputs["X"].clone()
        adv = fn(model, X, inputs["y"].clone(), eps)
        out["adv"].append({
            "value": adv.detach().clone() if isinstance(adv, _torch.Tensor) else _describe(adv),
            "requires_grad": bool(getattr(adv, "requires_grad", False)),
            "input_changed": not bool(pristine()["equal"](X.detach(), inputs["X"])),
            "input_grad": not same(inputs["X"], X),
        })
    out["param_grads"] = any(p.grad is not None and bool((p.grad != 0).any())
                             for p in model.parameters())
    # in train mode, as a training loop leaves it: the prompt's model.eval() must switch it
    model.train()
    modes = []
    handle = mode_hook(model, modes)
    X, y = inputs["X"].clone(), inputs["y"].clone()
    try:
        acc = ev(model, X, y, 0.1)
    finally:
        handle.remove()
    out["acc"] = _describe(acc)
    out["eval_modes"] = [list(m) for m in modes]
    out["eval_input_changed"] = not (same(inputs["X"], X) and same(inputs["y"], y))
    # again at a hidden epsilon, on a model that separates the classes (the grader's
    # weights): the attack must use the epsilon it is given
    fitted = _build(inputs["model"])
    fitted.load_state_dict(inputs["eval_state"])
    acc = ev(fitted, inputs["X"].clone(), inputs["y"].clone(), inputs["eval_eps"])
    out["acc_eval_eps"] = _describe(acc)
    return out


def advtrain(ns, inputs):
    fn = ns.get("adversarial_training_loop")
    if fn is None:
        raise NameError("name 'adversarial_training_loop' is not defined")
    _torch.manual_seed(inputs["init_seed"])
    model = _build(inputs["model"])
    before = _flat(model)
    rec = _Rec([model], row_index(inputs["X"]))  # which rows each clean batch holds
    # how far each call of the learner's generate_adversarial_examples moved its data during
    # training (its largest change: epsilon, unless clamping cut every value)
    attack, moved = ns.get("generate_adversarial_examples"), []

    def watched(*args, **kwargs):
        out = attack(*args, **kwargs)
        data = args[1] if len(args) > 1 else kwargs.get("data")
        if isinstance(out, _torch.Tensor) and isinstance(data, _torch.Tensor) \
                and out.shape == data.shape:
            moved.append(float((out.detach().float() - data.detach().float()).abs().max()))
        return out
    if callable(attack):
        ns["generate_adversarial_examples"] = watched
    try:
        rec.install()
        model.train()
        history = fn(model, inputs["X"].clone(), inputs["y"].clone(),
                     num_epochs=inputs["epochs"], epsilon=inputs["train_eps"])
    finally:
        rec.remove()
        if callable(attack):
            ns["generate_adversarial_examples"] = attack
    model.eval()
    Xt = inputs["X_test"].clone()
    with _torch.no_grad():
        clean = model(Xt)
    # FGSM against the model's own predictions (the probe never sees the test labels)
    x = Xt.clone().requires_grad_(True)
    loss = _nn.functional.cross_entropy(model(x), clean.argmax(1))
    (g,) = _torch.autograd.grad(loss, x)
    with _torch.no_grad():
        adv = model(_torch.clamp(x + inputs["eps"] * g.sign(), 0, 1))
    # whether train_loss holds a tensor still attached to the autograd graph
    graph = isinstance(history, dict) and holds_graph(history.get("train_loss"))
    return {"report": rec.report(), "history": _describe(history), "graph": graph,
            "changed": float((_flat(model) - before).abs().max()),
            "clean": clean.detach(), "adv": adv.detach(), "moved": moved}
