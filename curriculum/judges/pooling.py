"""The stated output of a CNN whose contract leaves max-pooling free (4.1.3 SimpleCNN5).

"Four Conv2d(k=3, padding=1) 3→32→64→128→256 with ReLU (MaxPool2d(2) between them
allowed) → AdaptiveAvgPool2d((1, 1)) → Linear(256, 10)" has one output per place the
pooling goes, so no single reference output exists. The judge builds the stated network
with ``nn.MaxPool2d(2)`` where the learner's forward ran one (its recorded layer order),
gives it the grader's weights exactly as the probe gives them to the learner's model
(:func:`curriculum.probes.module_class._fill`: by each layer's place, never by how it was
written) and runs it on the same hidden inputs. The recorded order only chooses which of
the allowed networks the outputs are compared with: a rewritten order cannot make other
outputs pass, and an order that is none of them fails before anything is built.

Built on the trusted side: layers are made on the ``meta`` device, so nothing here draws
from torch's process-wide generator (a reference may be running on another thread).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn as nn

from curriculum.probes.module_class import _fill, _x

CHANNELS = (3, 32, 64, 128, 256)
#: The smallest input (16 × 16) halves at most four times.
MAX_POOLS = 4


def pools_after(order: Any) -> tuple[int, ...] | None:
    """How many MaxPool2d ran after each of the four convolutions (before the next one),
    from a forward's leaf-module order; None when that order is not four Conv2d with max
    pooling only after a convolution."""
    if not isinstance(order, list):
        return None
    convs, pools = -1, [0] * (len(CHANNELS) - 1)
    for kind in order:
        if kind == "Conv2d":
            convs += 1
            if convs >= len(pools):
                return None
        elif kind == "MaxPool2d":
            if convs < 0:
                return None
            pools[convs] += 1
    if convs != len(pools) - 1 or sum(pools) > MAX_POOLS:  # compare: ok (counts)
        return None
    return tuple(pools)


def stated_cnn(pools: Sequence[int]) -> nn.Module:
    layers: list[nn.Module] = []
    for i, n in enumerate(pools):
        layers += [nn.Conv2d(CHANNELS[i], CHANNELS[i + 1], 3, padding=1, device="meta"),
                   nn.ReLU()]
        layers += [nn.MaxPool2d(2) for _ in range(n)]
    layers += [nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
               nn.Linear(CHANNELS[-1], 10, device="meta")]
    return nn.Sequential(*layers).to_empty(device="cpu").eval()


def stated_values(order: Any, inputs: dict) -> tuple[list[torch.Tensor], torch.Tensor] | None:
    """The stated network's outputs with the grader's weights on the hidden calls and on
    the batch of one sample (as the probe computes the learner's), for the pooling the
    learner's forward ran; None when its order is not an allowed one."""
    pools = pools_after(order)
    if pools is None:
        return None
    model = stated_cnn(pools)
    seed = int(inputs["seed"])
    _fill(model, [], list(inputs.get("names") or []), seed)
    calls = [[_x(s, seed + 10 * i + j) for j, s in enumerate(shapes)]
             for i, shapes in enumerate(inputs["calls"])]
    with torch.no_grad():
        return [model(*xs) for xs in calls], model(*[x[:1] for x in calls[0]])
