"""Builds the learner's nn.Module class with no arguments, runs it on hidden batches and
measures the behaviour its contract names (Exercise 4.1; runs in the jail). Data only:
output shapes, parameter count, layer descriptions, behaviour measurements, and the outputs
with the grader's weights.

Shapes and parameter counts cannot tell ``relu(fc3(h) + h1)`` from ``relu(fc3(h)) + h1``,
``view`` from ``permute`` or a missing activation. So every parameter-owning layer is then
given weights that depend only on *its place in the architecture* (type, parameter shapes,
and — for layers of the same shape — the contract's attribute name or the order in which
they ran), never on how the learner wrote or initialised it. The reference gets the same
weights through the same probe, and the judge compares the two outputs on the same inputs:
with equal weights, the stated computation gives equal outputs.
"""

import zlib

import torch
import torch.nn as nn

from curriculum.probes.describe import describe
from curriculum.probes.forward_calls import dropout_calls
from curriculum.probes.torch_class import torch_class_name
from curriculum.probes.unchanged import pristine


def _x(shape, seed):
    g = torch.Generator().manual_seed(int(seed))
    return torch.randn(*shape, generator=g)


def _shape(y):
    if isinstance(y, torch.Tensor):
        return list(y.shape)
    if isinstance(y, (tuple, list)):
        return [_shape(e) for e in y]
    return type(y).__name__


def _finite(y):
    if isinstance(y, torch.Tensor):
        return bool(torch.isfinite(y).all()) if y.is_floating_point() else True
    if isinstance(y, (tuple, list)):
        return all(_finite(e) for e in y)
    return True


def _first(y):
    return y[0] if isinstance(y, (tuple, list)) else y


def _attr(model, name):
    m = getattr(model, name, None)
    if not isinstance(m, nn.Module):
        raise AttributeError(f"the model has no submodule attribute '{name}' "
                             "(the contract names it)")
    return m


def _zero(m):
    with torch.no_grad():
        for p in m.parameters():
            p.zero_()


# nn.LeakyReLU's slope is free where a contract only says "nn.LeakyReLU": before the outputs
# are compared every LeakyReLU module gets this one, large enough that ReLU in its place shows.
LEAKY_SLOPE = 0.2


def _owners(model):
    """(qualified name, module) of every module that holds parameters itself."""
    return [(q, m) for q, m in model.named_modules()
            if any(True for _ in m.parameters(recurse=False))]


def _signature(m):
    return type(m).__name__ + ":" + ",".join(
        f"{n}{tuple(p.shape)}" for n, p in m.named_parameters(recurse=False))


def _keys(model, ran, names):
    """A key per parameter owner that names its place in the architecture: the signature
    when it is unique; among layers of one signature a rank — contract-named ones (``fc1``,
    ``branch2`` or a layer inside it) in the contract's order, then the others in the order
    they first ran."""
    owners = _owners(model)
    first = {}
    for i, m in enumerate(ran):
        first.setdefault(id(m), i)
    groups = {}
    for j, (q, m) in enumerate(owners):
        top = q.split(".")[0]
        run = first.get(id(m), len(ran) + j)
        rank = (0, names.index(top), run) if top in names else (1, 0, run)
        groups.setdefault(_signature(m), []).append((rank, m))
    keys = []
    for sig, members in groups.items():
        members.sort(key=lambda e: e[0])
        keys += [(f"{sig}#{k}", m) for k, (_rank, m) in enumerate(members)]
    return keys


def _fill(model, ran, names, seed):
    """The grader's weights: uniform with variance 1/fan_in for weight matrices and kernels,
    small biases, norm scales near 1, each drawn from a generator seeded by the layer's key."""
    for m in model.modules():
        if isinstance(m, nn.LeakyReLU):
            m.negative_slope = LEAKY_SLOPE
    with torch.no_grad():
        for key, m in _keys(model, ran, names):
            g = torch.Generator().manual_seed(int(seed) * 7919 + zlib.crc32(key.encode()))
            for n, p in m.named_parameters(recurse=False):
                u = torch.rand(p.shape, generator=g, dtype=torch.float64) * 2 - 1
                if p.dim() >= 2:
                    u = u * (3.0 / max(1, p[0].numel())) ** 0.5
                elif n == "weight" or p.dim() == 0:   # norm scales
                    u = 1.0 + 0.25 * u
                else:
                    u = 0.1 * u
                p.copy_(u.to(p.dtype))


def _activated(branch, act, x):
    """A branch's output with its activation applied once: in forward (a bare Linear branch)
    or inside the branch (``nn.Sequential(nn.Linear(32, 16), nn.Sigmoid())``)."""
    y = branch(x)
    if any(isinstance(m, act) for m in branch.modules()):
        return y
    return {nn.ReLU: torch.relu, nn.Sigmoid: torch.sigmoid, nn.Tanh: torch.tanh}[act](y)


def _mixed_rows(x):
    """Rows of mixed signs whose mean alternates > 0 and < 0, and whose first and last
    features have the sign opposite to the mean (routing by one feature, not the row mean,
    sends them the wrong way)."""
    x = x.clone()
    n = x.shape[1]
    for i in range(x.shape[0]):
        sign = 1.0 if i % 2 == 0 else -1.0
        x[i, 0] = -sign * (x[i, 0].abs() + 0.5)
        x[i, -1] = -sign * (x[i, -1].abs() + 0.5)
        rest = x[i, 1:-1]
        target = sign * (0.2 + 0.1 * (i % 3))       # the row mean
        x[i, 1:-1] = rest + (target * n - x[i, 0] - x[i, -1] - rest.sum()) / (n - 2)
    return x


def _values(y):
    if isinstance(y, torch.Tensor):
        return y.detach().clone()
    if isinstance(y, (tuple, list)):
        return [_values(e) for e in y]
    return type(y).__name__


def _unregistered(model):
    """Attributes that nn.Module does not register: layers in a plain list, tuple or dict
    ("modules"), float tensors that are not nn.Parameter ("tensors"). Only a hint for the
    judge when the layers or the parameter count are wrong."""
    found = {"modules": [], "tensors": []}
    for k, v in vars(model).items():
        if k.startswith("_"):
            continue
        items = list(v.values()) if isinstance(v, dict) else v
        if isinstance(items, (list, tuple)) and any(isinstance(e, nn.Module) for e in items):
            found["modules"].append([k, type(v).__name__])
        elif isinstance(v, torch.Tensor) and v.is_floating_point() and v.dim() >= 1:
            found["tensors"].append(k)
    return found


def probe(ns, inputs):
    name = inputs["cls"]
    if name not in ns:
        raise NameError(f"name '{name}' is not defined")
    cls = ns[name]
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        return {"not_module": type(cls).__name__}
    torch.manual_seed(int(inputs["seed"]))
    model = cls()
    res = {"root": torch_class_name(model),  # "Sequential" for a class that is one
           "params": int(sum(p.numel() for p in model.parameters())),
           "layers": [describe(m) for m in model.modules()][1:], "outs": [], "beh": {}}
    res["unregistered"] = _unregistered(model)
    model.eval()
    calls = []
    # the order in which leaf modules run in the first forward pass (layer order)
    order = res["order"] = []
    ran = []
    leaves = [m for m in model.modules() if m is not model and not any(True for _ in m.children())]

    def record(m, a, o):
        order.append(type(m).__name__)
        ran.append(m)
    hooks = [m.register_forward_hook(record) for m in leaves]
    with torch.no_grad():
        for i, shapes in enumerate(inputs["calls"]):
            xs = [_x(s, inputs["seed"] + 10 * i + j) for j, s in enumerate(shapes)]
            calls.append(xs)
            try:
                y = model(*xs)
                res["outs"].append(_shape(y))
                res.setdefault("finite", True)
                res["finite"] = res["finite"] and _finite(y)
                for h in hooks:
                    h.remove()
                hooks = []
            except Exception as e:  # reported with the input shape by the judge
                res["forward_error"] = [i, f"{type(e).__name__}: {str(e)[:200]}"]
                return res
    if inputs.get("values", True):   # the outputs with the grader's weights (module docstring)
        _fill(model, ran, list(inputs.get("names") or []), inputs["seed"])
        with torch.no_grad():
            res["vals"] = [_values(model(*xs)) for xs in calls]
    # a batch of one sample, the first of the first call (single-example inference): a
    # forward that squeezes every size-1 dim (`x.squeeze()`) also drops the batch dim then
    try:
        with torch.no_grad():
            y = model(*[x[:1] for x in calls[0]])
        res["single"] = {"shape": _shape(y)}
        if "vals" in res:
            res["single"]["vals"] = _values(y)
    except Exception as e:
        res["single"] = {"error": f"{type(e).__name__}: {str(e)[:200]}"}
    xs = calls[0]
    beh = res["beh"]
    for b in inputs["behaviour"]:
        if b == "dropout":
            model.train()
            with torch.no_grad():
                beh["dropout_calls"], y1 = dropout_calls(lambda: _first(model(*xs)))
                y2 = _first(model(*xs))
            model.eval()
            with torch.no_grad():
                y3, y4 = _first(model(*xs)), _first(model(*xs))
            equal = pristine()["equal"]  # not the learner's torch.equal
            beh["train_differs"] = bool(not equal(y1, y2))
            beh["eval_same"] = bool(equal(y3, y4))
        elif b == "range01":
            with torch.no_grad():
                y = _first(model(*[x * 5 for x in xs]))
            beh["min"], beh["max"] = float(y.min()), float(y.max())
        elif b.startswith("zero:"):
            for attr in b[5:].split(","):
                _zero(_attr(model, attr))
            with torch.no_grad():
                y = _first(model(*xs))
            beh["spread"] = float(y.std(dim=0).max())
            if y.shape == xs[0].shape:
                beh["diff_to_input"] = float((y - xs[0]).abs().max())
        elif b == "two_inputs":
            with torch.no_grad():
                y = model(*xs)
                y1 = model(xs[0] + 1.0, xs[1])
                y2 = model(xs[0], xs[1] + 1.0)
            beh["dep1"] = float((y - y1).abs().max())
            beh["dep2"] = float((y - y2).abs().max())
        elif b == "encode":
            with torch.no_grad():
                z = model.encode(xs[0])
                y = model(xs[0])
                y2 = _attr(model, "decoder")(z)
            beh["code_shape"] = list(z.shape)
            beh["decode_diff"] = float((y - y2).abs().max())
        elif b == "weights":
            with torch.no_grad():
                for call in calls:
                    out = model(*call)
                    if not isinstance(out, (tuple, list)) or len(out) != 2:
                        raise TypeError("forward must return a tuple (output, weights)")
                    w = out[1]
                    beh.setdefault("sum_err", 0.0)
                    beh["sum_err"] = max(beh["sum_err"], float((w.sum(-1) - 1).abs().max()))
                    beh.setdefault("min_w", 1.0)
                    beh["min_w"] = min(beh["min_w"], float(w.min()))
        elif b == "concat":
            seen = {}

            def keep_input(m, a, o, seen=seen):
                seen.setdefault("x", a[0].detach())
            h = _attr(model, "combine").register_forward_hook(keep_input)
            with torch.no_grad():
                model(*xs)
                x = xs[0]
                want = torch.cat([_activated(_attr(model, name), act, x)
                                  for name, act in (("branch1", nn.ReLU), ("branch2", nn.Sigmoid),
                                                    ("branch3", nn.Tanh))], dim=1)
            h.remove()
            got = seen.get("x")
            beh["concat_shape"] = None if got is None else list(got.shape)
            beh["concat_diff"] = (float((got - want).abs().max())
                                  if got is not None and got.shape == want.shape else None)
        elif b == "conditional":
            x = _mixed_rows(xs[0])
            with torch.no_grad():
                y1 = model(x)
                for p in _attr(model, "path_b").parameters():
                    p.add_(torch.randn(p.shape, generator=torch.Generator().manual_seed(1)))
                y2 = model(x)
            pos = x.mean(dim=1) > 0
            d = (y1 - y2).abs().amax(dim=1)
            beh["pos_changed"] = float(d[pos].max()) if bool(pos.any()) else 0.0
            beh["neg_changed"] = float(d[~pos].min()) if bool((~pos).any()) else 1.0
        elif b == "selfattn":
            x = xs[0]
            with torch.no_grad():
                out, w = model(x)
                q, k = _attr(model, "query")(x), _attr(model, "key")(x)
                want = torch.softmax(q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5, dim=-1)
            beh["attn_diff"] = (float((w - want).abs().max()) if w.shape == want.shape
                                else None)
    return res
