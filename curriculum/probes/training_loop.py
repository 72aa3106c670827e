"""The sandbox side of week 5's training checks: one probe for every training loop.

This probe runs inside the sandbox — and, for the
reference, in the trusted process, possibly beside other references in other
threads. It therefore installs its instruments on the objects it owns (the
model it builds, that model's parameters) and, where it must patch something
global (loss-module forward hook, optimizer step hook, ``Tensor.backward``),
records only events from its own thread that touch its own model, and removes
everything in a ``finally``.

What it sends back is data only: an event string and number arrays (what was
run, in which mode, with which optimizer and loss), the learner's returned
values, and the trained model's predictions on hidden test inputs. The judge
(``curriculum/judges/training.py``) decides."""

import os as _os
import tempfile as _tempfile
import threading as _threading

import torch as _torch
from torch import nn as _nn

from curriculum.probes.rows import feature_keys, row_index
from curriculum.probes.torch_class import torch_class_name
from curriculum.probes.trusted import grad_on, number, sq_norm, sq_sum, total_norm

#: a probe script in the jail gets ``SANDBOXED`` from the harness (absent elsewhere)
_tl_everywhere = bool(globals().get("SANDBOXED", False))


def _build(spec):
    kind = spec[0]
    if kind == "seq":
        layers = []
        for item in spec[1]:
            if item[0] == "linear":
                layers.append(_nn.Linear(item[1], item[2]))
            elif item[0] == "relu":
                layers.append(_nn.ReLU())
            elif item[0] == "flatten":
                layers.append(_nn.Flatten())
            elif item[0] == "dropout":
                layers.append(_nn.Dropout(item[1]))
        return _nn.Sequential(*layers)
    if kind == "twohead":
        return _TwoHead(spec[1], spec[2], spec[3])
    raise ValueError(spec)


class _TwoHead(_nn.Module):
    """Shared trunk, a regression head (1 output) and a classification head."""

    def __init__(self, d_in, hidden, n_classes):
        super().__init__()
        self.shared = _nn.Sequential(_nn.Linear(d_in, hidden), _nn.ReLU())
        self.reg_head = _nn.Linear(hidden, 1)
        self.cls_head = _nn.Linear(hidden, n_classes)

    def forward(self, x):
        h = self.shared(x)
        return self.reg_head(h), self.cls_head(h)


class _Rec:
    def __init__(self, models, row_index=None):
        self.models = list(models)
        self.params = [p for m in self.models for p in m.parameters()]
        self.pids = {id(p) for p in self.params}
        self.tid = _threading.get_ident()
        self.row_index = row_index
        self.seq = []
        self.num = {c: [] for c in "FELlSKRM"}
        self.optim = {}
        self.losses = {}
        self.sched = []
        self.handles = []
        self.rows = []
        self.out_dtypes = set()
        self.scaler = {"step": 0}  # GradScaler.step calls
        # (k-fold) each eval-mode forward's rows and its outputs > 0, as the learner's
        # evaluation saw them
        self.keep_eval_outputs = False
        self.eval_outputs = []
        self.lnames = []
        self.want_sqnorm = False
        self._orig_backward = None
        self.last_loss_training = None

    def mine(self):
        """Whether an event is this run's: in the jail (``SANDBOXED``) every thread's
        — the job is the only one there, and a loop could hide work it must not do
        (training on validation rows, a second step) in a thread it joins; in the
        judge, only this thread's, as references of other jobs run beside it."""
        return _tl_everywhere or _threading.get_ident() == self.tid

    def sqnorm(self):
        return sq_sum([sq_norm(p) for p in self.params])

    def install(self):
        rec = self
        for mi, m in enumerate(self.models):
            def pre(mod, args, mi=mi):
                if not rec.mine():
                    return
                x = args[0] if args else None
                n = int(x.shape[0]) if isinstance(x, _torch.Tensor) and x.dim() > 0 else 0
                grad = grad_on()
                if isinstance(x, _torch.Tensor) and x.requires_grad and grad:
                    rec.seq.append("A")  # a forward for an input-gradient attack (FGSM)
                    rec.num["E"].append(float(n))
                elif mod.training and grad:
                    rec.seq.append("F")
                    rec.num["F"].append(float(n))
                elif mod.training:
                    rec.seq.append("f")
                    rec.num["E"].append(float(n))
                else:
                    rec.seq.append("E" if not grad else "G")
                    rec.num["E"].append(float(n))
                rec.num["M"].append(float(mi))
                if rec.row_index is not None and isinstance(x, _torch.Tensor):
                    rec.rows.append([mi, rec.seq[-1],
                                     [rec.row_index.get(k, -1) for k in feature_keys((x,))]])

            def post(mod, args, out, mi=mi):
                if rec.mine() and rec.keep_eval_outputs and not mod.training \
                        and rec.row_index is not None and args \
                        and isinstance(args[0], _torch.Tensor) and isinstance(out, _torch.Tensor):
                    rec.eval_outputs.append(
                        [mi, [rec.row_index.get(k, -1) for k in feature_keys((args[0],))],
                         (out.detach().reshape(-1) > 0).tolist()])
                if rec.mine() and mod.training:
                    o = out[0] if isinstance(out, (tuple, list)) else out
                    if isinstance(o, _torch.Tensor):
                        rec.out_dtypes.add(str(o.dtype).replace("torch.", ""))

            self.handles.append(m.register_forward_pre_hook(pre))
            self.handles.append(m.register_forward_hook(post))

        for m in self.models:
            first = next(iter(m.parameters()))

            def on_grad(g, first=first):
                if rec.mine():
                    cur = first.grad
                    clean = cur is None or not bool((cur != 0).any())
                    rec.seq.append("B" if clean else "b")
                return None

            self.handles.append(first.register_hook(on_grad))

        def loss_hook(mod, args, out):
            if not rec.mine() or not isinstance(mod, _nn.modules.loss._Loss):
                return
            if not isinstance(out, _torch.Tensor):
                return
            name = torch_class_name(mod)
            info = rec.losses.setdefault(name, {"calls": 0})
            # the module's configuration, for the judge to compare with the prompt's
            # (recorded for reduction='none' too, whose output is not one number)
            for attr in ("reduction", "label_smoothing", "ignore_index"):
                v = getattr(mod, attr, None)
                if isinstance(v, (str, int, float)) and not isinstance(v, bool):
                    seen = info.setdefault(attr, [])
                    if v not in seen:
                        seen.append(v)
            if name in _ELEMENTWISE and "mismatch" not in info and len(args) > 1 \
                    and all(isinstance(a, _torch.Tensor) for a in args[:2]) \
                    and args[0].shape != args[1].shape:
                # output and target of different shapes broadcast against each other
                info["mismatch"] = [list(args[0].shape), list(args[1].shape)]
            if name == "BCEWithLogitsLoss" and args and isinstance(args[0], _torch.Tensor) \
                    and args[0].numel():
                # the range of what it got: logits, or probabilities (a second sigmoid)
                lo, hi = float(args[0].detach().min()), float(args[0].detach().max())
                seen = info.setdefault("input_range", [lo, hi])
                seen[0], seen[1] = min(seen[0], lo), max(seen[1], hi)
            if out.numel() != 1:
                return
            info["calls"] += 1
            w = getattr(mod, "weight", None)
            if isinstance(w, _torch.Tensor):
                info["weight"] = w.detach().double().cpu().clone()
            pw = getattr(mod, "pos_weight", None)
            if isinstance(pw, _torch.Tensor):
                info["pos_weight"] = True
            if name == "NLLLoss" and args and isinstance(args[0], _torch.Tensor):
                lse = _torch.logsumexp(args[0].detach().double(), dim=1).abs().max()
                info["max_logsumexp"] = max(info.get("max_logsumexp", 0.0), float(lse))
            training = any(m.training for m in rec.models)
            code = "L" if (training and grad_on()) else "l"
            rec.seq.append(code)
            rec.num["L"].append(number(out))
            rec.lnames.append(name)

        self.handles.append(_nn.modules.module.register_module_forward_hook(loss_hook))

        functional = _nn.functional
        orig_bce = functional.binary_cross_entropy_with_logits
        self._orig_bce = orig_bce

        def bce(input, target, *args, **kwargs):
            """The functional form of the criterion in use, with its defaults, is the same
            validation loss: ``F.binary_cross_entropy_with_logits(model(X_val), y_val)`` where
            the run's criterion is a default ``nn.BCEWithLogitsLoss()`` (mean reduction, no
            weights) is recorded as a validation-loss call. Training-mode calls, other
            settings, and the module's own call (it passes its weight positionally) are not."""
            out = orig_bce(input, target, *args, **kwargs)
            info = rec.losses.get("BCEWithLogitsLoss")
            if (rec.mine() and not args and set(kwargs) <= {"reduction"}
                    and kwargs.get("reduction", "mean") == "mean"
                    and info is not None and info.get("reduction") == ["mean"]
                    and "weight" not in info and not info.get("pos_weight")
                    and not (any(m.training for m in rec.models) and grad_on())
                    and isinstance(out, _torch.Tensor) and out.numel() == 1):
                rec.seq.append("l")
                rec.num["L"].append(number(out))
                rec.lnames.append("BCEWithLogitsLoss")
            return out

        functional.binary_cross_entropy_with_logits = bce

        def step_hook(opt, args, kwargs):
            if not rec.mine():
                return
            if not any(id(p) in rec.pids for g in opt.param_groups for p in g["params"]):
                return
            if id(opt) not in rec.optim:
                d = {k: v for k, v in opt.defaults.items()
                     if isinstance(v, (int, float, bool)) and not isinstance(v, bool)}
                d["betas"] = list(opt.defaults.get("betas", ()) or ())
                # the first group's settings (what the updates really use), numbers and flags
                group = {k: (bool(v) if isinstance(v, bool) else float(v))
                         for k, v in opt.param_groups[0].items()
                         if isinstance(v, (int, float)) and k not in ("lr", "initial_lr")}
                group["betas"] = [float(b) for b in opt.param_groups[0].get("betas", ()) or ()]
                rec.optim[id(opt)] = {"cls": torch_class_name(opt), "defaults": d,
                                      "initial_lr": float(opt.param_groups[0].get(
                                          "initial_lr", opt.param_groups[0]["lr"])),
                                      "group": group, "steps": 0}
            rec.optim[id(opt)]["steps"] += 1
            rec.seq.append("S")
            rec.num["S"].append(float(opt.param_groups[0]["lr"]))
            rec.num["R"].append(total_norm([p.grad for p in rec.params if p.grad is not None]))

        from torch.optim.optimizer import register_optimizer_step_pre_hook
        self.handles.append(register_optimizer_step_pre_hook(step_hook))

        orig = _torch.Tensor.backward
        self._orig_backward = orig

        def backward(t, *a, **kw):
            if rec.mine() and isinstance(t, _torch.Tensor) and t.numel() == 1:
                rec.seq.append("K")
                rec.num["K"].append(number(t))
                rec.num["K"].append(rec.sqnorm() if rec.want_sqnorm else 0.0)
            return orig(t, *a, **kw)

        _torch.Tensor.backward = backward

        sched_cls = _torch.optim.lr_scheduler.ReduceLROnPlateau
        orig_sched = sched_cls.step
        self._orig_sched = orig_sched

        def sched_step(s, metrics, *a, **kw):
            if rec.mine():
                rec.sched.append([float(metrics), float(s.factor), float(s.patience),
                                  float(s.optimizer.param_groups[0]["lr"]),
                                  {"mode": str(s.mode), "threshold": float(s.threshold),
                                   "threshold_mode": str(s.threshold_mode),
                                   "cooldown": float(s.cooldown),
                                   "min_lr": [float(v) for v in s.min_lrs],
                                   "eps": float(s.eps)}])
            return orig_sched(s, metrics, *a, **kw)

        sched_cls.step = sched_step

        # a GradScaler's step (which unscales the gradients, then steps the optimizer): an
        # optimizer.step() of its own applies the scaled gradients
        scaler_cls = _torch.amp.GradScaler
        self._orig_scaler = scaler_cls.step
        orig_scaler_step = self._orig_scaler

        def scaler_step(sc, *a, **kw):
            if rec.mine():
                rec.scaler["step"] += 1
            return orig_scaler_step(sc, *a, **kw)

        scaler_cls.step = scaler_step

    def remove(self):
        for h in self.handles:
            h.remove()
        self.handles = []
        if self._orig_backward is not None:
            _torch.Tensor.backward = self._orig_backward
            _torch.optim.lr_scheduler.ReduceLROnPlateau.step = self._orig_sched
            _nn.functional.binary_cross_entropy_with_logits = self._orig_bce
            _torch.amp.GradScaler.step = self._orig_scaler
            self._orig_backward = None

    def report(self):
        return {
            "seq": "".join(self.seq),
            "num": {k: _torch.tensor(v, dtype=_torch.float64) for k, v in self.num.items()},
            "optim": list(self.optim.values()),
            "losses": self.losses,
            "sched": self.sched,
            "out_dtypes": sorted(self.out_dtypes),
            "scaler": dict(self.scaler),
            "rows": self.rows,
            "lnames": self.lnames,
        }


# the element-wise losses, whose output and target broadcast when their shapes differ
_ELEMENTWISE = ("MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCEWithLogitsLoss", "BCELoss")


def _predict(model, X, device):
    model.eval()
    with _torch.no_grad():
        out = model(X.to(device))
    if isinstance(out, (tuple, list)):
        return [o.detach().float().cpu() for o in out]
    return out.detach().float().cpu()


def _flat(model):
    return _torch.cat([p.detach().double().cpu().reshape(-1) for p in model.parameters()])


def _describe(v):
    if isinstance(v, _torch.Tensor):
        return v.detach().double().cpu()
    if isinstance(v, (bool, int, float, str)) or v is None:
        return v
    if isinstance(v, (list, tuple)):
        return [_describe(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _describe(x) for k, x in v.items()}
    return "<" + type(v).__name__ + ">"


def probe(ns, inputs):
    k = inputs["k"]
    name = f"train_loop_{k}"
    fn = ns.get(name)
    if fn is None:
        raise NameError(f"name '{name}' is not defined")
    device = "cpu"
    if inputs.get("cuda") and _torch.cuda.is_available():
        device = "cuda"
    args = [a.to(device) if isinstance(a, _torch.Tensor) else a for a in inputs["args"]]
    X_test = inputs["X_test"]
    _torch.manual_seed(inputs["init_seed"])
    rows = row_index(inputs["args"][0]) if inputs.get("track_rows") else None
    models = []
    tmp = None
    if k == 12:
        def make_model():
            m = _build(inputs["model"]).to(device)
            models.append(m)
            rec.models.append(m)
            for p in m.parameters():
                rec.params.append(p)
                rec.pids.add(id(p))
            return m
        rec = _Rec([], rows)
        rec.params = []
        rec.keep_eval_outputs = True
        call = [make_model, *args]
    else:
        model = _build(inputs["model"]).to(device)
        models.append(model)
        rec = _Rec(models, rows)
        call = [model, *args]
    if k == 14:
        tmp = _tempfile.mkdtemp()
        call.append(_os.path.join(tmp, "best_model.pt"))
    rec.want_sqnorm = bool(inputs.get("sqnorm"))
    before = [_flat(m) for m in models]
    preds_before = _predict(models[0], X_test, device) if models else None
    try:
        if k == 12:
            # hooks for models made later are installed by make_model through a re-install
            result = _run_kfold(fn, rec, call, inputs)
        else:
            rec.install()
            for m in models:
                m.train()
            result = fn(*call, **inputs.get("kwargs", {}))
    finally:
        rec.remove()
    out = {"report": rec.report(), "result": _describe(result)}
    if k == 13:
        out["extra"] = _more_early_stops(fn, inputs, device, rec)
    if k == 12:
        out["preds"] = [_predict(m, X_test, device) for m in models]
        out["n_models"] = len(models)
        out["fold_accs"] = _fold_accuracies(models, rec, inputs, device)
        return out
    returned = result[0] if isinstance(result, tuple) and result else result
    trained = returned if isinstance(returned, _nn.Module) else models[0]
    out["returned_module"] = isinstance(returned, _nn.Module)
    out["changed"] = float((_flat(models[0]) - before[0]).abs().max())
    out["preds_before"] = preds_before
    out["device"] = device  # where it trained: autocast's dtype depends on it
    out["init"] = before[0]
    out["final"] = _flat(models[0])
    out["preds"] = _predict(trained, X_test, device)
    if k == 14:
        path = call[-1]
        saved = None
        if _os.path.exists(path):
            state = _torch.load(path, map_location="cpu", weights_only=True)
            if isinstance(state, dict):
                fresh = _build(inputs["model"])
                try:
                    fresh.load_state_dict(state)
                    X_val, y_val = inputs["args"][2], inputs["args"][3]
                    fresh.eval()
                    with _torch.no_grad():
                        logits = fresh(X_val)
                        vl = _nn.functional.binary_cross_entropy_with_logits(logits, y_val)
                    saved = {"val_loss": float(vl)}
                except Exception as exc:
                    saved = {"error": type(exc).__name__ + ": " + str(exc)[:200]}
            else:
                held = type(state).__name__
                article = "an " if held[:1].lower() in "aeio" else "a "
                saved = {"error": "the file holds " + article + held + ", not a state_dict"}
        out["saved"] = saved
        import shutil as _shutil
        _shutil.rmtree(tmp, ignore_errors=True)
    return out


def _fold_accuracies(models, rec, inputs, device):
    """Each fold model's accuracy (logit > 0) on the rows it validated on, from the outputs of
    its eval-mode forwards when the learner's loop ran them; None where it validated on no
    known rows."""
    y = inputs["args"][1].reshape(-1)
    out = []
    for mi in range(len(models)):
        right = total = 0
        for i, rows, positive in rec.eval_outputs:
            if int(i) != mi or len(rows) != len(positive):
                continue
            for r, p in zip(rows, positive, strict=True):
                if r >= 0:
                    right += int(bool(p) == bool(y[r] > 0.5))
                    total += 1
        out.append(right / total if total else None)
    return out


def _run_kfold(fn, rec, call, inputs):
    # models are created inside the learner's loop; hook each one as it is made
    made = call[0]

    def make_and_hook():
        m = made()
        rec.remove()
        rec.install()
        m.train()
        return m

    call = [make_and_hook, *call[1:]]
    rec.install()
    return fn(*call, **inputs.get("kwargs", {}))


def _train_values(rec):
    """The training-mode loss-module values a recorder saw (in order), and the rows of its
    training forwards: each epoch's mean training loss is judged from them."""
    codes = [c for c in rec.seq if c in "Ll"]
    return {"losses": [float(v) for c, v in zip(codes, rec.num["L"], strict=False) if c == "L"],
            "sizes": [float(n) for n in rec.num["F"]]}


def _val_curve(rec):
    """The validation losses (eval-mode criterion calls) a recorder saw, in order."""
    codes = [c for c in rec.seq if c in "Ll"]
    return [v for c, v in zip(codes, rec.num["L"], strict=False) if c == "l"]


def _informative(losses):
    """Whether a validation curve tells an early-stopping count that is reset on
    every improvement from one that is not: some epoch fails to improve on the
    best so far and a later one improves again."""
    best, missed = float("inf"), False
    for v in losses:
        if v < best:
            if missed:
                return True
            best = v
        else:
            missed = True
    return False


def _more_early_stops(fn, inputs, device, rec):
    """Variant 13 again on the grader's spare data sets, while the runs so far
    never improved after a miss: training noise decides the curve's shape, so a
    patience count that is never reset could otherwise go unseen. Deterministic
    for a seed (each run seeds torch with its own init seed)."""
    runs = []
    for spare in inputs.get("extra", []):
        if _informative(_val_curve(rec)):
            break
        _torch.manual_seed(spare["init_seed"])
        model = _build(inputs["model"]).to(device)
        rec = _Rec([model])
        args = [a.to(device) for a in spare["args"]]
        try:
            rec.install()
            model.train()
            result = fn(model, *args, **inputs.get("kwargs", {}))
        finally:
            rec.remove()
        runs.append({"report": rec.report(), "result": _describe(result)})
    return runs
