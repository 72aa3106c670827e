"""Audit of week 4 (custom nn.Modules): wrong forward passes that shapes and parameter counts
cannot see now fail, and correct solutions written differently from the reference pass.

Exercise 4.1 compares the outputs of the learner's class and the reference's with the same
weights loaded into both (keyed by each layer's place in the architecture, see
``curriculum/probes/module_class.py``); 4.3.2a checks that step 1 comes from the last LSTM
output; 4.3.2c that the balanced total loss backpropagates into the network.
"""

from __future__ import annotations

import asyncio

import pytest
from audit_support import edit_each as _edit
from audit_support import failed as _failed
from audit_support import messages as _messages

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

# Each wrong solution is graded with several seeds: the hidden inputs must catch it every time.
SEEDS = (3, 17, 2024)


async def _grade_seeds(grader, exercise_id: str, source: str) -> list[dict]:
    return list(await asyncio.gather(*(grader.grade(exercise_id, source, seed=s)
                                       for s in SEEDS)))


# (exercise, edits of the reference, {check id: kind} that must fail — exactly these)
WRONG = {
    # finding 7: activations were never compared
    "4.1.1-activations": ("4.1.1", [
        # SimpleLinear2 without any ReLU
        ("        x = torch.relu(self.layer1(x))\n        x = torch.relu(self.layer2(x))\n"
         "        return self.layer3(x)",
         "        return self.layer3(self.layer2(self.layer1(x)))"),
        # SimpleLinear3 declares nn.LeakyReLU but uses torch.relu
        ("        x = self.act(self.layer1(x))\n        x = self.act(self.layer2(x))",
         "        x = torch.relu(self.layer1(x))\n        x = torch.relu(self.layer2(x))"),
        # SimpleLinear5 with a ReLU on the output layer
        ("bias=False)\n\n    def forward(self, x):\n        x = torch.relu(self.layer1(x))\n"
         "        return self.layer2(x)",
         "bias=False)\n\n    def forward(self, x):\n        x = torch.relu(self.layer1(x))\n"
         "        return torch.relu(self.layer2(x))"),
    ], {"SimpleLinear2": "value", "SimpleLinear3": "value", "SimpleLinear5": "value"}),
    # finding 6: the dropout rate was never compared; a second sigmoid stays in [0, 1]
    "4.1.2-dropout-sigmoid": ("4.1.2", [
        ("            nn.Linear(100, 512), nn.ReLU(), nn.Dropout(0.3),\n"
         "            nn.Linear(512, 256), nn.ReLU(), nn.Dropout(0.3),\n"
         "            nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.3),\n"
         "            nn.Linear(128, 64), nn.ReLU(), nn.Dropout(0.3),",
         "            nn.Linear(100, 512), nn.ReLU(), nn.Dropout(0.5),\n"
         "            nn.Linear(512, 256), nn.ReLU(), nn.Dropout(0.5),\n"
         "            nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.5),\n"
         "            nn.Linear(128, 64), nn.ReLU(), nn.Dropout(0.5),"),
        ("            nn.Linear(16, 1), nn.Sigmoid(),\n        )\n\n    def forward(self, x):\n"
         "        return self.layers(x)",
         "            nn.Linear(16, 1), nn.Sigmoid(),\n        )\n\n    def forward(self, x):\n"
         "        return self.layers(x).sigmoid()"),
    ], {"SequentialModel2": "value", "SequentialModel4": "module"}),
    # third audit: nn.Dropout(0.2) declared, F.dropout(x, 0.5) or no dropout applied
    "4.1.1-dropout-applied": ("4.1.1", [
        ("        x = self.dropout(torch.relu(self.layer1(x)))\n"
         "        x = self.dropout(torch.relu(self.layer2(x)))\n",
         "        x = nn.functional.dropout(torch.relu(self.layer1(x)), 0.5, self.training)\n"
         "        x = self.dropout(torch.relu(self.layer2(x)))\n"),
    ], {"SimpleLinear4": "value"}),
    "4.1.1-dropout-once": ("4.1.1", [
        ("        x = self.dropout(torch.relu(self.layer1(x)))\n"
         "        x = self.dropout(torch.relu(self.layer2(x)))\n",
         "        x = torch.relu(self.layer1(x))\n        x = torch.relu(self.layer2(x))\n"),
    ], {"SimpleLinear4": "value"}),
    # third audit: SimpleCNN5 (pooling left to the learner) without its ReLUs
    "4.1.3-cnn5-no-relu": ("4.1.3", [
        ("layers += [nn.Conv2d(a, b, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]",
         "layers += [nn.Conv2d(a, b, 3, padding=1), nn.Identity(), nn.MaxPool2d(2)]"),
    ], {"SimpleCNN5": "value"}),
    # eighth audit: SimpleCNN5's outputs are compared with the stated network pooled where
    # the learner's pools: sum pooling (the declared AdaptiveAvgPool2d never runs), a softmax
    # on the output, a max-pool before the first convolution
    "4.1.3-cnn5-sum-pooling": ("4.1.3", [
        ("        x = self.pool(self.conv_layers(x))\n"
         "        return self.fc(x.view(x.size(0), -1))",
         "        return self.fc(self.conv_layers(x).sum(dim=(2, 3)))"),
    ], {"SimpleCNN5": "value"}),
    "4.1.3-cnn5-softmax-output": ("4.1.3", [
        ("return self.fc(x.view(x.size(0), -1))",
         "return self.fc(x.view(x.size(0), -1)).softmax(1)"),
    ], {"SimpleCNN5": "value"}),
    "4.1.3-cnn5-pool-before-the-convs": ("4.1.3", [
        ("self.conv_layers = nn.Sequential(*layers[:-1])",
         "self.conv_layers = nn.Sequential(nn.MaxPool2d(2), *layers[:-1])"),
    ], {"SimpleCNN5": "module"}),
    # third audit: step 1 from the mean over time (changing the last step changes it too)
    "4.3.2a-mean-over-time": ("4.3.2a", [
        ("last_hidden = lstm_out[:, -1, :]", "last_hidden = lstm_out.mean(dim=1)"),
    ], {"horizon": "value"}),
    # third audit: the backbone's Dropout(0.3) left out (parameters and eval outputs agree)
    "4.3.2c-no-backbone-dropout": ("4.3.2c", [("            nn.Dropout(0.3),\n", "")],
                                   {"architecture": "module"}),
    # finding 4: view for permute, unused attention weights, ReLU on the bottleneck
    "4.1.4-computation": ("4.1.4", [
        ("h = h.permute(0, 2, 1)", "h = h.reshape(h.size(0), -1, 16)"),
        ("context = torch.bmm(weights.unsqueeze(1), x).squeeze(1)", "context = x.mean(dim=1)"),
        ("nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 32))",
         "nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 32), nn.ReLU())"),
    ], {"MixedModel3": "value", "MixedModel4": "value", "MixedModel5": "value"}),
    # findings 2 and 3: routing by the first feature, the skip after the ReLU, sum for mean
    "4.1.5-computation": ("4.1.5", [
        ("gate = x.mean(dim=1, keepdim=True) > 0", "gate = x[:, :1] > 0"),
        ("h3 = F.relu(self.fc3(h2) + h1)", "h3 = F.relu(self.fc3(h2)) + h1"),
        ("context = (weights @ v).mean(dim=1)", "context = (weights @ v).sum(dim=1)"),
    ], {"CustomLogic3": "value", "CustomLogic4": "value", "CustomLogic5": "value"}),
    # finding 5: step 1 forecast from the first LSTM output
    "4.3.2a-first-output": ("4.3.2a", [
        ("last_hidden = lstm_out[:, -1, :]", "last_hidden = lstm_out[:, 0, :]"),
    ], {"horizon": "value"}),
    # finding 1: a total built from .item() floats only backpropagates into task_weights
    "4.3.2c-item-total": ("4.3.2c", [
        ("weighted_loss = self.task_weights[i] * task_loss\n",
         "weighted_loss = self.task_weights[i] * task_loss.item()\n"),
    ], {"balancing": "value"}),
}


@pytest.mark.parametrize("case", list(WRONG))
async def test_wrong_forward_fails_for_every_seed(grader, curriculum, case):
    exercise_id, edits, expected = WRONG[case]
    source = _edit(curriculum.get(exercise_id).reference, edits)
    for seed, result in zip(SEEDS, await _grade_seeds(grader, exercise_id, source), strict=True):
        assert result["status"] == "failed", (seed, result["status"], result.get("message"))
        assert _failed(result) == expected, (seed, _messages(result))


NO_EPSILON = """
import torch
import torch.nn as nn


class TimeSeriesPredictor(nn.Module):
    def __init__(self, input_features, hidden_dim, output_features, sequence_length):
        super().__init__()
        self.lstm = nn.LSTM(input_features, hidden_dim, num_layers=2, batch_first=True)
        half = hidden_dim // 2
        self.mean_head = nn.Sequential(nn.Linear(hidden_dim, half), nn.ReLU(),
                                       nn.Linear(half, output_features))
        self.std_head = nn.Sequential(nn.Linear(hidden_dim, half), nn.ReLU(),
                                      nn.Linear(half, output_features), nn.Softplus())
        self.horizon_projection = nn.Linear(output_features, hidden_dim)

    def forward(self, x, prediction_steps=1):
        _out, (h_n, _c_n) = self.lstm(x)
        h = h_n[-1]
        means, stds = [], []
        for _ in range(prediction_steps):
            mu = self.mean_head(h)
            means.append(mu)
            stds.append(self.std_head(h))   # no + 1e-6: Softplus underflows to 0
            h = torch.tanh(self.horizon_projection(mu)) + h
        return torch.stack(means, 1), torch.stack(stds, 1)
"""


async def test_softplus_without_epsilon_fails_for_every_seed(grader):
    """The seeds for which the parameter re-draws at unit scale kept every std above 0."""
    for seed in (0, 1, 5, 7):
        result = await grader.grade("4.3.2a", NO_EPSILON, seed=seed)
        assert _failed(result) == {"uncertainty": "value"}, (seed, _messages(result))


async def test_value_message_names_the_class_and_the_likely_causes(grader, curriculum):
    source = _edit(curriculum.get("4.1.5").reference,
                   [("h3 = F.relu(self.fc3(h2) + h1)", "h3 = F.relu(self.fc3(h2)) + h1")])
    message = _messages(await grader.grade("4.1.5", source, seed=5))["CustomLogic3"]
    assert message.startswith("`CustomLogic3`: the grader loaded the same weights")
    assert "relu(fc3(h2) + h1)" in message and "activations" in message
    assert "max abs error" in message


async def test_first_feature_routing_message_says_row_mean(grader, curriculum):
    source = _edit(curriculum.get("4.1.5").reference,
                   [("gate = x.mean(dim=1, keepdim=True) > 0", "gate = x[:, :1] > 0")])
    message = _messages(await grader.grade("4.1.5", source, seed=9))["CustomLogic4"]
    assert "mean of all its features" in message


async def test_total_loss_message_points_at_item(grader, curriculum):
    source = _edit(curriculum.get("4.3.2c").reference,
                   [("weighted_loss = self.task_weights[i] * task_loss\n",
                     "weighted_loss = self.task_weights[i] * task_loss.item()\n")])
    message = _messages(await grader.grade("4.3.2c", source, seed=4))["balancing"]
    assert "backbone" in message and ".item()" in message


# Correct solutions that differ from the reference in ways the contract allows.
EQUIVALENT = {
    # finding 8: the activation inside the branch (nn.Sequential) or in forward — applied once
    "4.1.5-branch-activations-inside": ("4.1.5", [
        ("        self.branch1 = nn.Linear(32, 16)\n        self.branch2 = nn.Linear(32, 16)\n"
         "        self.branch3 = nn.Linear(32, 16)\n",
         "        self.branch1 = nn.Sequential(nn.Linear(32, 16), nn.ReLU())\n"
         "        self.branch2 = nn.Sequential(nn.Linear(32, 16), nn.Sigmoid())\n"
         "        self.branch3 = nn.Sequential(nn.Linear(32, 16), nn.Tanh())\n"),
        ("        b1 = torch.relu(self.branch1(x))\n        b2 = torch.sigmoid(self.branch2(x))\n"
         "        b3 = torch.tanh(self.branch3(x))\n",
         "        b1, b2, b3 = self.branch1(x), self.branch2(x), self.branch3(x)\n"),
    ]),
    "4.1.5-mixed-readings-and-call-order": ("4.1.5", [
        ("        self.branch2 = nn.Linear(32, 16)\n",
         "        self.branch2 = nn.Sequential(nn.Linear(32, 16), nn.Sigmoid())\n"),
        ("        b1 = torch.relu(self.branch1(x))\n        b2 = torch.sigmoid(self.branch2(x))\n"
         "        b3 = torch.tanh(self.branch3(x))\n",
         "        b3 = torch.tanh(self.branch3(x))\n        b2 = self.branch2(x)\n"
         "        b1 = torch.relu(self.branch1(x))\n"),
        # key and value before query: same-shaped layers are matched by their contract names
        ("q, k, v = self.query(x), self.key(x), self.value(x)",
         "v, k = self.value(x), self.key(x)\n        q = self.query(x)"),
        # route with a mask, path_b first
        ("        gate = x.mean(dim=1, keepdim=True) > 0\n"
         "        h = torch.where(gate, self.path_a(x), self.path_b(x))\n",
         "        pos = x.mean(dim=1) > 0\n        h = x.new_zeros(x.shape[0], 16)\n"
         "        h[~pos] = self.path_b(x[~pos])\n        h[pos] = self.path_a(x[pos])\n"),
    ]),
    "4.1.1-leaky-slope-and-modules": ("4.1.1", [
        ("self.act = nn.LeakyReLU(0.01)", "self.act = nn.LeakyReLU(0.1)"),
        ("        x = self.dropout(torch.relu(self.layer1(x)))\n",
         "        x = nn.functional.dropout(torch.relu(self.layer1(x)), 0.2, self.training)\n"),
    ]),
    "4.1.2-class-that-is-a-sequential": ("4.1.2", [
        ("class SequentialModel1(nn.Module):\n    def __init__(self):\n"
         "        super().__init__()\n        self.layers = nn.Sequential(\n"
         "            nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2),\n"
         "            nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.2),\n"
         "            nn.Linear(128, 10),\n        )\n\n"
         "    def forward(self, x):\n        return self.layers(x)\n",
         "class SequentialModel1(nn.Sequential):\n    def __init__(self):\n"
         "        super().__init__(\n"
         "            nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2),\n"
         "            nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.2),\n"
         "            nn.Linear(128, 10),\n        )\n"),
    ]),
    "4.1.3-cnn5-functional-relu-no-pools": ("4.1.3", [
        ("layers += [nn.Conv2d(a, b, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]",
         "layers += [nn.Conv2d(a, b, 3, padding=1), nn.Identity(), nn.Identity()]"),
        ("        x = self.pool(self.conv_layers(x))\n",
         "        for layer in self.conv_layers:\n"
         "            x = nn.functional.relu(layer(x)) if isinstance(layer, nn.Conv2d) else x\n"
         "        x = self.pool(x)\n"),
    ]),
    # ReLU as clamp(min=0) (the course's own 3.3.3c writes it so), a max-pool after every conv
    "4.1.3-cnn5-clamp-and-pool-after-each-conv": ("4.1.3", [
        ("layers += [nn.Conv2d(a, b, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]",
         "layers += [nn.Conv2d(a, b, 3, padding=1), nn.MaxPool2d(2)]"),
        ("self.conv_layers = nn.Sequential(*layers[:-1])",
         "self.conv_layers = nn.Sequential(*layers)"),
        ("        x = self.pool(self.conv_layers(x))\n",
         "        for layer in self.conv_layers:\n"
         "            x = layer(x).clamp(min=0) if isinstance(layer, nn.Conv2d) else layer(x)\n"
         "        x = self.pool(x)\n"),
    ]),
    "4.1.4-other-attribute-names": ("4.1.4", [
        ("self.shared = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1))",
         "self.shared = nn.Linear(64, 32)\n        self.head = nn.Linear(32, 1)"),
        ("return self.shared(h)", "return self.head(F.relu(self.shared(h)))"),
        ("context = torch.bmm(weights.unsqueeze(1), x).squeeze(1)",
         "context = (weights.unsqueeze(-1) * x).sum(dim=1)"),
    ]),
    "4.3.2a-last-hidden-state": ("4.3.2a", [
        ("last_hidden = lstm_out[:, -1, :]", "last_hidden = _hidden[-1]"),
    ]),
    "4.3.2c-frozen-task-weights": ("4.3.2c", [
        ("weighted_loss = self.task_weights[i] * task_loss\n",
         "weighted_loss = self.task_weights[i].detach() * task_loss\n"),
    ]),
}


@pytest.mark.parametrize("case", list(EQUIVALENT))
async def test_equivalent_solution_passes_for_every_seed(grader, curriculum, case):
    exercise_id, edits = EQUIVALENT[case]
    source = _edit(curriculum.get(exercise_id).reference, edits)
    for seed, result in zip(SEEDS, await _grade_seeds(grader, exercise_id, source), strict=True):
        assert result["status"] == "passed", (seed, _messages(result))


async def test_431b_a_dropout_of_zero_declared_always_is_no_dropout(grader, curriculum):
    """Third audit: nn.Dropout(dropout) declared unconditionally is a no-op for dropout=0,
    which the contract's 'else no dropout' allows."""
    source = curriculum.get("4.3.1b").reference
    result = await grader.grade("4.3.1b", _edit(source, [(
        "        if dropout > 0:\n            self.dropout = nn.Dropout(dropout)\n"
        "        else:\n            self.dropout = None\n",
        "        self.dropout = nn.Dropout(dropout)\n")]), seed=5)
    assert result["status"] == "passed", _messages(result)
