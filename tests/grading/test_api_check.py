"""The API check judges the expression that actually produced the bound value.

Decoys — a dead branch holding the right call, the right call built and
thrown away in the same statement — must fail; the styles a learner
honestly writes (a helper name, a method chain, arithmetic with constants,
a loop) must pass.
"""

from __future__ import annotations

import textwrap

import pytest

from grader.checks.api import check_api, index_source

ASYNC = pytest.mark.asyncio(loop_scope="session")
ZEROS = ["torch.zeros"]

DECOYS = {
    "discarded-in-a-tuple": "zeros_1 = (torch.zeros(0), torch.full((3, 4), 0.0))[1]",
    "dead-branch-after": """
        zeros_1 = torch.full((3, 4), 0.0)
        if False:
            zeros_1 = torch.zeros(3, 4)
    """,
    "dead-branch-nested": """
        zeros_1 = torch.full((3, 4), 0.0)
        if 0:
            for _ in range(1):
                zeros_1 = torch.zeros(3, 4)
    """,
    "main-block": """
        zeros_1 = torch.full((3, 4), 0.0)
        if __name__ == "__main__":
            zeros_1 = torch.zeros(3, 4)
    """,
    "tuple-through-a-name": """
        pair = (torch.zeros(0), torch.full((3, 4), 0.0))
        zeros_1 = pair[1]
    """,
    "operand-of-another-call": "zeros_1 = torch.full((3, 4), 0.0).add(torch.zeros(1))",
    "added-to-another-tensor": "zeros_1 = torch.full((3, 4), 0.0) + torch.zeros(1)",
    "new-tensor-from-a-zeros": "zeros_1 = torch.zeros(1).new_full((3, 4), 0.0)",
    "inside-a-function-only": """
        def make():
            return torch.full((3, 4), 0.0)
        def unused():
            return torch.zeros(3, 4)
        zeros_1 = make()
    """,
}

HONEST = {
    "plain": "zeros_1 = torch.zeros(3, 4)",
    "through-a-name": "x = torch.zeros(3, 4)\nzeros_1 = x",
    "method-chain": "zeros_1 = torch.zeros(3, 4).float()",
    "alias": "import torch as t\nzeros_1 = t.zeros(3, 4)",
    "from-import": "from torch import zeros\nzeros_1 = zeros(3, 4)",
    "unpacking": "zeros_1, other = torch.zeros(3, 4), 5",
    "arithmetic-with-constants": "zeros_1 = torch.zeros(3, 4) * 2 + 0",
    "augmented": "zeros_1 = torch.zeros(3, 4)\nzeros_1 += 0",
    "reshaped": "zeros_1 = torch.zeros(12).reshape(3, 4)",
    "annotated": "zeros_1: torch.Tensor = torch.zeros(3, 4)",
    "rebound-later-in-a-live-branch": """
        zeros_1 = torch.ones(3, 4)
        if True:
            zeros_1 = torch.zeros(3, 4)
    """,
}


def _index(code: str):
    return index_source("import torch\n" + textwrap.dedent(code))


@pytest.mark.parametrize("code", DECOYS.values(), ids=DECOYS.keys())
def test_decoys_fail(code):
    ok, message = check_api(_index(code), "zeros_1", ZEROS, [])
    assert not ok and "torch.zeros()" in message


@pytest.mark.parametrize("code", HONEST.values(), ids=HONEST.keys())
def test_honest_styles_pass(code):
    assert check_api(_index(code), "zeros_1", ZEROS, []) == (True, "")


def test_data_flow_through_a_loop():
    """3.1.5's contract: ``h`` updated with tanh in a loop, then ``h_19 = h``."""
    index = _index("""
        h = torch.zeros(4)
        for t in range(20):
            h = torch.tanh(h + 1)
        h_19 = h
    """)
    assert "torch.tanh" in index.produced_by["h_19"]
    assert check_api(index, "h_19", ["torch.tanh"], []) == (True, "")


def test_method_requirement_and_receiver_both_count():
    index = _index("tensor_5 = torch.tensor([True, False]).numpy()")
    assert check_api(index, "tensor_5", ["torch.tensor", ".numpy"], []) == (True, "")
    index = _index("tensor_5 = torch.as_tensor([True, False]).numpy()")
    ok, message = check_api(index, "tensor_5", ["torch.tensor", ".numpy"], [])
    assert not ok and "torch.as_tensor" in message


def test_calls_by_name_follow_source_order_and_skip_dead_code():
    index = _index("""
        if False:
            x = torch.arange(3)
        x = torch.ones(2)
        def f():
            x = torch.rand(1)
            if False:
                torch.linalg.solve(a, b)
            return x
    """)
    assert index.calls_by_name["x"] == [{"torch.ones", ".ones"}]
    assert "torch.rand" in index.calls_by_name["f"][-1]
    assert "torch.linalg.solve" not in index.all_calls and "torch.arange" not in index.all_calls


def test_a_function_built_through_its_own_helpers():
    """1.3.1: ``solve_linear_system`` delegating to a helper that calls
    ``torch.linalg.solve`` is built with it; a helper that is defined but never
    called, or a helper that does something else, is not."""
    helper = textwrap.dedent("""
        def _checked_solve(A, b):
            try:
                return torch.linalg.solve(A, b)
            except RuntimeError as e:
                raise ValueError("A is singular") from e
    """)
    calls = helper + "\ndef solve_linear_system(A, b):\n    return _checked_solve(A, b)\n"
    assert check_api(_index(calls), "solve_linear_system", ["torch.linalg.solve"], []) \
        == (True, "")
    two_deep = calls + "\ndef outer(A, b):\n    return solve_linear_system(A, b)\n"
    assert check_api(_index(two_deep), "outer", ["torch.linalg.solve"], []) == (True, "")
    unused = helper + "\ndef solve_linear_system(A, b):\n    return torch.inverse(A) @ b\n"
    ok, message = check_api(_index(unused), "solve_linear_system", ["torch.linalg.solve"], [])
    assert not ok and "torch.inverse" in message
    recursive = "def f(x):\n    return f(x - 1) if x else torch.ones(1)\n"
    ok, _ = check_api(_index(recursive), "f", ["torch.zeros"], [])
    assert not ok


def test_a_torch_function_and_its_tensor_method_are_one_operation():
    """1.3.3: ``theta.cos()`` is ``torch.cos(theta)``; ``torch.permute`` is ``.permute``."""
    rotation = """
        def create_rotation_matrix(angle):
            theta = torch.tensor(angle * 3.14159 / 180)
            c, s = theta.cos(), theta.sin()
            return torch.stack([torch.stack([c, -s]), torch.stack([s, c])])
    """
    assert check_api(_index(rotation), "create_rotation_matrix",
                     ["torch.cos", "torch.sin"], []) == (True, "")
    assert check_api(_index("p = torch.permute(x, (1, 0))"), "p", [".permute"], []) \
        == (True, "")
    # a module's function of that name is not the tensor method
    ok, _ = check_api(_index("import math\nc = torch.tensor(math.cos(0.5))"), "c",
                      ["torch.cos"], [])
    assert not ok
    assert check_api(_index("c = (x * 2).cos()"), "c", ["torch.cos"], []) == (True, "")
    # no method of that name, or not a top-level function: no other spelling
    ok, _ = check_api(_index("z = x.new_zeros(3)"), "z", ["torch.zeros"], [])
    assert not ok
    ok, _ = check_api(_index("s = A.solve(b)"), "s", ["torch.linalg.solve"], [])
    assert not ok


def test_no_binding_and_syntax_errors():
    ok, message = check_api(_index("print(torch.zeros(3))"), "zeros_1", ZEROS, [])
    assert not ok and "couldn't find a statement" in message
    assert not index_source("zeros_1 = (").syntax_ok


# ------------------------------------------------------------ real grading


@ASYNC
@pytest.mark.parametrize("decoy", ["discarded-in-a-tuple", "dead-branch-after"])
async def test_decoys_fail_real_grading_of_1_1_1(grader, curriculum, decoy):
    reference = curriculum.get("1.1.1").reference
    assert "zeros_1 = torch.zeros(3, 4)" in reference
    source = reference.replace("zeros_1 = torch.zeros(3, 4)",
                               textwrap.dedent(DECOYS[decoy]).strip())
    result = await grader.grade("1.1.1", source)
    assert result["status"] == "failed" and result["score"] == 9, result
    (failed,) = [c for c in result["checks"] if c["status"] == "failed"]
    assert failed["id"] == "zeros_1" and failed["kind"] == "api"
    assert "torch.zeros()" in failed["message"]


@ASYNC
async def test_honest_styles_pass_real_grading_of_1_1_1(grader, curriculum):
    reference = curriculum.get("1.1.1").reference
    source = reference.replace("zeros_1 = torch.zeros(3, 4)",
                               "x = torch.zeros(3, 4)\nzeros_1 = x")
    source = source.replace("zeros_2 = torch.zeros(2, 3, 4)",
                            "zeros_2 = torch.zeros(24).reshape(2, 3, 4)")
    result = await grader.grade("1.1.1", source)
    assert result["status"] == "passed", result


def test_a_builtin_conversion_keeps_the_call_that_made_the_value():
    """``bool(torch.allclose(a, b))`` (the prompt says the result is a Python bool) is
    built with torch.allclose; a conversion of something else is not."""
    ok = index_source("import torch\nmatch = bool(torch.allclose(a, b))\n"
                      "n = int(torch.numel(x))\n")
    assert check_api(ok, "match", ["torch.allclose"], [])[0]
    assert check_api(ok, "n", ["torch.numel"], [])[0]
    bad = index_source("import torch\nmatch = bool(1)\nother = bool(torch.equal(a, b))\n")
    assert not check_api(bad, "match", ["torch.allclose"], [])[0]
    assert not check_api(bad, "other", ["torch.allclose"], [])[0]
    shadowed = index_source("import torch\nfrom numpy import bool_ as bool\n"
                            "match = bool(torch.allclose(a, b))\n")
    assert not check_api(shadowed, "match", ["torch.allclose"], [])[0]


def test_a_comparison_with_true_or_false_keeps_the_call_that_made_the_value():
    """2.2.4: ``torch.allclose(…) == True`` failed the API check though its value is the
    call's (``bool(torch.allclose(…))`` passed). A comparison with a bool constant keeps
    the producer, either way round and for ==, !=, is and is not; any other comparison
    does not."""
    ok = index_source("import torch\n"
                      "a1 = torch.allclose(a, b) == True\n"
                      "a2 = True == torch.allclose(a, b)\n"
                      "a3 = torch.allclose(a, b) != False\n"
                      "a4 = torch.allclose(a, b) is True\n"
                      "a5 = torch.allclose(a, b) is not False\n"
                      "a6 = (torch.allclose(a, b) == True) == True\n"
                      "m = torch.allclose(a, b)\na7 = m == True\n")
    for name in ("a1", "a2", "a3", "a4", "a5", "a6", "a7"):
        assert check_api(ok, name, ["torch.allclose"], []) == (True, ""), name
    bad = index_source("import torch\n"
                       "b1 = torch.equal(a, b) == True\n"
                       "b2 = torch.allclose(a, b) == torch.equal(a, b)\n"
                       "b3 = torch.allclose(a, b) == 1\n"
                       "b4 = True == True\n"
                       "b5 = torch.allclose(a, b) < True\n")
    for name in ("b1", "b2", "b3", "b4", "b5"):
        assert not check_api(bad, name, ["torch.allclose"], [])[0], name


@ASYNC
async def test_allclose_compared_with_true_passes_real_grading_of_2_2_4(grader, curriculum):
    source = curriculum.get("2.2.4").reference
    old = "match_23 = torch.allclose(manual_23, auto_23)\n"
    assert old in source
    result = await grader.grade("2.2.4", source.replace(
        old, "match_23 = torch.allclose(manual_23, auto_23) == True\n"))
    assert result["status"] == "passed", result["checks"]


def test_an_operator_for_the_asked_call_is_named():
    """6.3.1: ``matmul = a @ b`` where ``torch.matmul`` is asked said "found torch.tensor"
    (what made the operands); it names the operator instead."""
    index = index_source("import torch\na = torch.tensor([[1.0]])\nmatmul = a @ a\n"
                         "zeros_1 = torch.full((3,), 0.0) + 0\n")
    ok, message = check_api(index, "matmul", ["torch.matmul"], [])
    assert not ok and "`@` operator" in message and "torch.tensor" not in message
    ok, message = check_api(index, "zeros_1", ["torch.zeros"], [])
    assert not ok and "found torch.full" in message


def _walks(monkeypatch, source: str):
    """(the source's index, nodes its reading visited / nodes in its tree)."""
    import ast

    import grader.checks.api as api

    visits = 0
    visit = api._LiveCalls.visit

    def counting(self, node):
        nonlocal visits
        visits += 1
        return visit(self, node)

    monkeypatch.setattr(api._LiveCalls, "visit", counting)
    index = index_source(source)
    return index, visits / sum(1 for _ in ast.walk(ast.parse(source)))


def test_thousands_of_functions_calling_each_other_are_read_in_one_walk(monkeypatch):
    """64 KB of ~1,500 functions calling each other took ~1.5 s of CPU: every name's
    helpers were followed (up to 50 of them) by walking their bodies again, ~77,000
    body walks. Each node of the tree is visited once now; what a name is built
    with does not change (helpers still followed in name order, at most 50)."""
    n = 1500
    source = "import torch\n" + "".join(
        f"def f{i}():\n    return f{i - 1}() + f{(i * 7) % n}()\n" for i in range(1, n))
    source += "def f0():\n    return torch.zeros(1)\n"
    assert 50_000 < len(source) <= 64 * 1024
    index, walks = _walks(monkeypatch, source)
    assert walks <= 1, walks  # was ~50 times the tree
    assert "torch.zeros" in index.produced_by["f1"] and "f2" in index.all_calls
    chain = index_source("import torch\ndef f0():\n    return torch.zeros(1)\n" + "".join(
        f"def f{i}():\n    return f{i - 1}()\n" for i in range(1, 60)))
    assert "torch.zeros" in chain.produced_by["f50"]  # 50 helpers followed: f49 … f0
    assert "torch.zeros" not in chain.produced_by["f51"]


def test_one_value_unpacked_into_thousands_of_names_is_read_once(monkeypatch):
    """``a0, …, a999 = [t.zeros(1), …]`` (12 KB) took ~6 s of CPU, and 31 KB ~40 s: the
    whole value was walked again for each name it binds. It is walked once for all."""
    n = 1000
    source = ("import torch as t\n" + ",".join(f"a{i}" for i in range(n)) + " = ["
              + ",".join(["t.zeros(1)"] * (n - 1) + ["t.ones(1)"]) + "]\n")
    index, walks = _walks(monkeypatch, source)
    assert walks <= 2, walks  # the statement (every call) and its value (per name)
    assert index.calls_by_name["a0"] == [{"torch.zeros", "torch.ones", ".zeros", ".ones"}]
    assert index.produced_by["a0"] == {"torch.zeros", ".zeros"}
    assert index.produced_by[f"a{n - 1}"] == {"torch.ones", ".ones"}


def test_thousands_of_names_bound_to_one_huge_list_read_it_once(monkeypatch):
    """A 64 KB attack: one list of 15,000 names, then 3,600 names bound to it. Each name's
    data flow walked the whole list again (~54 million nodes, 18 s of the trusted side's
    CPU per submission; a few of them stalled a grader service for minutes). What a
    binding was built with is worked out once for all names, and one submission's data
    flow visits a bounded number of nodes in all."""
    import grader.checks.api as api

    source = ("import torch\nt = torch.zeros(1)\nx = [" + ",".join(["t"] * 15_000) + "]\n"
              + "".join(f"y{i} = x\n" for i in range(3_600)))
    assert len(source) <= 64 * 1024
    visits = 0
    real_of = api._DataFlow.of

    def counted(self, node, position):  # type: ignore[no-untyped-def]
        nonlocal visits
        visits += 1
        return real_of(self, node, position)

    monkeypatch.setattr(api._DataFlow, "of", counted)
    index = index_source(source)
    assert visits <= api._VISIT_BUDGET + 10_000, visits  # was ~54 million
    assert len(index.produced_by) == 3_603  # torch (imported), t, x and the y names
    honest = index_source("import torch\nt = torch.zeros(3)\nx = [t, t]\ny = x\nz = y[0]\n")
    assert "torch.zeros" in honest.produced_by["z"] and "torch.zeros" in honest.produced_by["y"]


def test_a_pure_call_whose_result_is_thrown_away_is_not_a_use():
    """3.2.2's stop_gradient asked for ``x.detach()`` in the loss: a bare ``x.detach()``
    on a line of its own next to ``(x * x).sum() / 2`` passed. A call that only computes
    a value does not count when its value is dropped; calls with an effect still do
    (``model.to(device)`` moves the parameters, ``loss.backward()``), and so do the calls
    inside a dropped one's receiver and arguments."""
    source = textwrap.dedent("""
        import torch

        def stop_gradient(x):
            loss = (x * x).sum() / 2
            loss.backward()
            x.detach()
            torch.matmul(x, x)
            return x.grad

        def moved(model, device):
            model.to(device)
            model.float()
            torch.manual_seed(0)
            torch.zeros(3, out=device)
            return model

        def inner(x):
            x.clone().sum()
            return x

        def can_expand(t, shape):
            try:
                t.expand(*shape)
            except RuntimeError:
                return False
            return True
    """)
    index = index_source(source)
    stop = index.calls_by_name["stop_gradient"][-1]
    assert ".backward" in stop and ".detach" not in stop and "torch.matmul" not in stop
    moved = index.calls_by_name["moved"][-1]
    assert {".to", ".float", "torch.manual_seed", "torch.zeros"} <= moved
    assert ".clone" in index.calls_by_name["inner"][-1]
    assert ".sum" not in index.calls_by_name["inner"][-1]
    assert ".expand" in index.calls_by_name["can_expand"][-1]  # tried for its error: a use


def test_a_function_that_does_not_call_the_api_is_told_to_call_it():
    """2.3.1a: a function using ``movedim`` for the asked ``permute`` was told "the value
    bound to `convert_hwc_to_chw` has to come from that call", words for a variable."""
    source = textwrap.dedent("""
        import torch

        def convert_hwc_to_chw(images):
            return images.movedim(-1, 1)
        value = torch.ones(3)
    """)
    index = index_source(source)
    ok, message = check_api(index, "convert_hwc_to_chw", [".permute"], [])
    assert not ok and message.startswith("`convert_hwc_to_chw` must call `x.permute()`")
    assert "bound to" not in message
    ok, message = check_api(index, "value", ["torch.zeros"], [])
    assert not ok and "the value bound to `value` has to come from that call" in message


@pytest.mark.parametrize("patch", [
    "torch.zeros = lambda *s, dtype=None: torch.ones(*s, dtype=dtype) * 0",
    "setattr(torch, 'zeros', lambda *s: torch.ones(*s) * 0)",
    "torch.__dict__['zeros'] = lambda *s: torch.ones(*s) * 0",
    "import sys\nsys.modules['torch'].zeros = lambda *s: torch.ones(*s) * 0",
    "from torch import zeros\nzeros = lambda *s: torch.ones(*s) * 0",
])
def test_a_source_that_rebinds_a_torch_function_passes_no_api_check(patch: str) -> None:
    """An attack: ``torch.zeros = lambda …: torch.ones(…) * 0``, then ``torch.zeros(…)``
    as asked: the check read the calls as torch's own and passed 1.1.1's variants 6–10."""
    index = index_source(f"import torch\n{patch}\nzeros_6 = torch.zeros(2, 2)\n"
                         "ones_1 = torch.ones(3)\n")
    ok, message = check_api(index, "zeros_6", ZEROS, [])
    assert not ok and message.startswith("your code rebinds `"), message
    ok, message = check_api(index, "ones_1", ["torch.ones"], [])
    # torch.zeros alone rebound: torch.ones is still torch's; a whole module: nothing is
    assert ok == ("zeros" in patch and "__dict__" not in patch and "setattr" not in patch
                  and "sys.modules" not in patch), message


def test_settings_and_tensors_may_be_assigned() -> None:
    """Reproducibility settings are attributes of torch, not functions it provides."""
    index = index_source("import torch\nimport sys\ntorch.backends.cudnn.deterministic = True\n"
                         "sys.stdout = sys.stderr\nzeros_1 = torch.zeros(3)\nzeros_1[0] = 0\n")
    assert check_api(index, "zeros_1", ZEROS, []) == (True, "")


def test_a_forbidden_call_one_helper_away_is_still_made() -> None:
    """2.3.2c: ``.repeat`` is forbidden in batch_bias_addition; moved into a module-level
    helper it passed (the forbid list read the function's own body only)."""
    from types import SimpleNamespace

    from curriculum.judges.source import calls_in

    index = index_source(textwrap.dedent("""
        def _expand_rows(t, n):
            return t.repeat(n, 1)

        def batch_bias_addition(features, bias):
            return features + _expand_rows(bias.unsqueeze(0), features.shape[0])

        rows = 3
    """))
    ctx = SimpleNamespace(source=index)
    assert ".repeat" in calls_in(ctx, "batch_bias_addition")
    assert ".repeat" not in calls_in(ctx, "rows")


@pytest.mark.parametrize("rebind", [
    "[(zeros_1 := torch.full((3, 4), 0.0))]",
    "for zeros_1 in [torch.full((3, 4), 0.0)]:\n    pass",
    "import contextlib\nwith contextlib.nullcontext(torch.full((3, 4), 0.0)) as zeros_1:\n"
    "    pass",
    "from torch import ones as zeros_1",
    "globals()['zeros_1'] = torch.full((3, 4), 0.0)",
    "g = vars()\ng['zeros_1'] = torch.full((3, 4), 0.0)",
    "exec('zeros_1 = torch.full((3, 4), 0.0)')",
    "__import__(__name__).zeros_1 = torch.full((3, 4), 0.0)",
    "import sys\nsys.modules[__name__].zeros_1 = torch.full((3, 4), 0.0)",
    "def f():\n    global zeros_1\n    zeros_1 = torch.full((3, 4), 0.0)\nf()",
    "import builtins\nbuiltins.globals().update(zeros_1=torch.full((3, 4), 0.0))",
    "(lambda: 0).__globals__['zeros_1'] = torch.full((3, 4), 0.0)",
    "import sys\nsys._getframe().f_globals['zeros_1'] = torch.full((3, 4), 0.0)",
])
def test_a_name_rebound_past_the_checks_sight_is_not_built_with_the_call(rebind: str) -> None:
    """An attack: bind ``zeros_1 = torch.zeros(1)``, then rebind it in a way the check
    did not read as a binding (a walrus, a ``for`` or ``with`` target, ``globals()``,
    ``vars()``, a function's ``global``…) to a value built otherwise: 1.1.1 passed
    10/10 with ``torch.full``."""
    index = index_source(f"import torch\nzeros_1 = torch.zeros(1)\n{rebind}\n")
    ok, message = check_api(index, "zeros_1", ZEROS, [])
    assert not ok, message


@pytest.mark.parametrize("honest", [
    "zeros_1 = torch.zeros(3, 4)\nfor i in range(3):\n    total = i",
    "zeros_1 = torch.zeros(3, 4)\nprint(vars(zeros_1) if False else zeros_1.shape)",
    "with torch.no_grad():\n    zeros_1 = torch.zeros(3, 4)",
    "[(n := 3)]\nzeros_1 = torch.zeros(n, 4)",
    "model = torch.nn.Linear(2, 2)\nmodel.eval()\nzeros_1 = torch.zeros(3, 4)",
    "zeros_1 = torch.zeros(3, 4)\nprint(__import__('os').getpid())",
])
def test_loops_contexts_and_other_names_leave_the_check_as_it_was(honest: str) -> None:
    """What learners honestly write next to the name still passes: loops and walruses
    binding other names, ``with torch.no_grad():`` around the binding, ``vars(obj)``,
    a model's ``.eval()`` (not the builtin)."""
    index = index_source(f"import torch\n{honest}\n")
    assert check_api(index, "zeros_1", ZEROS, []) == (True, ""), honest


@pytest.mark.parametrize(("body", "seen"), [
    ('getattr(bias, "repeat")(4, 1)', ".repeat"),
    ('getattr(torch, "cdist")(x, x)', "torch.cdist"),
    ('bias.__getattribute__("repeat")(4, 1)', ".repeat"),
    ('operator.methodcaller("repeat", 4, 1)(bias)', ".repeat"),
    ('getattr(bias, "re" + "peat")(4, 1)', "getattr(…)"),
])
def test_a_call_looked_up_by_name_is_still_that_call(body: str, seen: str) -> None:
    """An attack: 2.3.2c forbids ``.repeat`` and ``torch.cdist``; reached through
    ``getattr(bias, "re" + "peat")`` they passed. A name given as text is the call it
    names; a computed one could be anything, so a forbid list cannot pass it."""
    from types import SimpleNamespace

    from curriculum.judges.source import calls_in

    source = f"import operator\nimport torch\n\ndef f(bias, x):\n    return {body}\n"
    index = index_source(source)
    assert seen in calls_in(SimpleNamespace(source=index, source_text=source), "f")
    ok, message = check_api(index, "f", [], [".repeat", "torch.cdist"])
    assert not ok, message
