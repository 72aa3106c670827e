"""Fourteenth audit (validation leaks that the row recorders did not see): 6.1.1, 6.1.3b and
final.3 forbid training on validation rows. The probes recorded the rows of every training
forward with forward pre-hooks on the learner's model, on the probe's own thread only; a loop
that trained on the validation rows in a ``threading.Thread``, through ``model.forward(x)``
(the model's own hooks never fire) or through a submodule (``model.net(x)``, the embedding
and the layers after it) passed. A forward of the model is now seen however it is entered
and on whichever thread it runs (``curriculum/probes/rows.py``: ``watch_entries``), and so
is its mode (``mode_hook``). Honest loops that call ``model.forward(x)``, a submodule, or
train and validate in a thread of their own still pass.
"""

from __future__ import annotations

from audit_support import audit_tests

SEEDS = (7, 23)

# 6.1.1: one more pass over val_loader each epoch, trained on, before validating
_VALIDATE_611 = "        val_loss, val_acc = validate(model, val_loader, criterion)\n"


def _leak_611(call: str, thread: bool = False) -> tuple[str, str]:
    pad = " " * (12 if thread else 8)
    steps = (f"{pad}for data, target in val_loader:\n"
             f"{pad}    optimizer.zero_grad()\n"
             f"{pad}    loss = criterion({call}, target)\n"
             f"{pad}    loss.backward()\n"
             f"{pad}    optimizer.step()\n")
    if thread:
        steps = ("        import threading\n\n"
                 "        def leak():\n"
                 f"{steps}"
                 "        worker = threading.Thread(target=leak)\n"
                 "        worker.start()\n"
                 "        worker.join()\n")
    return _VALIDATE_611, steps + _VALIDATE_611


_LEAK_611 = "the model trained on validation rows"

# 6.1.1: the training loop run in a thread of its own (honest: train_loader only)
_LOOP_611 = """        for data, target in train_loader:
            optimizer.zero_grad()
            output = model(data)
            loss = criterion(output, target)
            loss.backward()
            optimizer.step()
            running += loss.item()
"""
_THREAD_LOOP_611 = """        import threading
        losses = []

        def one_epoch():
            for data, target in train_loader:
                optimizer.zero_grad()
                loss = criterion(model(data), target)
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
        worker = threading.Thread(target=one_epoch)
        worker.start()
        worker.join()
        running += sum(losses)
"""
_TRAIN_CALL_611 = "output = model(data)\n            loss = criterion"
_VAL_THREAD_611 = """        import threading
        got = []
        worker = threading.Thread(target=lambda: got.append(validate(model, val_loader,
                                                                     criterion)))
        worker.start()
        worker.join()
        val_loss, val_acc = got[0]
"""

# 6.1.3b: one more step on the validation reviews each epoch, through the model's layers
_F1_613 = "        f1 = f1_score(preds, val)\n"
_LEAK_613 = (_F1_613, _F1_613 + """        xv = encode(val_texts, vocab)
        model.train()
        optimizer.zero_grad()
        mask = xv != 0
        packed = pack_padded_sequence(model.embedding(xv), mask.sum(1).cpu(), batch_first=True,
                                      enforce_sorted=False)
        out, _ = model.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=xv.size(1))
        scores = model.attention(out).squeeze(-1).masked_fill(~mask, float("-inf"))
        context = (torch.softmax(scores, dim=1).unsqueeze(-1) * out).sum(dim=1)
        probs = torch.sigmoid(model.fc(context)).squeeze(-1)
        criterion(probs, torch.tensor(val_labels, dtype=torch.float32)).backward()
        optimizer.step()
""")

# final.3: the validation sequences trained on
_VAL_F3 = "        val_loss = evaluate_loss(model, val_loader)\n"
_THREAD_LEAK_F3 = (_VAL_F3, """        import threading

        def leak():
            params = [p for p in model.parameters() if p.requires_grad]
            for tokens, lengths, labels in val_loader:
                loss = criterion(model(tokens, lengths), labels)
                grads = torch.autograd.grad(loss, params, allow_unused=True)
                with torch.no_grad():
                    for p, g in zip(params, grads):
                        if g is not None:
                            p.sub_(1e-3 * g)
        worker = threading.Thread(target=leak)
        worker.start()
        worker.join()
""" + _VAL_F3)
# the training loader built from the training and validation sequences together
_LOADER_F3 = ("DataLoader(SequenceDataset(train_tokens, train_labels),",
              "DataLoader(SequenceDataset(list(train_tokens) + list(val_tokens),\n"
              "                                              list(train_labels) + "
              "list(val_labels)),")
_CALL_F3 = "loss = criterion(model(tokens, lengths), labels)\n            loss.backward()"
_BY_FORWARD_F3 = (_CALL_F3, "loss = criterion(model.forward(tokens, lengths), labels)\n"
                            "            loss.backward()")
_BY_PARTS_F3 = (_CALL_F3, """packed = pack_padded_sequence(model.embedding(tokens), lengths.cpu(),
                                          batch_first=True, enforce_sorted=False)
            _, hidden = model.gru(packed)
            loss = criterion(model.fc(hidden[-1]), labels)
            loss.backward()""")
_LOOP_F3 = """        for tokens, lengths, labels in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(tokens, lengths), labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(labels)
            count += len(labels)
"""
_THREAD_LOOP_F3 = """        import threading
        sums = []

        def one_epoch():
            for tokens, lengths, labels in train_loader:
                optimizer.zero_grad()
                loss = criterion(model(tokens, lengths), labels)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
                optimizer.step()
                scheduler.step()
                sums.append((loss.item() * len(labels), len(labels)))
        worker = threading.Thread(target=one_epoch)
        worker.start()
        worker.join()
        total += sum(s for s, _ in sums)
        count += sum(n for _, n in sums)
"""
# val_loader's batches trained on in a thread: whole batches of validation sequences read as
# validation run in train mode, batches mixing them with training sequences as training on them
_EITHER_F3 = "validation"
_TRAINED_ON_F3 = "the model trained on validation sequences"

# (exercise, edits of the reference, failing check, fragments of its message)
WRONG = {
    "6.1.1-val-trained-in-a-thread": ("6.1.1", [_leak_611("model(data)", thread=True)],
                                      "training", [_LEAK_611]),
    "6.1.1-val-trained-through-forward": ("6.1.1", [_leak_611("model.forward(data)")],
                                          "training", [_LEAK_611]),
    "6.1.1-val-trained-through-a-submodule": ("6.1.1", [_leak_611("model.net(data)")],
                                              "training", [_LEAK_611]),
    "6.1.1-val-trained-through-a-layer": ("6.1.1", [_leak_611(
        "model.net[1:](model.net[0](data))")], "training", [_LEAK_611]),
    "6.1.3b-val-trained-through-its-layers": ("6.1.3b", [_LEAK_613], "training", [
        "the model trained on validation reviews"]),
    "final.3-val-trained-in-a-thread": ("final.3", [_THREAD_LEAK_F3], "training",
                                        [_EITHER_F3]),
    "final.3-val-trained-through-forward": ("final.3", [_LOADER_F3, _BY_FORWARD_F3],
                                            "training", [_TRAINED_ON_F3]),
    "final.3-val-trained-through-its-layers": ("final.3", [_LOADER_F3, _BY_PARTS_F3],
                                               "training", [_TRAINED_ON_F3]),
}

CORRECT = {
    "6.1.1-reference": ("6.1.1", []),
    "6.1.1-trains-through-forward": ("6.1.1", [
        (_TRAIN_CALL_611, "output = model.forward(data)\n            loss = criterion")]),
    "6.1.1-trains-through-its-net": ("6.1.1", [
        (_TRAIN_CALL_611, "output = model.net(data)\n            loss = criterion")]),
    "6.1.1-trains-in-a-thread": ("6.1.1", [(_LOOP_611, _THREAD_LOOP_611)]),
    "6.1.1-validates-in-a-thread": ("6.1.1", [(_VALIDATE_611, _VAL_THREAD_611)]),
    "6.1.3b-reference": ("6.1.3b", []),
    "final.3-reference": ("final.3", []),
    "final.3-trains-through-forward": ("final.3", [_BY_FORWARD_F3]),
    "final.3-trains-through-its-layers": ("final.3", [_BY_PARTS_F3]),
    "final.3-trains-in-a-thread": ("final.3", [(_LOOP_F3, _THREAD_LOOP_F3)]),
}

test_wrong_solution_fails_with_its_cause, test_correct_solution_passes = audit_tests(
    WRONG, CORRECT, SEEDS)
