"""Exercise 3.3 (optimization applications): seed-style and wrong solutions.

Seeds are fixed so the hidden inputs are the same on every run.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")

SEED = 1234


def _failed(result: dict) -> dict[str, str]:
    return {c["id"]: c["kind"] for c in result["checks"] if c["status"] == "failed"}


def _edit(source: str, old: str, new: str) -> str:
    assert old in source, old
    return source.replace(old, new, 1)


SEED_GRID = '''
def find_critical_points(coeffs, x_range=(-10, 10), num_points=1000):
    x_vals = torch.linspace(x_range[0], x_range[1], num_points, requires_grad=True)
    y_vals = polynomial(x_vals, coeffs)
    (grads,) = torch.autograd.grad(y_vals.sum(), x_vals)
    critical_x = x_vals[grads.abs() < 0.01].detach()
    return [(float(x), "min") for x in critical_x]
'''

HARD_CODED_CRIT = '''
def find_critical_points(coeffs, x_range=(-10.0, 10.0)):
    return [(1.0, "max"), (3.0, "min")]
'''

SEED_SPRING = '''
def find_equilibrium(k=1.0, force=0.0, start=1.0, steps=500):
    position = torch.tensor(float(start), requires_grad=True)
    optimizer = torch.optim.Adam([position], lr=0.1)
    for i in range(100):
        optimizer.zero_grad()
        energy = potential_energy(position, k, force)
        energy.backward()
        optimizer.step()
    return position.item()
'''

SEED_PROJECTILE = '''
def find_optimal_angle(v0=20.0, g=9.81, h=0.0, steps=1000):
    angle = torch.tensor(0.5, requires_grad=True)
    optimizer = torch.optim.Adam([angle], lr=0.01)
    for i in range(steps):
        optimizer.zero_grad()
        loss = -range_function(angle, v0, g, h)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            angle.clamp_(0, torch.pi / 2)
    return angle.item(), range_function(angle, v0, g, h).item()
'''


SEED_SURFACE = '''
def find_minimum(f, start_x=0.0, start_y=0.0, learning_rate=0.1, max_iterations=1000,
                 tolerance=1e-6):
    x = torch.tensor(float(start_x), requires_grad=True)
    y = torch.tensor(float(start_y), requires_grad=True)
    losses = []
    for i in range(max_iterations):
        if x.grad is not None:
            x.grad.zero_()
        if y.grad is not None:
            y.grad.zero_()
        loss = f(x, y)
        loss.backward()
        with torch.no_grad():
            x -= 0.01 * x.grad
            y -= 0.01 * y.grad
        losses.append(loss.item())
        if i > 0 and abs(losses[-2] - losses[-1]) < tolerance:
            break
    return x.item(), y.item(), losses[-1]
'''

CLOSED_FORM_SPRING = '''
def find_equilibrium(k=1.0, force=0.0, start=1.0, steps=500):
    return force / k
'''


def _replace_def(source: str, name: str, new_def: str) -> str:
    start = source.index(f"def {name}(")
    end = source.find("\ndef ", start + 1)
    end = len(source) if end == -1 else end + 1
    return source[:start] + new_def.strip() + "\n\n" + source[end:]


async def test_seed_style_projectile_with_adam_passes(grader, curriculum):
    source = _replace_def(curriculum.get("3.3.2a").reference, "find_optimal_angle",
                          SEED_PROJECTILE)
    result = await grader.grade("3.3.2a", source, seed=SEED)
    assert result["status"] == "passed", result["checks"]


# (exercise, kind of edit, args, failing check, kind) or (…, {check: kind, …})
WRONG = [
    ("3.3.1a", "def", ("find_critical_points", SEED_GRID), "find_critical_points", "value"),
    ("3.3.1a", "def", ("find_critical_points", HARD_CODED_CRIT), "find_critical_points",
     "value"),
    ("3.3.1a", "sub", ('kind = "min" if h[0] > 0 else "max"',
                       'kind = "max" if h[0] > 0 else "min"'),
     "find_critical_points", "value"),
    ("3.3.1a", "sub", ("        result = result + coeff * x ** (n - 1 - i)",
                       "        result = result + coeff * x ** i"),
     {"polynomial": "value", "find_critical_points": "value"}),
    ("3.3.1a", "sub", ("    result = torch.zeros_like(x)\n",
                       "    return torch.from_numpy(np.polyval(coeffs, x.detach().numpy()))\n"
                       "    result = torch.zeros_like(x)\n"),
     {"polynomial": "grad", "find_critical_points": "value"}),
    ("3.3.1b", "sub", ("return x**2 + y**2 - x * y + 3 * x",
                       "return x**2 + y**2 - 2 * x * y + 3 * x"),
     "objective_function", "value"),
    ("3.3.1b", "def", ("find_minimum", SEED_SURFACE), "find_minimum", "value"),
    ("3.3.1b", "sub", ("        if x.grad is not None:\n            x.grad.zero_()\n"
                       "            y.grad.zero_()\n", ""), "find_minimum", "value"),
    ("3.3.1b", "sub", ("    with torch.no_grad():\n        value = f(x, y).item()\n"
                       "    return x.item(), y.item(), value",
                       "    return -2 / 3, 5 / 3, 2 / 3"), "find_minimum", "value"),
    ("3.3.2a", "sub", ("    return vx / g * (vy + torch.sqrt(vy**2 + 2 * g * h))",
                       "    return v0**2 * torch.sin(2 * angle) / g"),
     {"range_function": "value", "find_optimal_angle": "value"}),
    ("3.3.2a", "sub", ("    vx = v0 * torch.cos(angle)\n    vy = v0 * torch.sin(angle)",
                       "    vx = v0 * math.cos(angle)\n    vy = v0 * math.sin(angle)\n"
                       "    return vx / g * (vy + math.sqrt(vy**2 + 2 * g * h))"),
     {"range_function": "type", "find_optimal_angle": "value"}),
    ("3.3.2a", "sub", ("    return angle.item(), best",
                       "    return torch.pi / 4, range_function(torch.tensor(torch.pi / 4), "
                       "v0, g, h).item()"), "find_optimal_angle", "value"),
    ("3.3.2b", "def", ("find_equilibrium", SEED_SPRING), "find_equilibrium", "value"),
    ("3.3.2b", "def", ("find_equilibrium", CLOSED_FORM_SPRING), "find_equilibrium", "value"),
    ("3.3.2b", "sub", ("    return 0.5 * k * position**2 - force * position",
                       "    return 0.5 * k * position**2"), "find_equilibrium", "value"),
    ("3.3.2b", "sub", ("    potential_energy = 0.5 * k * position**2",
                       "    potential_energy = k * position**2"), "total_energy", "value"),
]


WRONG = [w if len(w) == 4 else (*w[:3], {w[3]: w[4]}) for w in WRONG]


@pytest.mark.parametrize(("exercise_id", "how", "args", "expected"), WRONG,
                         ids=[f"{w[0]}-{'-'.join(w[3])}-{i}" for i, w in enumerate(WRONG)])
async def test_wrong_solution_fails_on_expected_check(grader, curriculum, exercise_id, how, args,
                                                      expected):
    source = curriculum.get(exercise_id).reference
    if how == "def":
        source = _replace_def(source, *args)
    else:
        source = _edit(source, *args)
    if "np." in source and "import numpy as np" not in source:
        source = "import numpy as np\n" + source
    if "math." in source and "import math" not in source:
        source = "import math\n" + source
    result = await grader.grade(exercise_id, source, seed=SEED)
    assert result["status"] == "failed", (result["message"], result["checks"])
    assert _failed(result) == expected, result["checks"]
