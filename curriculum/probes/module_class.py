"""Builds the learner's nn.Module class with no arguments, runs it on hidden batches and
measures the behaviour its contract names (Exercise 4.1; runs in the jail). Data only:
output shapes, parameter count, layer descriptions, behaviour measurements."""

import torch
import torch.nn as nn

from curriculum.probes.describe import describe


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


def probe(ns, inputs):
    name = inputs["cls"]
    if name not in ns:
        raise NameError(f"name '{name}' is not defined")
    cls = ns[name]
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        return {"not_module": type(cls).__name__}
    torch.manual_seed(int(inputs["seed"]))
    model = cls()
    res = {"params": int(sum(p.numel() for p in model.parameters())),
           "layers": [describe(m) for m in model.modules()][1:], "outs": [], "beh": {}}
    model.eval()
    calls = []
    # the order in which leaf modules run in the first forward pass (layer order)
    order = res["order"] = []
    leaves = [m for m in model.modules() if m is not model and not any(True for _ in m.children())]
    hooks = [m.register_forward_hook(lambda m, a, o: order.append(type(m).__name__))
             for m in leaves]
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
    xs = calls[0]
    beh = res["beh"]
    for b in inputs["behaviour"]:
        if b == "dropout":
            model.train()
            with torch.no_grad():
                y1, y2 = _first(model(*xs)), _first(model(*xs))
            model.eval()
            with torch.no_grad():
                y3, y4 = _first(model(*xs)), _first(model(*xs))
            beh["train_differs"] = bool(not torch.equal(y1, y2))
            beh["eval_same"] = bool(torch.equal(y3, y4))
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
                want = torch.cat([torch.relu(_attr(model, "branch1")(x)),
                                  torch.sigmoid(_attr(model, "branch2")(x)),
                                  torch.tanh(_attr(model, "branch3")(x))], dim=1)
            h.remove()
            got = seen.get("x")
            beh["concat_shape"] = None if got is None else list(got.shape)
            beh["concat_diff"] = (float((got - want).abs().max())
                                  if got is not None and got.shape == want.shape else None)
        elif b == "conditional":
            x = xs[0].clone()        # alternate rows: positive mean, negative mean
            x[0::2] = x[0::2].abs() + 0.1
            x[1::2] = -x[1::2].abs() - 0.1
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
