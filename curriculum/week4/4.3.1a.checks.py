"""Checks of 4.3.1a (LinearWithStats): statistics really tracked, frozen in eval, reset."""

from curriculum.judges.compare import close, max_abs_diff


def inputs(rng):
    """The seed's example (64 → 32, one batch of 4) and three random runs."""
    runs = [{"in": 64, "out": 32, "seed": int(rng.integers(1, 2**30)), "batches": [(4, 1.0, 0.0)]}]
    for n in (int(rng.integers(4, 9)), int(rng.integers(11, 15)), int(rng.integers(2, 5))):
        runs.append({"in": int(rng.integers(5, 40)), "out": int(rng.integers(3, 20)),
                     "seed": int(rng.integers(1, 2**30)),
                     "batches": [(int(rng.integers(3, 12)), float(rng.uniform(0.5, 3.0)),
                                  float(rng.uniform(-2, 2))) for _ in range(n)]})
    # the long run has more than 10 grad norms (its first batch has no gradient yet), so the
    # "last 10" of the histories shows: 11 batches give exactly 10, one more batch then
    long = runs[2]["batches"]
    if len(long) == 11:
        long.append((int(rng.integers(3, 12)), float(rng.uniform(0.5, 3.0)),
                     float(rng.uniform(-2, 2))))
    return runs


_KEYS = [("input_stats", "running_mean"), ("input_stats", "running_std"),
         ("input_stats", "batch_means"), ("input_stats", "batch_stds"),
         ("output_stats", "running_mean"), ("output_stats", "running_std"),
         ("output_stats", "batch_means"), ("output_stats", "batch_stds"),
         ("weight_norm",), ("recent_grad_norms",), ("num_batches",)]


def _get(d, path):
    for k in path:
        if not isinstance(d, dict) or k not in d:
            return KeyError
        d = d[k]
    return d


_RUNNING = ("running stats use momentum 0.1 (the first batch initialises them), std is the "
            "unbiased x.std()")
_HISTORY = ("one value per training batch, the last ≤ 10 in the order they came (oldest "
            "first); std is the unbiased x.std()")


def _hint(path):
    """What the failing entry is made of (a running stat, a batch history, a norm)."""
    if path[-1].startswith("running_"):
        return _RUNNING
    if path[-1].startswith("batch_"):
        return _HISTORY
    if path[-1] == "weight_norm":
        return "torch.norm(self.linear.weight) at the last training batch"
    if path[-1] == "recent_grad_norms":
        return ("torch.norm(self.linear.weight.grad), read in forward (before the new "
                "backward) when the gradient is not None; the last ≤ 10")
    return "the number of training batches seen"


def _compare(got, ref, when, hint=None):
    for path in _KEYS:
        g, r = _get(got, path), _get(ref, path)
        key = "".join(f"[{k!r}]" for k in path)
        if g is KeyError:
            return False, f"get_statistics(){key} is missing {when} (keep the dict layout of the contract)"
        if isinstance(r, list) and (not isinstance(g, list) or len(g) != len(r)):
            n = len(g) if isinstance(g, list) else type(g).__name__
            return False, (f"get_statistics(){key} {when}: expected a list of {len(r)} values "
                           f"(the last ≤ 10 batches), got {n}")
        ok = close(g, r, rtol=1e-4, atol=1e-5)
        if not ok:
            err = max_abs_diff(g, r)
            return False, (f"get_statistics(){key} {when} is wrong (max abs error {err:.3g}, "
                           f"tolerance rtol 1e-4 / atol 1e-5): {hint or _hint(path)}")
    return True, ""


def _runs(learner, reference, inputs):
    return zip(learner.value, reference.value, inputs, strict=True)


def _where(run):
    return f"LinearWithStats({run['in']}, {run['out']}) after {len(run['batches'])} training " \
           "batch(es)"


def judge_tracked(learner, reference, inputs, ctx):
    for got, ref, run in _runs(learner, reference, inputs):
        if got["shapes"] != ref["shapes"]:
            return False, (f"{_where(run)}: forward output shapes must be (batch, out_features); "
                           f"got {got['shapes']}")
        ok, msg = _compare(got["stats"], ref["stats"], f"for {_where(run)}")
        if not ok:
            return ok, msg
    return True, ""


def judge_eval(learner, reference, inputs, ctx):
    """eval() freezes the statistics: compared with the learner's *own* statistics from just
    before the eval-mode forward, so a wrong formula (judged by `tracked`) does not show up
    here as an eval-mode problem."""
    for got, _ref, run in _runs(learner, reference, inputs):
        when = f"for {_where(run)} and one more forward in eval() mode"
        for path in _KEYS:
            before, after = _get(got["stats"], path), _get(got["frozen"], path)
            key = "".join(f"[{k!r}]" for k in path)
            if before is KeyError or after is KeyError:
                return False, f"get_statistics(){key} is missing {when} (keep the dict layout of the contract)"
            if not close(after, before, rtol=0.0, atol=0.0, nonfinite="match"):
                return False, (f"get_statistics(){key} changed {when}: in eval() mode forward "
                               "must not touch any statistic (guard the updates with "
                               "`if self.training:`)")
    return True, ""


def judge_reset(learner, reference, inputs, ctx):
    for got, ref, run in _runs(learner, reference, inputs):
        ok, msg = _compare(got["after"], ref["after"], f"for {_where(run)}, then "
                           "reset_statistics()",
                           "reset must set the running means to 0, the stds to 1, "
                           "num_batches_tracked to 0 and empty every history list")
        if not ok:
            return ok, msg
        n = min(2, len(run["batches"]))
        again = got.get("again")
        if isinstance(again, dict) and "error" in again:
            return False, (f"{_where(run)}: training after reset_statistics() raised "
                           f"{again['error']}; reset must leave the layer ready to track again "
                           "(empty lists, not None)")
        ok, msg = _compare(again, got.get("anew"), f"for {_where(run)}, then reset_statistics() "
                           f"and {n} more training batch(es)",
                           "after a reset the layer must track the next batches as a fresh "
                           "layer does: the next training batch is the first again (it "
                           "initialises the running stats, num_batches_tracked == 0) and the "
                           "histories start over")
        if not ok:
            return ok, msg
    return True, ""


def judge_layout(learner, reference, inputs, ctx):
    got, ref = learner.value[0], reference.value[0]
    if not got["bias_none"]:
        return False, "LinearWithStats(in, out, bias=False) must pass bias=False to its nn.Linear"
    missing = [b for b in ref["buffers"] if b not in got["buffers"]]
    if missing:
        return False, (f"running statistics must be registered buffers (register_buffer); "
                       f"missing: {', '.join(missing)}")
    for mine, _ref, run in _runs(learner, reference, inputs):
        for key, when in (("trained", _where(run)),
                          ("reset", f"{_where(run)}, then reset_statistics(),")):
            bad = _layout_problem(mine.get(key), when)
            if bad:
                return False, bad
    return True, ""


_IN_PLACE = ("update the buffers in place (`self.input_mean_running.mul_(1 - m).add_(m * mean)`, "
             "`.fill_()`, `.zero_()`) instead of assigning new tensors, which changes their "
             "shape")


def _layout_problem(layout, when):
    """A trained (or reset) layer whose buffers no longer match a fresh layer's: its
    state_dict — a checkpoint — does not load into a new LinearWithStats."""
    if not isinstance(layout, dict):
        return f"could not read the buffers of {when}"
    if layout.get("reload"):
        return (f"the state_dict of {when} must load into a fresh LinearWithStats: "
                f"{_IN_PLACE} ({layout['reload'][:120]})")
    if layout.get("changed"):
        return (f"the buffers of {when} must keep the shape and dtype of a fresh layer's: "
                f"{_IN_PLACE} (or dtype); {'; '.join(layout['changed'][:3])}")
    return None
