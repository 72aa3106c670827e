"""Week 6 syntax reference (6.3.1) and schedule: wrong sheets fail where expected."""

from __future__ import annotations

import pytest

SEED = 99


def _failed(result: dict) -> dict[str, str]:
    return {c["id"]: c["kind"] for c in result["checks"] if c["status"] == "failed"}


WRONG = [
    ("zeros = torch.zeros(3, 4)", "zeros = torch.ones(3, 4) * 0", {"zeros": "api"}),
    ("viewed = x.view(-1, 4)", "viewed = x.view(-1, 3)", {"viewed": "shape"}),
    ("permuted = x.permute(2, 0, 1)", "permuted = x.permute(0, 2, 1)", {"permuted": "shape"}),
    ("w_grad = w.grad.clone()", "w_grad = torch.tensor(2.0)", {"autograd": "grad"}),
    # the gradient set by hand, backward() never called
    ("y.backward()\nw_grad = w.grad.clone()", "w.grad = torch.tensor(4.0)\nw_grad = w.grad.clone()",
     {"autograd": "grad"}),
    ("        x = F.relu(self.layer1(x))\n", "        x = self.layer1(x)\n", {"module": "value"}),
    ("            optimizer.step()\n", "", {"training_loop": "api"}),
    ("lr=0.001)", "lr=0.0)", {"training_loop": "train"}),
]


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize(("old", "new", "expected"), WRONG, ids=[w[0][:20] for w in WRONG])
async def test_wrong_reference_sheet_fails_on_expected_check(grader, curriculum, old, new,
                                                             expected):
    source = curriculum.get("6.3.1").reference
    assert old in source, old
    result = await grader.grade("6.3.1", source.replace(old, new, 1), seed=SEED)
    assert result["status"] == "failed", (result.get("message"), result["checks"])
    assert _failed(result) == expected, result["checks"]


FINAL_WRONG = [
    ("nn.Linear(in_features, hidden), nn.BatchNorm1d(hidden),", "nn.Linear(in_features, hidden),",
     {"model_data": "module"}),
    ("nn.Dropout(dropout),\n            nn.Linear(hidden, hidden)", "nn.Dropout(0.2),\n"
     "            nn.Linear(hidden, hidden)", {"model_data": "module"}),
    ("            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)\n", "",
     {"fit": "api"}),
    ("            if bad >= patience:", "            if bad >= 999:", {"fit": "train"}),
    ("            return self.features[idx]\n", "            return self.features\n",
     {"model_data": "value"}),
    # layer order is part of the contract: ReLU before BatchNorm, or no ReLU at all
    ("nn.Linear(in_features, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),",
     "nn.Linear(in_features, hidden), nn.ReLU(), nn.BatchNorm1d(hidden),",
     {"model_data": "module"}),
    ("nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),",
     "nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden),", {"model_data": "module"}),
    # a shallow copy of the "best" weights: the model ends with the last epoch's weights
    ("copy.deepcopy(model.state_dict())", "model.state_dict().copy()", {"fit": "train"}),
]


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize(("old", "new", "expected"), FINAL_WRONG,
                         ids=[str(i) for i in range(len(FINAL_WRONG))])
async def test_wrong_final_test_fails_on_expected_check(grader, curriculum, old, new, expected):
    source = curriculum.get("final.1").reference
    assert old in source, old
    result = await grader.grade("final.1", source.replace(old, new, 1), seed=SEED)
    assert result["status"] == "failed", (result.get("message"), result["checks"])
    assert _failed(result) == expected, result["checks"]


CAPSTONE_WRONG = [
    ("(-(1 - log_p.exp()) ** gamma * log_p).mean()", "(-log_p).mean()", {"loss": "value"}),
    ("    return x.grad.abs()", "    return x.grad", {"saliency": "value"}),
    ("        confusion[t, p] += 1", "        confusion[p, t] += 1", {"evaluation": "value"}),
    ("            loss = focal_loss(model(train_x[i:i + 64]), train_y[i:i + 64])",
     "            loss = F.cross_entropy(model(train_x[i:i + 64]), train_y[i:i + 64])",
     {"training": "api"}),
    ("            optimizer.step()\n", "", {"training": "api"}),
]


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize(("old", "new", "expected"), CAPSTONE_WRONG,
                         ids=[str(i) for i in range(len(CAPSTONE_WRONG))])
async def test_wrong_capstone_fails_on_expected_check(grader, curriculum, old, new, expected):
    source = curriculum.get("6.2.1").reference
    assert old in source, old
    result = await grader.grade("6.2.1", source.replace(old, new, 1), seed=SEED)
    assert result["status"] == "failed", (result.get("message"), result["checks"])
    assert _failed(result) == expected, result["checks"]


def test_week6_schedule_covers_every_item_once_in_challenge_order(curriculum):
    week6 = {e.id for e in curriculum.exercises.values() if e.week == 6}
    posted = [i for day in range(36, 43) for i in curriculum.schedule.get(day, [])]
    assert sorted(posted) == sorted(week6)
    assert all(curriculum.schedule.get(day) for day in range(36, 43))
    day_of = {i: d for d in range(36, 43) for i in curriculum.schedule.get(d, [])}
    # the seed's progression: challenge 1, then 2, … 5, each part a before b
    order = ["6.1.1", "6.1.2", "6.1.3a", "6.1.3b", "6.1.4a", "6.1.4b", "6.1.5a", "6.1.5b"]
    assert [day_of[i] for i in order] == sorted(day_of[i] for i in order)


def test_week6_challenges_have_the_seeds_time_limits(curriculum):
    limits = {"6.1.1": 10, "6.1.2": 15, "6.1.3a": 20, "6.1.3b": 20, "6.1.4a": 25, "6.1.4b": 25,
              "6.1.5a": 30, "6.1.5b": 30}
    for i, minutes in limits.items():
        ex = curriculum.get(i)
        assert ex.kind == "challenge" and ex.time_limit_min == minutes, i
    assert curriculum.get("6.1.5a").device == "cuda" and curriculum.get("6.1.5b").device == "cuda"
