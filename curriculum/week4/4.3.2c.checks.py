"""Checks of 4.3.2c (MultiTaskNetwork): outputs per task, independent heads, loss balancing."""

from curriculum.judges.compare import above, at_most, close
from curriculum.judges.modules import dropout_calls_problem

_NAMES = ["regression", "classification", "ranking", "segmentation", "depth", "age", "topic"]


def _run(rng, b, input_dim, shared_dim, tasks):
    n = len(tasks)
    return {"seed": int(rng.integers(1, 2**30)), "b": b, "input_dim": input_dim,
            "shared_dim": shared_dim, "tasks": tasks,
            "weights": [float(v) for v in rng.uniform(0.3, 2.0, n)],
            "losses": [float(v) for v in rng.uniform(0.1, 3.0, n)],
            "start": [float(v) for v in rng.uniform(0.5, 3.0, n)]}


def inputs(rng):
    """The seed's example (50 → 128, regression/classification/ranking) and three random runs."""
    runs = [_run(rng, 16, 50, 128, [("regression", 1), ("classification", 5), ("ranking", 3)])]
    for n in (2, 3, 4):
        names = [str(v) for v in rng.choice(_NAMES, n, replace=False)]
        runs.append(_run(rng, int(rng.integers(3, 10)), int(rng.integers(8, 60)),
                         int(rng.choice([16, 32, 64])),
                         [(nm, int(rng.integers(1, 7))) for nm in names]))
    return runs


def _each(judge):
    """Run a one-configuration judge over every run; the first failure decides."""
    def run_all(learner, reference, inputs, ctx):
        for g, r, i in zip(learner.value, reference.value, inputs, strict=True):
            ok, msg = judge(g, r, i)
            if not ok:
                tasks = ", ".join(f"{n!r}: {{'output_dim': {k}}}" for n, k in i["tasks"])
                return False, (f"MultiTaskNetwork(input_dim={i['input_dim']}, shared_dim="
                               f"{i['shared_dim']}, task_configs={{{tasks}}}): {msg}")
        return True, ""
    return run_all


def _outputs(g, r, inputs):
    if g["shapes"] != r["shapes"]:
        return False, (f"forward(x) on a batch of {inputs['b']}: expected a dict "
                       + ", ".join(f"{k}: {tuple(v)}" for k, v in r["shapes"].items())
                       + "; got " + ", ".join(f"{k}: {tuple(v)}" for k, v in g["shapes"].items()))
    if g["subset_keys"] != r["subset_keys"]:
        return False, ("forward(x, active_tasks=[one task]) must return only that task's output; "
                       f"got keys {g['subset_keys']}")
    return True, ""


def _unregistered_heads(g):
    """``task_heads`` held in a plain dict (or list): its heads are not submodules."""
    if g.get("heads_registered", True):
        return None
    return (f"`task_heads` is a plain {g.get('heads_type')}, so the heads are not registered "
            "submodules: their parameters are not in model.parameters() (an optimizer never "
            "trains them, state_dict does not save them) and eval() does not reach their "
            "Dropout. Make it an nn.ModuleDict")


def _independent(g, r, inputs):
    names = [n for n, _ in inputs["tasks"]]
    bad = _unregistered_heads(g)
    if bad:
        return False, bad
    if not above(g["changed"][names[0]], 1e-7):
        return False, f"changing task_heads['{names[0]}'] must change that task's output"
    others = [n for n in names[1:] if not at_most(g["changed"][n], 0.0)]
    if others:
        return False, (f"changing task_heads['{names[0]}'] changed the output of {others}: task "
                       "heads must be independent (one nn.Sequential per task in task_heads)")
    if not at_most(g["other_head_grad"], 0.0):
        return False, (f"the loss of '{names[0]}' alone sent gradients into other tasks' heads; "
                       "each head must see only the shared features")
    if not above(g["backbone_grad"], 0.0):
        return False, ("the loss of one task sent no gradient into `shared_backbone`: the heads "
                       "must be fed the backbone's features without detaching them")
    return True, ""


def _architecture(g, r, inputs):
    bad = _unregistered_heads(g)
    if bad:
        return False, bad
    if g["params"] != r["params"]:
        return False, (f"the architecture of the contract (backbone input_dim → 2·shared_dim → shared_dim "
                       f"with BatchNorm1d, heads shared_dim → shared_dim//2 → output_dim, one "
                       f"task weight per task) has {r['params']:,} parameters here; yours has "
                       f"{g['params']:,}")
    if not g["tw"]["param"] or not close(g["tw"]["value"], r["tw"]["value"], rtol=1e-4,
                                         atol=1e-5):
        return False, "`task_weights` must be an nn.Parameter of ones, one entry per task"
    buf = g.get("task_losses_buffer") or {}
    if not (buf.get("buffer") and buf.get("saved")):
        return False, ("`task_losses` must be a registered buffer "
                       "(`self.register_buffer('task_losses', torch.zeros(n_tasks))`, persistent): "
                       "the running losses are saved in state_dict and move with .to(device)")
    bad = dropout_calls_problem("MultiTaskNetwork", "Dropout(0.3) in the backbone, Dropout(0.2) "
                                "in each head", g.get("dropout_calls"), r.get("dropout_calls"))
    if bad:
        return False, bad
    return True, ""


def _balancing(g, r, inputs):
    names = [n for n, _ in inputs["tasks"]]
    if sorted(g["indiv"]) != sorted(names):
        return False, f"compute_balanced_loss must report one loss per task; got {sorted(g['indiv'])}"
    for n in names:
        if not close(g["indiv"][n], g["mse"][n], rtol=1e-4, atol=1e-5, nonfinite="fail"):
            return False, f"individual loss of '{n}' must be loss_functions['{n}'](output, target)"
    want_total = sum(w * g["mse"][n] for w, n in zip(inputs["weights"], names, strict=True))
    if not close(g["total"], want_total, rtol=1e-4, atol=1e-5):
        return False, "total loss must be Σ task_weights[i] · loss_i over the tasks"
    if not at_most(g.get("total_grad_err"), 1e-3):
        return False, ("total loss: backward() through it must send the gradient of "
                       "Σ task_weights[i] · loss_i into the backbone and the heads; yours does "
                       f"not (relative gradient error {g.get('total_grad_err')}). Build it from "
                       "the loss tensors, not from `.item()` floats (those only go into "
                       "individual_losses and task_losses)")
    want_running = [0.9 * s + 0.1 * g["mse"][n]
                    for s, n in zip(inputs["start"], names, strict=True)]
    if not close(g["running"], want_running, rtol=1e-4, atol=1e-5):
        return False, ("task_losses must be updated as 0.9 · task_losses + 0.1 · loss (the "
                       "grader starts from non-zero running losses, as part-way through "
                       "training)")
    if g.get("running_graph"):
        return False, ("task_losses must hold plain numbers: after compute_balanced_loss it "
                       "requires grad — it kept the loss's autograd graph, which then grows "
                       "with every step. Update it from `loss.item()` (or `loss.detach()`)")
    if not close(g["updated"], r["updated"], rtol=1e-4, atol=1e-5):
        return False, ("update_task_weights(): weights must be 1 / (task_losses / mean + 1e-8), "
                       "then rescaled to sum to the number of tasks")
    return True, ""


judge_outputs = _each(_outputs)
judge_independent = _each(_independent)
judge_architecture = _each(_architecture)
judge_balancing = _each(_balancing)
