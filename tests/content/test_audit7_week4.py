"""Seventh audit, week 4 (held-out submissions): wrong submissions of a whole class fail with a
message that names the cause, on fixed seeds; correct ones written differently pass.

- 4.3.1b: with dropout, the block is also run in train() mode — the dropout it applies is
  recorded, and its output under the reference's random draws compared: a declared
  nn.Dropout never called, or called before the activation, after linear2 or after the
  residual sum, passed (only eval() mode, where dropout does nothing, was compared).
- 4.3.2c: the running task_losses are judged from non-zero values (``+= 0.1 · loss`` and
  ``= 0.1 · loss`` passed from zero); they must not keep the loss's autograd graph (a
  running average of loss tensors passed); ``task_losses`` must be a registered, saved
  buffer (a plain tensor attribute, or ``persistent=False``, passed).
- 4.3.2c: ``task_heads`` in a plain dict failed ``independent`` with "changing one head
  changed the others' outputs" (eval() never reached the unregistered heads' Dropout); both
  ``independent`` and ``architecture`` now say the heads are not registered submodules.
- 4.3.2a: each series must be forecast on its own — the last series of the batch alone gets
  the forecast it gets in the batch. An LSTM created without ``batch_first=True`` (time and
  batch swapped, every series mixed with the others) passed: the step-1 checks read its own
  LSTM the same wrong way. A time-major LSTM fed ``x.transpose(0, 1)`` (right) failed: the
  step-1 check now reads an LSTM without batch_first time-major.
- 4.1.x (every class of the module drills): each class is also called on a batch of one
  sample, its output shape and values compared with the reference's. ``x.squeeze()`` in
  forward (after a global pool, on h_n, on the attention context) passed: the hidden batches
  never hold one sample, where it also drops the batch dimension.
- 4.3.2b: generate_cam (and forward with return_cam=True) called in train() mode must leave
  the model in train() mode; a generate_cam that called self.eval() and left it so passed
  (every call was made in eval() mode).
- 4.1.x: layers kept in a plain list or dict, or weights kept as plain tensors, failed with
  a bare layer count or parameter count; the message now names the attribute and says that
  nn.Module does not register it (nn.ModuleList / nn.ModuleDict / nn.Parameter).
- 4.3.1a: after reset_statistics() the layer trains on up to two more batches and must track
  them as a fresh layer with the same weights does. A first-batch flag of its own that reset
  did not restore, or a reset that left a history as None (the next append raises), passed:
  nothing was run after the reset.
"""

from __future__ import annotations

import pytest
from audit_support import fails_with_its_cause, passes

pytestmark = pytest.mark.asyncio(loop_scope="session")

SEEDS = (3, 17)


_1B_DROPOUT = "        if self.dropout is not None:\n            out = self.dropout(out)\n"
_1B_SUM = "        out = out + identity\n        out = self.activation(out)\n"

# (exercise, edits of the reference, failing check, fragments its message must contain)
WRONG = {
    # passed: dropout was only ever run in eval() mode
    "4.3.1b-dropout-never-called": ("4.3.1b", [(_1B_DROPOUT, "")],
                                    "forward", ["in train() mode", "your forward applies none"]),
    "4.3.1b-dropout-after-residual-sum": ("4.3.1b", [
        (_1B_DROPOUT, ""), (_1B_SUM, _1B_SUM + _1B_DROPOUT)],
        "forward", ["in train() mode", "with the same dropout mask",
                    "dropout goes right after the first activation"]),
    "4.3.1b-dropout-before-activation": ("4.3.1b", [(
        "        out = self.activation(out)\n\n" + _1B_DROPOUT,
        _1B_DROPOUT + "        out = self.activation(out)\n")],
        "forward", ["with the same dropout mask", "not before the activation"]),
    "4.3.1b-dropout-twice": ("4.3.1b", [(
        "        out = out + identity\n", _1B_DROPOUT + "        out = out + identity\n")],
        "forward", ["applies dropout 1 time(s)", "your forward applies p = "]),
}

_2B_FEATURES = "        with torch.no_grad():\n            feature_maps = self.features(x)\n"
_SL2_BODY = ("        self.layer1 = nn.Linear(input_size, hidden_sizes[0])\n"
             "        self.layer2 = nn.Linear(hidden_sizes[0], hidden_sizes[1])\n"
             "        self.layer3 = nn.Linear(hidden_sizes[1], output_size)\n\n"
             "    def forward(self, x):\n"
             "        x = torch.relu(self.layer1(x))\n"
             "        x = torch.relu(self.layer2(x))\n"
             "        return self.layer3(x)")
_1A_RESET_LISTS = ("        self.num_batches_tracked.zero_()\n\n"
                   "        self.input_stats = {'mean': [], 'std': [], 'min': [], 'max': []}\n"
                   "        self.output_stats = {'mean': [], 'std': [], 'min': [], 'max': []}\n"
                   "        self.weight_norms = []\n        self.grad_norms = []\n")
_2C_RUNNING = ("self.task_losses[i] = 0.9 * self.task_losses[i] + 0.1 * task_loss.item()")
_2C_BUFFER = "self.register_buffer('task_losses', torch.zeros(len(task_configs)))"
_2C_RUNNING_MSG = "task_losses must be updated as 0.9 · task_losses + 0.1 · loss"

WRONG.update({
    # passed: the running losses were judged from zero, where 0.9 · 0 vanishes
    "4.3.2c-running-plus-equals": ("4.3.2c", [(
        _2C_RUNNING, "self.task_losses[i] += 0.1 * task_loss.item()")],
        "balancing", [_2C_RUNNING_MSG, "non-zero running losses"]),
    "4.3.2c-running-without-decay": ("4.3.2c", [(
        _2C_RUNNING, "self.task_losses[i] = 0.1 * task_loss.item()")],
        "balancing", [_2C_RUNNING_MSG]),
    # passed: a running average of loss tensors chains every step's graph
    "4.3.2c-running-keeps-graph": ("4.3.2c", [(
        _2C_RUNNING, _2C_RUNNING.replace("task_loss.item()", "task_loss"))],
        "balancing", ["kept the loss's autograd graph", "loss.item()"]),
    # passed: task_losses never had to be a buffer
    "4.3.2c-task-losses-plain-tensor": ("4.3.2c", [(
        _2C_BUFFER, "self.task_losses = torch.zeros(len(task_configs))")],
        "architecture", ["`task_losses` must be a registered buffer"]),
    "4.3.2c-task-losses-not-persistent": ("4.3.2c", [(
        _2C_BUFFER, _2C_BUFFER[:-1] + ", persistent=False)")],
        "architecture", ["`task_losses` must be a registered buffer", "state_dict"]),
    # passed: nothing compared a series forecast alone with the same series in a batch
    "4.3.2a-lstm-not-batch-first": ("4.3.2a", [(
        "nn.LSTM(input_features, hidden_dim, batch_first=True, num_layers=2)",
        "nn.LSTM(input_features, hidden_dim, num_layers=2)")],
        "horizon", ["must not depend on the other series in the batch", "batch_first=True"]),
    # passed: the hidden batches never hold one sample
    "4.1.3-cnn5-squeeze-after-pool": ("4.1.3", [(
        "        return self.fc(x.view(x.size(0), -1))", "        return self.fc(x.squeeze())")],
        "SimpleCNN5", ["on a batch of one sample", "got (10)", "keep the batch dimension"]),
    "4.1.4-lstm-squeezed-h-n": ("4.1.4", [(
        "        return self.fc(h_n[-1])", "        return self.fc(h_n.squeeze())")],
        "MixedModel4", ["on a batch of one sample", "got (5)", "keep the batch dimension"]),
    "4.1.4-squeezed-context": ("4.1.4", [(
        "torch.bmm(weights.unsqueeze(1), x).squeeze(1)",
        "torch.bmm(weights.unsqueeze(1), x).squeeze()")],
        "MixedModel5", ["on a batch of one sample", "keep the batch dimension"]),
    # passed: no training batch after reset_statistics()
    "4.3.1a-first-batch-flag-not-reset": ("4.3.1a", [
        ("        self.momentum = 0.1\n",
         "        self.momentum = 0.1\n        self.first = True\n"),
        ("                if self.num_batches_tracked == 0:\n                    self.input_mean",
         "                if self.first:\n                    self.input_mean"),
        ("                if self.num_batches_tracked == 0:\n                    self.output_mean",
         "                if self.first:\n                    self.output_mean"),
        ("                self.num_batches_tracked += 1\n",
         "                self.num_batches_tracked += 1\n                self.first = False\n")],
        "reset", ["then reset_statistics() and", "more training batch(es) is wrong",
                  "the next training batch is the first again"]),
    "4.3.1a-reset-leaves-grad-norms-none": ("4.3.1a", [(
        _1A_RESET_LISTS, _1A_RESET_LISTS.replace("grad_norms = []", "grad_norms = None"))],
        "reset", ["training after reset_statistics() raised AttributeError",
                  "empty lists, not None"]),
    # failed for the wrong cause: "changing one head changed the others' outputs"
    "4.3.2c-heads-in-plain-dict": ("4.3.2c", [(
        "self.task_heads = nn.ModuleDict()", "self.task_heads = {}")],
        "independent", ["`task_heads` is a plain dict", "not registered", "nn.ModuleDict"]),
    # failed with a bare count: the message now names the unregistered attribute
    "4.1.1-layers-in-plain-list": ("4.1.1", [(_SL2_BODY, _SL2_BODY.replace(
        "        self.layer1 = nn.Linear(input_size, hidden_sizes[0])\n"
        "        self.layer2 = nn.Linear(hidden_sizes[0], hidden_sizes[1])\n"
        "        self.layer3 = nn.Linear(hidden_sizes[1], output_size)\n",
        "        self.layers = [nn.Linear(input_size, hidden_sizes[0]),\n"
        "                       nn.Linear(hidden_sizes[0], hidden_sizes[1]),\n"
        "                       nn.Linear(hidden_sizes[1], output_size)]\n").replace(
        "self.layer1(x)", "self.layers[0](x)").replace(
        "self.layer2(x)", "self.layers[1](x)").replace("self.layer3(x)", "self.layers[2](x)"))],
        "SimpleLinear2", ["`layers` (a plain list)", "does not register", "nn.ModuleList"]),
    "4.1.1-weights-as-plain-tensors": ("4.1.1", [(_SL2_BODY, _SL2_BODY.replace(
        "        self.layer3 = nn.Linear(hidden_sizes[1], output_size)\n",
        "        self.w3 = torch.randn(output_size, hidden_sizes[1]) * 0.05\n"
        "        self.b3 = torch.zeros(output_size)\n").replace(
        "self.layer3(x)", "x @ self.w3.T + self.b3"))],
        "SimpleLinear2", ["`w3`, `b3` are plain tensors", "nn.Parameter"]),
    # passed: every call was made in eval() mode
    "4.3.2b-generate-cam-switches-to-eval": ("4.3.2b", [(_2B_FEATURES,
        "        self.eval()\n" + _2B_FEATURES)],
        "cam_range", ["called in train() mode, left the model",
                      "must not change the model's mode"]),
})


@pytest.mark.parametrize("name", sorted(WRONG))
async def test_wrong_solution_fails_with_its_cause(grader, curriculum, name):
    await fails_with_its_cause(grader, curriculum, WRONG[name], SEEDS, name)


# Correct submissions written differently from the reference, as the prompts allow.
CORRECT = {
    # F.dropout with the module's rate and mode instead of calling the nn.Dropout it declares
    "4.3.1b-functional-dropout": ("4.3.1b", [(
        "            out = self.dropout(out)\n",
        "            out = F.dropout(out, self.dropout_rate, self.training)\n")]),
    # nn.Identity for "no dropout", always called
    "4.3.1b-identity-for-no-dropout": ("4.3.1b", [
        ("            self.dropout = None\n", "            self.dropout = nn.Identity()\n"),
        (_1B_DROPOUT, "        out = self.dropout(out)\n")]),
    # the running average updated in place from the detached loss
    "4.3.2c-running-in-place-detached": ("4.3.2c", [(
        _2C_RUNNING, "self.task_losses[i].mul_(0.9).add_(0.1 * task_loss.detach())")]),
    # task_weights kept out of gradient descent, as the Note suggests
    "4.3.2c-task-weights-no-grad": ("4.3.2c", [(
        "self.task_weights = nn.Parameter(torch.ones(len(task_configs)))",
        "self.task_weights = nn.Parameter(torch.ones(len(task_configs)), requires_grad=False)")]),
    # a GRU in the LSTM's place, and step 1 read from h_n[-1]
    "4.3.2a-gru-last-hidden": ("4.3.2a", [
        ("nn.LSTM(input_features, hidden_dim, batch_first=True, num_layers=2)",
         "nn.GRU(input_features, hidden_dim, batch_first=True, num_layers=2)"),
        ("lstm_out, (_hidden, _cell) = self.lstm(x)", "lstm_out, _hidden = self.lstm(x)"),
        ("last_hidden = lstm_out[:, -1, :]", "last_hidden = _hidden[-1]")]),
    # batch_first=False with the input permuted to (seq, batch, features) and back
    "4.3.2a-time-major-lstm": ("4.3.2a", [
        ("nn.LSTM(input_features, hidden_dim, batch_first=True, num_layers=2)",
         "nn.LSTM(input_features, hidden_dim, num_layers=2)"),
        ("lstm_out, (_hidden, _cell) = self.lstm(x)",
         "lstm_out, (_hidden, _cell) = self.lstm(x.transpose(0, 1))\n"
         "        lstm_out = lstm_out.transpose(0, 1)")]),
    # squeeze with the dims, and flatten(1): the batch dimension stays
    "4.1.3-cnn5-squeeze-dims": ("4.1.3", [(
        "        return self.fc(x.view(x.size(0), -1))",
        "        return self.fc(x.squeeze(-1).squeeze(-1))")]),
    "4.1.4-lstm-h-n-squeeze-0": ("4.1.4", [(
        "        return self.fc(h_n[-1])", "        return self.fc(h_n.squeeze(0))")]),
    # the first batch told by its empty history (reset empties it too)
    "4.3.1a-first-batch-by-history": ("4.3.1a", [(
        "                if self.num_batches_tracked == 0:\n                    self.input_mean",
        "                if not self.input_stats['mean']:\n                    self.input_mean")]),
    "4.1.1-module-list-loop": ("4.1.1", [(_SL2_BODY, """\
        self.layers = nn.ModuleList([nn.Linear(input_size, hidden_sizes[0]),
                                     nn.Linear(hidden_sizes[0], hidden_sizes[1]),
                                     nn.Linear(hidden_sizes[1], output_size)])

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = torch.relu(layer(x))
        return self.layers[-1](x)""")]),
    # eval() for the CAM, the caller's mode restored after it
    "4.3.2b-generate-cam-restores-mode": ("4.3.2b", [(_2B_FEATURES,
        "        was_training = self.training\n        self.eval()\n" + _2B_FEATURES
        + "        self.train(was_training)\n")]),
}


@pytest.mark.parametrize("name", sorted(CORRECT))
async def test_correct_solution_passes(grader, curriculum, name):
    await passes(grader, curriculum, CORRECT[name], SEEDS, name)
