"""4.3.2c: what the checks measure inside the jail, next to the learner's code (data only)."""

import torch
import torch.nn as nn
import torch.nn.functional as F

from curriculum.probes.forward_calls import dropout_calls


def _x(shape, seed):
    g = torch.Generator().manual_seed(int(seed))
    return torch.randn(*shape, generator=g)


def probe(ns, inputs):
    if "MultiTaskNetwork" not in ns:
        raise NameError("name 'MultiTaskNetwork' is not defined")
    return [_one(ns["MultiTaskNetwork"], run) for run in inputs]


def _grad_error(m, total, out, targets, names, weights):
    """How far the gradient of the learner's total loss with respect to the network (backbone
    and heads; not task_weights) is from that of Σ wᵢ · MSEᵢ, relative to the latter's size:
    0 when the total is built from the loss tensors, 1 when it holds no gradient (a total
    built from ``.item()`` floats only reaches task_weights)."""
    params = [p for p in m.parameters() if p is not m.task_weights and p.requires_grad]
    want = sum(w * F.mse_loss(out[k], targets[k]) for w, k in zip(weights, names, strict=True))
    expected = torch.autograd.grad(want, params, retain_graph=True, allow_unused=True)
    if isinstance(total, torch.Tensor) and total.requires_grad and total.numel() == 1:
        got = torch.autograd.grad(total.reshape(()), params, allow_unused=True)
    else:
        got = [None] * len(params)
    num = den = 0.0
    for p, g, e in zip(params, got, expected, strict=True):
        e = torch.zeros_like(p) if e is None else e
        g = torch.zeros_like(p) if g is None else g
        num += float((g.double() - e.double()).pow(2).sum())
        den += float(e.double().pow(2).sum())
    return (num / den) ** 0.5 if den > 0 else None


def _one(cls, inputs):
    seed, b, d, s = inputs["seed"], inputs["b"], inputs["input_dim"], inputs["shared_dim"]
    configs = {name: {"output_dim": k} for name, k in inputs["tasks"]}
    names = [n for n, _ in inputs["tasks"]]
    torch.manual_seed(seed)
    m = cls(input_dim=d, shared_dim=s, task_configs=configs)
    m.eval()
    x = _x((b, d), seed + 1)
    res = {"params": int(sum(p.numel() for p in m.parameters()))}
    heads = getattr(m, "task_heads", None)
    # a plain dict of heads: not registered (not in parameters(), eval() does not reach them)
    res["heads_type"] = type(heads).__name__
    res["heads_registered"] = heads is None or (isinstance(heads, nn.Module) and any(
        sub is heads for sub in m.modules()))
    with torch.no_grad():
        out = m(x)
        res["shapes"] = {k: list(v.shape) for k, v in out.items()}
        res["subset_keys"] = sorted(m(x, active_tasks=[names[1]]).keys())
        heads = m.task_heads
        for p in heads[names[0]].parameters():
            p.add_(0.5)
        out2 = m(x)
        res["changed"] = {k: float((out2[k] - out[k]).abs().max()) for k in names}
    m.zero_grad()
    y = m(x)
    y[names[0]].pow(2).sum().backward()
    res["other_head_grad"] = max((float(p.grad.abs().max()) if p.grad is not None else 0.0)
                                 for n in names[1:] for p in heads[n].parameters())
    res["backbone_grad"] = max((float(p.grad.abs().max()) if p.grad is not None else 0.0)
                               for p in m.shared_backbone.parameters())
    tw = m.task_weights
    res["tw"] = {"param": isinstance(tw, nn.Parameter), "value": tw.detach().clone()}
    # loss balancing
    m.zero_grad()
    buffers = dict(m.named_buffers())
    res["task_losses_buffer"] = {"buffer": "task_losses" in buffers,
                                 "saved": "task_losses" in m.state_dict()}
    with torch.no_grad():
        m.task_weights.copy_(torch.tensor(inputs["weights"]))
        # running averages part-way through training: the 0.9 · task_losses term counts
        m.task_losses.copy_(torch.tensor(inputs["start"]))
    out = m(x)
    targets = {k: _x(tuple(v.shape), seed + 5 + i) for i, (k, v) in enumerate(out.items())}
    fns = {k: nn.MSELoss() for k in names}
    total, indiv = m.compute_balanced_loss(out, targets, fns)
    res["total_grad_err"] = _grad_error(m, total, out, targets, names, inputs["weights"])
    res["total"] = float(total.detach() if isinstance(total, torch.Tensor) else total)
    res["indiv"] = {k: float(v) for k, v in indiv.items()}
    res["mse"] = {k: float(F.mse_loss(out[k].detach(), targets[k])) for k in names}
    res["running"] = m.task_losses.detach().clone()
    res["running_graph"] = bool(m.task_losses.requires_grad)
    with torch.no_grad():
        m.task_losses.copy_(torch.tensor(inputs["losses"]))
    m.update_task_weights()
    res["updated"] = m.task_weights.detach().clone()
    # last (it moves BatchNorm's running statistics): the dropout a train-mode forward applies
    m.train()
    with torch.no_grad():
        res["dropout_calls"], _ = dropout_calls(lambda: m(x))
    return res
