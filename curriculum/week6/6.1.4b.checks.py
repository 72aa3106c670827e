"""Checks of 6.1.4b: NER training (StepLR, clipping), checkpoints every 5 epochs, exact resume."""

import numpy as np
import torch

from curriculum.judges.compare import at_least, at_most, below, close
from curriculum.judges.data import ner_sentences
from curriculum.judges.shared import share, shared
from curriculum.judges.sizes import ignored_argument, layers_readable
from curriculum.judges.source import uses
from curriculum.judges.training import CLIP_CALLS, clip_problem, pattern_verdict
from grader.checks.base import Hidden, Verdict


def make_data(rng: np.random.Generator):
    x, y = ner_sentences(rng, 96)
    xt, yt = ner_sentences(rng, 150)
    # drawn last (the sentences stay as they were): train_ner is called with a vocabulary
    # and tag count above the data's 60 words and 5 tags, and more epochs than the default
    # 10 (checkpoints still after 5 and 10), so none of them can be typed in
    sized = {"vocab": int(rng.choice(NER_VOCABS)), "tags": int(rng.choice(NER_TAG_COUNTS)),
             "epochs": int(rng.choice(NER_EPOCHS))}
    return Hidden(inputs={"x": x, "y": y, "xt": xt, **sized}, secret=yt)


NER_VOCABS = (64, 72, 80)
NER_TAG_COUNTS = (6, 7, 8)
NER_EPOCHS = (11, 12)
#: training batches an epoch: 96 sentences in batches of 16
NER_BATCHES = 6


def _arguments_problem(got: dict, inputs: dict) -> str:
    """The model train_ner returned is built from vocab_size and num_tags (its Embedding's
    rows, its last Linear layer's outputs), and the run took num_epochs epochs of steps."""
    v, n, epochs = inputs["vocab"], inputs["tags"], inputs["epochs"]
    call = f"train_ner(seqs, tags, {v}, {n}, ckpt_dir, num_epochs={epochs}, …)"
    if not layers_readable({"layers": got.get("layers")}, params=False):
        return f"could not read the layers of the model {call} returned"
    wrong = ignored_argument({"layers": got["layers"]}, [
        ("vocab_size", v, "Embedding", "num_embeddings", "an Embedding of {} rows"),
        ("num_tags", n, "Linear", "out_features", "a last Linear layer with {} outputs")],
        call)
    if wrong:
        return f"{wrong} (NERTagger(vocab_size, num_tags))"
    steps, want = got.get("steps"), NER_BATCHES * epochs
    if type(steps) is not int:
        return f"could not read the optimizer steps {call} took"
    if steps != want:
        ran = (f"{steps // NER_BATCHES} epochs of {NER_BATCHES} batches"
               if steps % NER_BATCHES == 0 else "no whole number of epochs")
        return (f"{call} took {steps} optimizer steps ({ran}); expected {want}, {epochs} "
                f"epochs of {NER_BATCHES} batches: train epochs saved_epoch + 1 … num_epochs "
                "(numbered from 1; a fresh run has saved_epoch 0), with the num_epochs "
                "argument, not a typed-in count")
    return ""


def judge_train(learner, reference, inputs, ctx):
    share(ctx, "train", learner)
    got = learner.value
    bad = pattern_verdict(ctx.source_text, learner.value.get("acc"))
    if bad:
        return bad
    if not uses(ctx.source_text, *CLIP_CALLS):
        return Verdict(False, "api", "clip gradients before optimizer.step(): "
                                     "torch.nn.utils.clip_grad_norm_(model.parameters(), "
                                     "max_norm=1.0)")
    found = clip_problem(got["max_norms"], got["step_norms"], got.get("clip_order"))
    if found:
        return Verdict(False, "api", "clip every step to norm 1.0: torch.nn.utils."
                                     "clip_grad_norm_(model.parameters(), max_norm=1.0) between "
                                     f"backward() and step(); found {found}")
    scheds = [m for m in got["made"] if m["label"] == "scheduler"]
    if not scheds or scheds[0]["cls"] != "StepLR" or scheds[0].get("step_size") != 8 \
            or not close(scheds[0].get("gamma"), 0.1, rtol=1e-9, atol=0.0):
        return Verdict(False, "api", "build optim.lr_scheduler.StepLR(optimizer, "
                                     "step_size=step_size, gamma=0.1) (the grader passes "
                                     "step_size=8)")
    padded = got.get("padded")
    if isinstance(padded, dict) and type(padded.get("calls")) is int and padded["calls"] > 0 \
            and padded.get("with_pad_tag") == 0:
        return Verdict(False, "value", "pad the tags with -100 (pad_sequence(tags, batch_first="
                                       "True, padding_value=-100)): none of the tag batches given to "
                                       "ner_loss held -100, so padding was trained on as a real tag")
    if isinstance(padded, dict) and type(padded.get("largest_batch")) is int \
            and padded.get("calls") and padded["largest_batch"] not in (0, 16):
        return Verdict(False, "api", "train on batches of the batch_size given (the grader "
                                     "passes batch_size=16): x[i:i + batch_size] for i in "
                                     "range(0, len(x), batch_size); your batches held up to "
                                     f"{padded['largest_batch']} sentences")
    wrong = _arguments_problem(got, inputs)
    if wrong:
        return Verdict(False, "api", wrong)
    gold = torch.cat([t for t in ctx.secrets["training"]])
    pred = got["pred"]
    if not isinstance(pred, torch.Tensor) or pred.shape != gold.shape:
        return Verdict(False, "shape", "the trained NERTagger must give one tag per real token")
    acc = float((pred == gold).float().mean())
    ent = gold != 0
    ent_acc = float((pred[ent] == gold[ent]).float().mean())
    if not (at_least(acc, 0.9) and at_least(ent_acc, 0.8)):
        return Verdict(False, "train", f"held-out token accuracy {acc:.3f} (needs ≥ 0.9), on "
                                       f"entity tokens {ent_acc:.3f} (needs ≥ 0.8) — "
                                       f"{_why_untrained(got)}")
    return Verdict(True, "train", f"held-out token accuracy {acc:.3f}")


def _trained(ctx):
    out = shared(ctx, "train")
    return None if out is None or out.error is not None else out.value


NEED_KEYS = {"epoch", "model_state_dict", "optimizer_state_dict", "scheduler_state_dict"}


def _checkpoint_lr(got: dict, epoch: int) -> object:
    """The learning rate the scheduler state of the epoch-``epoch`` checkpoint holds."""
    saved = [c for c in (got.get("ck") or {}).values() if isinstance(c, dict)
             and c.get("epoch") == epoch]
    return (saved[0].get("last_lr") or [None])[0] if saved else None


def _why_untrained(got: dict) -> str:
    """The likely cause of a model that did not learn: a StepLR stepped per batch (its
    epoch-5 checkpoint holds a learning rate already divided) starves the training."""
    lr = _checkpoint_lr(got, 5)
    if below(lr, 0.03 * 0.5):
        return ("the learning rate had already fallen to "
                f"{lr:.2g} by epoch 5: call scheduler.step() once per epoch, after the batch "
                "loop, not once per batch")
    return "check that the model really trains and the loss ignores padding"


def judge_checkpoints(learner, reference, inputs, ctx):
    got = _trained(ctx)
    if got is None:
        return Verdict(False, "train", "not judged: train_ner did not run to the end")
    files = got["files"]
    if len(files) != 2:
        return Verdict(False, "value", "11 or 12 epochs must leave exactly two checkpoints in "
                                       "ckpt_dir (after epochs 5 and 10, files ending in .pt); "
                                       f"found {len(files)}")
    for f, c in got["ck"].items():
        if not set(c["keys"]) >= NEED_KEYS:
            return Verdict(False, "value", f"checkpoint {f} must be a dict with the keys "
                                           f"{sorted(NEED_KEYS)}; found {c['keys'][:8]}")
    epochs = sorted(c["epoch"] for c in got["ck"].values())
    if epochs != [5, 10]:
        return Verdict(False, "value", f"checkpoints must record epochs 5 and 10; found {epochs}")
    for epoch, want in ((5, 0.03), (10, 0.003)):
        if not close(_checkpoint_lr(got, epoch), want, rtol=0.0, atol=1e-9):
            return Verdict(False, "value", f"with lr=0.03 and StepLR(step_size=8, gamma=0.1) the "
                                           f"epoch-{epoch} checkpoint's scheduler state must hold "
                                           f"lr {want}: call scheduler.step() once per epoch and "
                                           "save scheduler.state_dict()")
    return Verdict(True, "value")


def judge_resume(learner, reference, inputs, ctx):
    got = _trained(ctx)
    if got is None:
        return Verdict(False, "train", "not judged: train_ner did not run to the end")
    if got["resumed"] is None:
        return Verdict(False, "train", "not judged: no epoch-5 checkpoint to resume from")
    if not at_most(got["resumed"], 1e-4):
        return Verdict(False, "train", "resuming from the epoch-5 checkpoint and training to "
                                       "num_epochs must give the same weights as the uninterrupted "
                                       f"run; they differ by {got['resumed']:.3g}. Restore the "
                                       "model, optimizer and scheduler states, train epochs "
                                       "saved_epoch + 1 … num_epochs (epoch 5 is not run again) "
                                       "and keep the batches in the same fixed order")
    return Verdict(True, "train")
