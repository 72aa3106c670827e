"""Exercise 5.2 (advanced training applications): wrong solutions fail where expected."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")

SEED = 777

SEED_STYLE_FGSM = '''
def generate_adversarial_examples(model, data, target, epsilon=0.1):
    data.requires_grad_(True)
    outputs = model(data)
    loss = F.cross_entropy(outputs, target)
    model.zero_grad()
    loss.backward()
    adversarial_data = data + epsilon * data.grad.sign()
    return torch.clamp(adversarial_data, 0, 1).detach()


def adversarial_training_loop('''


INLINE_ATTACK = (
    "            xx = data.clone().requires_grad_(True)\n"
    "            criterion(model(xx), target).backward()\n"
    "            adversarial = (xx + epsilon * xx.grad.sign()).clamp(0, 1).detach()\n")
INLINE_ATTACK_AFTER_ZERO = "            optimizer.zero_grad()\n" + INLINE_ATTACK


def _failed(result: dict) -> dict[str, str]:
    return {c["id"]: c["kind"] for c in result["checks"] if c["status"] != "passed"}


def _replace(source: str, old: str, new: str) -> str:
    assert old in source, old
    return source.replace(old, new, 1)


WRONG = [
    ("5.2.4", [("epsilon * grad.sign()", "epsilon * grad"),
               ("            output_adv = model(adversarial)\n", ""),
               ("0.5 * criterion(output_clean, target) + 0.5 * criterion(output_adv, target)",
                "criterion(output_clean, target)")],
     {"fgsm": "value", "adv_training": "value"}),
    # the attack's backward after zero_grad: its parameter gradients leak into the update
    ("5.2.4", [("            adversarial = generate_adversarial_examples(model, data, target, "
                "epsilon)\n            optimizer.zero_grad()\n", INLINE_ATTACK_AFTER_ZERO)],
     {"adv_training": "train"}),
    # the seed's FGSM: grads left in the model, and the caller's batch now requires grad
    ("5.2.4", "seed_fgsm", {"fgsm": "grad", "adv_training": "value"}),
    ("5.2.5", [("loss = criterion(output, target) / self.accumulation_steps",
                "loss = criterion(output, target)"),
               ("torch.stack(grads).mean(dim=0)", "torch.stack(grads).sum(dim=0)"),
               ("if len(queue) > staleness:", "if len(queue) > 0:")],
     {"accumulation": "value", "all_reduce": "value", "staleness": "value"}),
    ("5.2.5", [("                if (batch_idx + 1) % self.accumulation_steps == 0:\n"
                "                    optimizer.step()\n                    optimizer.zero_grad()\n",
                "                optimizer.step()\n                optimizer.zero_grad()\n"),
               ("        return averaged\n",
                "        for param in self.model.parameters():\n"
                "            if param.grad is not None:\n"
                "                param.grad.add_(torch.randn_like(param.grad) * 1e-6)\n")],
     {"accumulation": "api", "all_reduce": "type"}),
    ("5.2.3", [("copy.deepcopy(self.model.state_dict())", "self.model.state_dict().copy()"),
               ("clipped = total_grad_norm > 10.0", "clipped = total_grad_norm > 0.0"),
               ("return data + torch.randn_like(data) * noise_std",
                "return data.add_(torch.randn_like(data) * noise_std)")],
     {"monitoring": "value", "early_stopping": "value", "noise": "value"}),
    ("5.2.3", [("        if torch.isnan(loss) or torch.isinf(loss):\n            return None\n",
                ""),
               ("self.early_stopping_patience = 10", "self.early_stopping_patience = 5"),
               ("noise_std = self.noise_schedule(epoch)", "noise_std = self.noise_std")],
     {"monitoring": "value", "early_stopping": "value", "noise": "value"}),
    ("5.2.2", [("0.7 * (1.0 - max_probs) + 0.3 * individual_losses",
                "0.3 * (1.0 - max_probs) + 0.7 * individual_losses"),
               ("        indices = schedule[epoch]\n", "        indices = list(range(300))\n")],
     {"scoring": "value", "curriculum_training": "value"}),
    ("5.2.2", [("order = torch.argsort(scores).tolist()",
                "order = torch.argsort(scores, descending=True).tolist()"),
               ("            optimizer.zero_grad()\n", "")],
     {"scoring": "value", "curriculum_training": "api"}),
    # the seed's balancing: plain sum of the raw losses, sigma never used or learned
    ("5.2.1", [("total = total + task_losses[name] / (2 * sigma ** 2) + torch.log(sigma)",
                "total = total + task_losses[name]")],
     {"balancing": "value", "multitask_training": "value"}),
    ("5.2.1", [(" + torch.log(sigma)", ""),
               ("[*model.parameters(), self.uncertainty_weights]", "model.parameters()")],
     {"balancing": "value", "multitask_training": "value"}),
]


@pytest.mark.slow
@pytest.mark.parametrize(("exercise_id", "edits", "expected"), WRONG,
                         ids=[f"{w[0]}-{i}" for i, w in enumerate(WRONG)])
async def test_wrong_solutions_fail(grader, curriculum, exercise_id, edits, expected):
    source = curriculum.get(exercise_id).reference
    if edits == "seed_fgsm":
        start = source.index("def generate_adversarial_examples(")
        end = source.index("def adversarial_training_loop(")
        source = source[:start] + SEED_STYLE_FGSM.strip() + source[end + len(
            "def adversarial_training_loop("):]
    else:
        for old, new in edits:
            source = _replace(source, old, new)
    result = await grader.grade(exercise_id, source, seed=SEED)
    assert result["status"] in ("failed", "error"), result["message"]
    assert _failed(result) == expected, [(c["id"], c["kind"], c["message"][:160])
                                         for c in result["checks"]]


async def test_curriculum_data_is_equally_hard_on_every_seed(curriculum):
    """5.2.2's class means sit at a fixed distance, so its threshold holds on any seed."""
    import numpy as np

    scope: dict = {}
    exec(compile(curriculum.get("5.2.2").checks_source, "5.2.2.checks.py", "exec"), scope)
    for seed in range(20):
        means = scope["_simplex_means"](np.random.default_rng(seed))
        dists = [np.linalg.norm(means[i] - means[j]) for i in range(3) for j in range(i + 1, 3)]
        assert np.allclose(dists, 3.5), dists


@pytest.mark.slow
async def test_an_attack_backward_before_zero_grad_is_a_correct_loop(grader, curriculum):
    """FGSM through the model's own backward, then zero_grad, then the update: the
    update sees only its own gradients (the check reads the last backward before
    each step, not the first after the previous one)."""
    source = _replace(curriculum.get("5.2.4").reference,
                      "            adversarial = generate_adversarial_examples(model, data, "
                      "target, epsilon)\n            optimizer.zero_grad()\n",
                      INLINE_ATTACK + "            optimizer.zero_grad()\n")
    result = await grader.grade("5.2.4", source, seed=SEED)
    assert result["status"] == "passed", _failed(result)
