"""Audit of week 4 (layer declarations 4.2.x, LinearWithStats 4.3.1a, CAM classifier 4.3.2b).

- 4.2.x: a layer written another way that PyTorch stores differently (``MaxPool2d((2, 2))``
  for ``MaxPool2d(2)``, ``AdaptiveAvgPool2d(1)`` for ``(1, 1)``, ``padding='same'`` /
  ``'valid'`` where they equal the stated numbers) is the same layer and passes; a different
  layer still fails (:func:`curriculum.judges.modules.effective_hyper`).
- 4.3.1a: a *trained* layer's buffers keep a fresh layer's shapes and dtypes and its
  state_dict loads into a fresh one (assigning ``x.mean()`` to a buffer makes it 0-d).
- 4.3.2b: the CAM's ReLU is measured with class weights of both signs, and ``features`` is
  compared with the reference's with the same weights in every layer.
"""

from __future__ import annotations

import asyncio

import pytest
import torch.nn as nn

from curriculum.judges.modules import _weighted, effective_hyper, layer
from curriculum.probes.describe import describe
from grader.checks.base import Outcome

ASYNC = pytest.mark.asyncio(loop_scope="session")

# Each solution is graded with several seeds: the hidden inputs must decide it every time.
SEEDS = (3, 17, 2024)


def _failed(result: dict) -> dict[str, str]:
    return {c["id"]: c["kind"] for c in result["checks"] if c["status"] == "failed"}


def _messages(result: dict) -> dict[str, str]:
    return {c["id"]: c["message"] for c in result["checks"] if c["status"] != "passed"}


def _edit(source: str, edits: list[tuple[str, str]]) -> str:
    for old, new in edits:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


async def _grade_seeds(grader, exercise_id: str, source: str) -> list[dict]:
    return list(await asyncio.gather(*(grader.grade(exercise_id, source, seed=s)
                                       for s in SEEDS)))


# --- finding 1: the layer judge compares effective configurations ---------------------------

def _judge(mine: nn.Module, ref: nn.Module) -> tuple[bool, str]:
    v = layer(Outcome(value={"x": describe(mine)}), Outcome(value={"x": describe(ref)}), None,
              None, name="x", code="…")
    return v.ok, v.message


SAME_LAYER = [
    (nn.MaxPool2d(kernel_size=(2, 2)), nn.MaxPool2d(kernel_size=2)),
    (nn.MaxPool2d((3, 3), stride=(2, 2)), nn.MaxPool2d(3, stride=2)),
    (nn.MaxPool2d(2, 2, padding=(0, 0), dilation=(1, 1)), nn.MaxPool2d(2)),
    (nn.MaxPool2d((2,)), nn.MaxPool2d(2)),               # a pool's 1-tuple: every dimension
    (nn.AvgPool2d((2, 2)), nn.AvgPool2d(2)),
    (nn.AvgPool1d(5, 2), nn.AvgPool1d(kernel_size=5, stride=2)),
    (nn.MaxPool1d((3,)), nn.MaxPool1d(kernel_size=3)),
    (nn.AdaptiveAvgPool2d(1), nn.AdaptiveAvgPool2d((1, 1))),
    (nn.AdaptiveMaxPool2d(1), nn.AdaptiveMaxPool2d((1, 1))),
    (nn.AdaptiveAvgPool2d(7), nn.AdaptiveAvgPool2d((7, 7))),
    (nn.AdaptiveMaxPool1d((1,)), nn.AdaptiveMaxPool1d(1)),
    (nn.AdaptiveAvgPool2d((None, 7)), nn.AdaptiveAvgPool2d((None, 7))),
    (nn.Conv2d(3, 64, 3, padding="valid"), nn.Conv2d(3, 64, kernel_size=3)),
    (nn.Conv2d(128, 256, 3, padding="same"), nn.Conv2d(128, 256, kernel_size=3, padding=1)),
    (nn.Conv2d(3, 16, 7, padding="same"), nn.Conv2d(3, 16, kernel_size=7, padding=3)),
    (nn.Conv2d(64, 64, 3, padding="same", dilation=2), nn.Conv2d(64, 64, 3, padding=2,
                                                                  dilation=2)),
    (nn.Conv2d(8, 8, (3, 5), padding="same"), nn.Conv2d(8, 8, (3, 5), padding=(1, 2))),
    (nn.Conv1d(256, 512, 5, padding="same"), nn.Conv1d(256, 512, kernel_size=5, padding=2)),
    (nn.Conv1d(512, 256, (1,)), nn.Conv1d(512, 256, kernel_size=1)),
    (nn.Conv2d(64, 128, 3, stride=(2,), padding=(1,), dilation=(1,)),
     nn.Conv2d(64, 128, 3, stride=2, padding=1)),         # F.conv2d expands 1-tuples
    (nn.MaxPool2d(3, stride=(2,), padding=(1,)), nn.MaxPool2d(3, 2, 1)),
]


@pytest.mark.parametrize(("mine", "ref"), SAME_LAYER, ids=[repr(m) for m, _r in SAME_LAYER])
def test_same_layer_written_another_way_passes(mine, ref):
    assert _judge(mine, ref) == (True, "")


DIFFERENT_LAYER = [
    # (learner, reference, text the message must contain)
    (nn.MaxPool2d((2, 3)), nn.MaxPool2d(2), "kernel_size=[2, 3]"),
    (nn.MaxPool2d(2, stride=(2, 1)), nn.MaxPool2d(2), "stride=[2, 1]"),
    (nn.MaxPool2d(3), nn.MaxPool2d(3, stride=2), "stride=3"),
    (nn.AdaptiveAvgPool2d((None, 1)), nn.AdaptiveAvgPool2d((1, 1)), "output_size=[None, 1]"),
    (nn.AdaptiveAvgPool2d(7), nn.AdaptiveAvgPool2d((7, 1)), "found output_size=7"),
    (nn.AdaptiveAvgPool2d((3,)), nn.AdaptiveAvgPool2d((3, 3)), "output_size=[3]"),
    (nn.Conv2d(3, 64, (3,)), nn.Conv2d(3, 64, 3), "kernel_size=[3]"),   # a 1-d weight
    (nn.AvgPool2d(4, 4, count_include_pad=False), nn.AvgPool2d(4, 4), "count_include_pad"),
    (nn.MaxPool1d(3, ceil_mode=True), nn.MaxPool1d(3), "ceil_mode"),
    # 'same' with dilation 2 pads 2, not the stated 1 (4.2.2 variant 9)
    (nn.Conv2d(64, 64, 3, padding="same", dilation=2),
     nn.Conv2d(64, 64, 3, padding=1, dilation=2), "padding='same' (= [2, 2])"),
    (nn.Conv2d(3, 16, 5, padding="same"), nn.Conv2d(3, 16, 5, padding=1), "padding='same'"),
    # an even kernel's 'same' pads one more on the right: no number equals it
    (nn.Conv2d(3, 16, 4, padding="same"), nn.Conv2d(3, 16, 4, padding=2), "padding='same'"),
    (nn.Conv2d(3, 16, 4, padding="same"), nn.Conv2d(3, 16, 4, padding=1), "padding='same'"),
    (nn.Conv2d(3, 64, 3, padding="valid"), nn.Conv2d(3, 64, 3, padding=1), "padding='valid'"),
    (nn.Conv1d(50, 128, 7, stride=2, padding="valid"), nn.Conv1d(50, 128, 7, stride=2,
                                                                 padding=3), "padding"),
    (nn.Conv2d(3, 64, 3, padding_mode="reflect", padding=1), nn.Conv2d(3, 64, 3, padding=1),
     "padding_mode"),
]


@pytest.mark.parametrize(("mine", "ref", "text"), DIFFERENT_LAYER,
                         ids=[f"{m!r} for {r!r}" for m, r, _t in DIFFERENT_LAYER])
def test_different_layer_still_fails(mine, ref, text):
    ok, message = _judge(mine, ref)
    assert not ok
    assert text in message, message


def test_effective_hyper_leaves_layers_without_spatial_dims_alone():
    hyper = describe(nn.Linear(3, 4))["hyper"]
    assert effective_hyper("Linear", hyper) == hyper
    lstm = describe(nn.LSTM(3, 4, dropout=0.0, num_layers=2))["hyper"]
    assert effective_hyper("LSTM", lstm) == lstm


def test_module_class_layer_list_shares_the_padding_rule():
    """4.1.x's layer comparison (``_weighted``) resolves 'same' with the dilation too."""
    mine = [describe(nn.Conv2d(8, 8, 3, padding="same", dilation=2))]
    ref = [describe(nn.Conv2d(8, 8, 3, padding=2, dilation=2))]
    assert _weighted(mine) == _weighted(ref)
    assert _weighted([describe(nn.Conv1d(8, 8, 3, padding="valid"))]) == \
        _weighted([describe(nn.Conv1d(8, 8, 3))])


EQUIVALENT_DECLARATIONS = {
    # finding 1 (4.2.2_1.py): 'valid' and 'same' (stride 1, odd kernel)
    "4.2.2": """import torch.nn as nn
conv2d_1 = nn.Conv2d(3, 64, kernel_size=3, padding='valid')
conv2d_2 = nn.Conv2d(64, 128, kernel_size=3, stride=2)
conv2d_3 = nn.Conv2d(128, 256, kernel_size=3, padding='same')
conv2d_4 = nn.Conv2d(1, 32, kernel_size=5)
conv2d_5 = nn.Conv2d(32, 64, kernel_size=(1, 1))
conv2d_6 = nn.Conv2d(256, 512, kernel_size=3, stride=1, padding='same')
conv2d_7 = nn.Conv2d(3, 16, kernel_size=7, padding='same')
conv2d_8 = nn.Conv2d(512, 256, kernel_size=3, groups=256)
conv2d_9 = nn.Conv2d(64, 64, kernel_size=3, padding=1, dilation=(2, 2))
conv2d_10 = nn.Conv2d(128, 64, kernel_size=3, bias=False)
""",
    # finding 1 (4.2.3_1.py)
    "4.2.3": """import torch.nn as nn
conv1d_1 = nn.Conv1d(100, 256, 3, padding='valid')
conv1d_2 = nn.Conv1d(256, 512, kernel_size=5, padding='same')
conv1d_3 = nn.Conv1d(512, 256, (1,))
conv1d_4 = nn.Conv1d(50, 128, kernel_size=7, stride=2)
conv1d_5 = nn.Conv1d(128, 64, kernel_size=3, dilation=2)
conv1d_6 = nn.Conv1d(1, 32, kernel_size=15)
conv1d_7 = nn.Conv1d(32, 64, kernel_size=9, padding='same')
conv1d_8 = nn.Conv1d(64, 128, kernel_size=5, groups=32)
conv1d_9 = nn.Conv1d(300, 600, kernel_size=3)
conv1d_10 = nn.Conv1d(200, 100, kernel_size=11, padding='same')
""",
    # finding 1 (4.2.4_1.py and 4.2.4_2.py together)
    "4.2.4": """import torch.nn as nn
pool_1 = nn.MaxPool2d(kernel_size=(2, 2))
pool_2 = nn.MaxPool2d(kernel_size=(3, 3), stride=(2, 2))
pool_3 = nn.AvgPool2d(kernel_size=(2, 2))
pool_4 = nn.AvgPool2d(4)
pool_5 = nn.AdaptiveMaxPool2d(1)
pool_6 = nn.AdaptiveAvgPool2d(1)
pool_7 = nn.AdaptiveAvgPool2d(7)
pool_8 = nn.MaxPool1d((3,))
pool_9 = nn.AvgPool1d(5, 2)
pool_10 = nn.AdaptiveMaxPool1d((1,))
""",
}


@ASYNC
@pytest.mark.parametrize("exercise_id", list(EQUIVALENT_DECLARATIONS))
async def test_equivalent_declarations_pass(grader, exercise_id):
    result = await grader.grade(exercise_id, EQUIVALENT_DECLARATIONS[exercise_id], seed=5)
    assert result["status"] == "passed", _messages(result)


@ASYNC
async def test_wrong_declarations_written_as_tuples_or_strings_fail(grader):
    source = _edit(EQUIVALENT_DECLARATIONS["4.2.2"], [
        ("kernel_size=3, padding=1, dilation=(2, 2))", "kernel_size=3, padding='same', "
                                                      "dilation=2)"),
        ("nn.Conv2d(64, 128, kernel_size=3, stride=2)",
         "nn.Conv2d(64, 128, kernel_size=(3, 3), stride=(2, 1))"),
    ])
    result = await grader.grade("4.2.2", source, seed=5)
    assert _failed(result) == {"conv2d_9": "value", "conv2d_2": "value"}, _messages(result)
    assert "padding='same' (= [2, 2])" in _messages(result)["conv2d_9"]
    source = _edit(EQUIVALENT_DECLARATIONS["4.2.4"], [
        ("nn.AdaptiveAvgPool2d(7)", "nn.AdaptiveAvgPool2d((7, None))"),
        ("nn.MaxPool2d(kernel_size=(2, 2))", "nn.MaxPool2d(kernel_size=(2, 2), stride=1)"),
    ])
    result = await grader.grade("4.2.4", source, seed=5)
    assert _failed(result) == {"pool_7": "value", "pool_1": "value"}, _messages(result)


# --- finding 2: 4.3.1a, a trained layer's state_dict loads into a fresh one -----------------

ASSIGNED_IN_FORWARD = [  # 4.3.1a_1.py: assigns in forward, reset re-creates (1,) tensors
    ("self.input_mean_running.fill_(input_mean)", "self.input_mean_running = input_mean"),
    ("self.input_mean_running.mul_(1 - self.momentum).add_(self.momentum * input_mean)",
     "self.input_mean_running = (1 - self.momentum) * self.input_mean_running "
     "+ self.momentum * input_mean"),
    ("        self.input_mean_running.zero_()\n",
     "        self.input_mean_running = torch.zeros(1)\n"),
]


@pytest.mark.parametrize("edits", [
    ASSIGNED_IN_FORWARD,
    # the running std assigned only after the first batch: 0-d from batch 2 on
    [("self.output_std_running.mul_(1 - self.momentum).add_(self.momentum * output_std)",
      "self.output_std_running = (1 - self.momentum) * self.output_std_running.squeeze() "
      "+ self.momentum * output_std"),
     ("        self.output_std_running.fill_(1)\n",
      "        self.output_std_running = torch.ones(1)\n")],
    # the counter becomes a float tensor in reset (it still loads: copy_ converts dtypes)
    [("self.num_batches_tracked.zero_()", "self.num_batches_tracked = torch.tensor(0.)")],
], ids=["assigned-in-forward", "assigned-after-first-batch", "float-counter-after-reset"])
@pytest.mark.slow
@ASYNC
async def test_buffers_that_change_shape_or_dtype_fail_layout(grader, curriculum, edits):
    source = _edit(curriculum.get("4.3.1a").reference, edits)
    for seed, result in zip(SEEDS, await _grade_seeds(grader, "4.3.1a", source), strict=True):
        assert _failed(result) == {"layout": "module"}, (seed, _messages(result))


@pytest.mark.slow
@ASYNC
async def test_layout_message_names_the_trained_layer_and_the_fix(grader, curriculum):
    source = _edit(curriculum.get("4.3.1a").reference, ASSIGNED_IN_FORWARD)
    message = _messages(await grader.grade("4.3.1a", source, seed=3))["layout"]
    assert "after 1 training batch(es) must load into a fresh LinearWithStats" in message
    assert "in place" in message and "size mismatch" in message and "\n" not in message
    source = _edit(curriculum.get("4.3.1a").reference,
                   [("self.num_batches_tracked.zero_()",
                     "self.num_batches_tracked = torch.tensor(0.)")])
    message = _messages(await grader.grade("4.3.1a", source, seed=3))["layout"]
    assert "then reset_statistics()" in message and "() int64 when fresh, () float32" in message


LINEAR_WITH_STATS_OTHER_STYLE = '''
import torch
import torch.nn as nn


class LinearWithStats(nn.Module):
    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features, bias=bias)
        for name, v in [("input_mean_running", 0.0), ("input_std_running", 1.0),
                        ("output_mean_running", 0.0), ("output_std_running", 1.0)]:
            self.register_buffer(name, torch.full((1,), v))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        self.momentum = 0.1
        self.reset_lists()

    def reset_lists(self):
        self.input_stats = {k: [] for k in ("mean", "std", "min", "max")}
        self.output_stats = {k: [] for k in ("mean", "std", "min", "max")}
        self.weight_norms, self.grad_norms = [], []

    def _update(self, t, prefix, store):
        m = self.momentum
        mean, std = t.mean(), t.std()
        rm, rs = getattr(self, prefix + "_mean_running"), getattr(self, prefix + "_std_running")
        if self.num_batches_tracked.item() == 0:
            rm.copy_(mean.expand_as(rm)); rs.copy_(std.expand_as(rs))
        else:
            rm.copy_((1 - m) * rm + m * mean); rs.copy_((1 - m) * rs + m * std)
        store["mean"].append(float(mean)); store["std"].append(float(std))
        store["min"].append(float(t.min())); store["max"].append(float(t.max()))

    def forward(self, x):
        out = self.linear(x)
        if self.training:
            xd, od = x.detach(), out.detach()
            self._update(xd, "input", self.input_stats)
            self._update(od, "output", self.output_stats)
            self.weight_norms.append(self.linear.weight.detach().norm().item())
            g = self.linear.weight.grad
            if g is not None:
                self.grad_norms.append(g.norm().item())
            self.num_batches_tracked.add_(1)
        return out

    def get_statistics(self):
        def part(r, s):
            return {"running_mean": r[0].item(), "running_std": r[1].item(),
                    "batch_means": list(s["mean"][-10:]), "batch_stds": list(s["std"][-10:])}
        return {"input_stats": part((self.input_mean_running, self.input_std_running),
                                    self.input_stats),
                "output_stats": part((self.output_mean_running, self.output_std_running),
                                     self.output_stats),
                "weight_norm": self.weight_norms[-1] if self.weight_norms else 0,
                "recent_grad_norms": self.grad_norms[-10:],
                "num_batches": int(self.num_batches_tracked)}

    def reset_statistics(self):
        self.input_mean_running.zero_(); self.output_mean_running.zero_()
        self.input_std_running.fill_(1.0); self.output_std_running.fill_(1.0)
        self.num_batches_tracked.zero_()
        self.reset_lists()
'''


@pytest.mark.slow
@ASYNC
async def test_in_place_updates_written_otherwise_pass(grader):
    for seed, result in zip(SEEDS, await _grade_seeds(grader, "4.3.1a",
                                                      LINEAR_WITH_STATS_OTHER_STYLE),
                            strict=True):
        assert result["status"] == "passed", (seed, _messages(result))


# --- finding 3: 4.3.2b, the CAM's ReLU and the architecture of `features` -----------------

CAM = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


def block(cin, cout):
    return [nn.Conv2d(cin, cout, kernel_size=3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
            nn.Conv2d(cout, cout, kernel_size=3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]


class ImageClassifierWithCAM(nn.Module):
    def __init__(self, num_classes, input_channels=3):
        super().__init__()
        self.features = nn.Sequential(*block(input_channels, 64), nn.MaxPool2d(2, 2),
                                      *block(64, 128), nn.MaxPool2d(2, 2), *block(128, 256))
        self.global_avg_pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(256, num_classes)

    @staticmethod
    def _normalise(cam):
        b = cam.shape[0]
        flat = cam.reshape(b, -1)
        mn = flat.min(1, keepdim=True)[0]
        mx = flat.max(1, keepdim=True)[0]
        out = (flat - mn) / (mx - mn + 1e-8)
        return out.reshape_as(cam)

    def _cams(self, fmap, classes):
        w = self.classifier.weight[classes]  # (B, 256)
        cam = (w[:, :, None, None] * fmap).sum(dim=1)
        return self._normalise(F.relu(cam))

    def forward(self, x, return_cam=False):
        fmap = self.features(x)
        logits = self.classifier(torch.flatten(self.global_avg_pool(fmap), 1))
        if return_cam:
            return logits, self._cams(fmap, logits.argmax(1)).detach()
        return logits

    def generate_cam(self, x, class_idx):
        with torch.no_grad():
            fmap = self.features(x)
            classes = torch.full((x.shape[0],), class_idx, dtype=torch.long)
            return self._cams(fmap, classes)
'''

CAM_WRONG = {
    # 4.3.2b_1.py: no ReLU before the normalisation
    "no-relu": ([("return self._normalise(F.relu(cam))", "return self._normalise(cam)")],
                {"cam_values": "value"}),
    # 4.3.2b_2.py: one Conv → ReLU per block, no BatchNorm
    "one-conv-no-batchnorm": ([(
        "    return [nn.Conv2d(cin, cout, kernel_size=3, padding=1), nn.BatchNorm2d(cout), "
        "nn.ReLU(),\n            nn.Conv2d(cout, cout, kernel_size=3, padding=1), "
        "nn.BatchNorm2d(cout), nn.ReLU()]",
        "    return [nn.Conv2d(cin, cout, kernel_size=3, padding=1), nn.ReLU()]")],
        {"logits": "module"}),
    # two convs per block but no BatchNorm: the parameter count alone is close
    "no-batchnorm": ([(
        "    return [nn.Conv2d(cin, cout, kernel_size=3, padding=1), nn.BatchNorm2d(cout), "
        "nn.ReLU(),\n            nn.Conv2d(cout, cout, kernel_size=3, padding=1), "
        "nn.BatchNorm2d(cout), nn.ReLU()]",
        "    return [nn.Conv2d(cin, cout, kernel_size=3, padding=1), nn.ReLU(),\n"
        "            nn.Conv2d(cout, cout, kernel_size=3, padding=1), nn.ReLU()]")],
        {"logits": "module"}),
    # 4.3.2b_3 (as described): the second max pool is an average pool — same parameters
    "avg-pool": ([("*block(64, 128), nn.MaxPool2d(2, 2)", "*block(64, 128), nn.AvgPool2d(2, 2)")],
                 {"logits": "module"}),
    # ReLU after BatchNorm swapped: same layers, same parameters, another order
    "relu-before-batchnorm": ([(
        "    return [nn.Conv2d(cin, cout, kernel_size=3, padding=1), nn.BatchNorm2d(cout), "
        "nn.ReLU(),\n", "    return [nn.Conv2d(cin, cout, kernel_size=3, padding=1), nn.ReLU(), "
        "nn.BatchNorm2d(cout),\n")], {"logits": "module"}),
    # normalised by the max only: caught by the positive class weights (minimum above 0)
    "max-only": ([("out = (flat - mn) / (mx - mn + 1e-8)", "out = flat / (mx + 1e-8)")],
                 {"cam_values": "value"}),
}


@pytest.mark.slow
@ASYNC
@pytest.mark.parametrize("case", list(CAM_WRONG))
async def test_cam_wrong_fails_for_every_seed(grader, case):
    edits, expected = CAM_WRONG[case]
    source = _edit(CAM, edits)
    for seed, result in zip(SEEDS, await _grade_seeds(grader, "4.3.2b", source), strict=True):
        assert result["status"] == "failed", (seed, result["status"], result.get("message"))
        assert _failed(result) == expected, (seed, _messages(result))


@pytest.mark.slow
@ASYNC
async def test_cam_messages_name_the_relu_and_the_architecture(grader):
    source = _edit(CAM, CAM_WRONG["no-relu"][0])
    message = _messages(await grader.grade("4.3.2b", source, seed=3))["cam_values"]
    assert "both signs" in message and "ReLU(" in message
    source = _edit(CAM, CAM_WRONG["avg-pool"][0])
    message = _messages(await grader.grade("4.3.2b", source, seed=3))["logits"]
    assert "same weights" in message and "AvgPool2d" in message and "MaxPool2d(2, 2)" in message


@pytest.mark.slow
@ASYNC
async def test_cam_written_otherwise_passes_for_every_seed(grader):
    """Functional ReLUs inside a custom block module, `F.adaptive_avg_pool2d`, einsum."""
    source = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout)
        self.c2, self.b2 = nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout)

    def forward(self, x):
        return F.relu(self.b2(self.c2(F.relu(self.b1(self.c1(x))))))


class ImageClassifierWithCAM(nn.Module):
    def __init__(self, num_classes, input_channels=3):
        super().__init__()
        self.features = nn.Sequential(Block(input_channels, 64), nn.MaxPool2d(2),
                                      Block(64, 128), nn.MaxPool2d(2), Block(128, 256))
        self.global_avg_pool = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Linear(256, num_classes)

    def _cam(self, f, classes):
        cam = torch.relu(torch.einsum("bk,bkhw->bhw", self.classifier.weight[classes], f))
        lo = cam.amin(dim=(1, 2), keepdim=True)
        hi = cam.amax(dim=(1, 2), keepdim=True)
        return torch.where(hi > lo, (cam - lo) / (hi - lo).clamp_min(1e-12), cam)

    def forward(self, x, return_cam=False):
        f = self.features(x)
        logits = self.classifier(F.adaptive_avg_pool2d(f, 1).flatten(1))
        if return_cam:
            return logits, self._cam(f.detach(), logits.argmax(1))
        return logits

    def generate_cam(self, x, class_idx):
        with torch.no_grad():
            f = self.features(x)
        return self._cam(f, torch.full((x.shape[0],), class_idx, dtype=torch.long))
'''
    for seed, result in zip(SEEDS, await _grade_seeds(grader, "4.3.2b", source), strict=True):
        assert result["status"] == "passed", (seed, _messages(result))


@pytest.mark.slow
@ASYNC
async def test_cam_convs_without_bias_before_batchnorm_pass(grader):
    """``nn.Conv2d(..., bias=False)`` before ``nn.BatchNorm2d``: the prompt does not fix the
    bias, and the norm cancels it, so it is the same architecture."""
    source = CAM.replace("kernel_size=3, padding=1)", "kernel_size=3, padding=1, bias=False)")
    assert source.count("bias=False") == 2
    for seed in (3, 17):
        result = await grader.grade("4.3.2b", source, seed=seed)
        assert result["status"] == "passed", _messages(result)
