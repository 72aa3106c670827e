"""Checks of 4.3.1c (AttentionLayer): shapes, weights sum to 1, scaled dot-product values."""

from curriculum.judges.compare import at_least, at_most, max_abs_diff


def inputs(rng):
    cases = [(int(rng.integers(2, 7)), int(rng.integers(2, 15)), int(rng.integers(4, 40)),
              int(rng.integers(4, 33))) for _ in range(3)]
    cases.insert(0, (4, 10, 64, 32))   # the seed's example
    return {"seed": int(rng.integers(1, 2**30)), "cases": cases}


def judge_weights(learner, reference, inputs, ctx):
    for (b, t, d, a), g, r in zip(inputs["cases"], learner.value, reference.value, strict=True):
        where = f"AttentionLayer({d}, {a}) on input (batch={b}, seq={t}, {d})"
        if list(g["w"].shape) != list(r["w"].shape):
            return False, (f"{where}: attention weights must have shape (batch, seq, seq) = "
                           f"{tuple(r['w'].shape)}; got {tuple(g['w'].shape)}")
        sums = g["w"].double().sum(-1)
        row_err = max_abs_diff(sums, 1.0 + 0 * sums)
        if not at_most(row_err, 1e-4) or not at_least(float(g["w"].min()), 0.0):
            return False, (f"{where}: each row of the attention weights must be a probability "
                           "distribution over keys (softmax over the last dim): max |row sum - 1|"
                           f" = {row_err:.3g}")
    return True, ""


def judge_output(learner, reference, inputs, ctx):
    for (b, t, d, a), g, r in zip(inputs["cases"], learner.value, reference.value, strict=True):
        where = f"AttentionLayer({d}, {a}) on input (batch={b}, seq={t}, {d})"
        if g["params"] != r["params"]:
            return False, (f"{where}: parameters must be query_projection, key_projection, "
                           f"value_projection, output_projection; found {g['params']}")
        if list(g["out"].shape) != list(r["out"].shape):
            return False, (f"{where}: output must have shape (batch, seq, input_dim) = "
                           f"{tuple(r['out'].shape)}; got {tuple(g['out'].shape)}")
        for key, what in (("w", "the attention weights differ from "
                                "`softmax(Q @ K.transpose(-2, -1) * scale, dim=-1)` with "
                                "`scale = 1 / sqrt(attention_dim)`"),
                          ("out", "the attention weights are right, but the output differs "
                                  "from `output_projection(attention_weights @ V)`")):
            err = max_abs_diff(g[key], r[key])
            if not at_most(err, 1e-4):
                return False, (f"{where}: {what} (max abs error {err:.3g} > 1e-4, with your "
                               "parameters set to fixed values by name)")
    return True, ""
