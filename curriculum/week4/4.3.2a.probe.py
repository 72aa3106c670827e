"""4.3.2a: what the checks measure inside the jail, next to the learner's code (data only)."""

import torch


def _x(shape, seed, scale=1.0):
    g = torch.Generator().manual_seed(int(seed))
    return torch.randn(*shape, generator=g) * scale


def _change(y, y0):
    """The largest change of the (mean, std) forecasts y against y0; None if unreadable."""
    try:
        return max(float((a - b).abs().max()) for a, b in zip(y, y0, strict=True))
    except Exception:  # the shapes check reports malformed outputs
        return None


def probe(ns, inputs):
    if "TimeSeriesPredictor" not in ns:
        raise NameError("name 'TimeSeriesPredictor' is not defined")
    cls = ns["TimeSeriesPredictor"]
    out = []
    for i, (b, t, f, h, o, s, steps) in enumerate(inputs["cases"]):
        torch.manual_seed(inputs["seed"] + i)
        m = cls(input_features=f, hidden_dim=h, output_features=o, sequence_length=s)
        m.eval()
        x = _x((b, t, f), inputs["seed"] + 10 + i)
        with torch.no_grad():
            y = m(x, prediction_steps=steps)
            if not isinstance(y, (tuple, list)) or len(y) != 2:
                raise TypeError("forward must return (mean_predictions, std_predictions)")
            mean, std = y
            one = m(x, prediction_steps=1)[0]
            again = m(x, prediction_steps=steps)[0]
            other = m(_x((b, t, f), inputs["seed"] + 20 + i), prediction_steps=steps)[0]
            # each series is forecast on its own: the last series of the batch alone gets the
            # forecast it gets in the batch (an LSTM without batch_first=True mixes the series)
            solo = _change(m(x[-1:], prediction_steps=steps), (mean[-1:], std[-1:]))
            # step 1 comes from the LAST LSTM output: changing only the last time step of x
            # must change it (an output read at step 0, or before the end, would not change)
            last = x.clone()
            last[:, -1] = last[:, -1] + 1.0 + last[:, -1].abs()
            last_dep = _change(m(last, prediction_steps=1), m(x, prediction_steps=1))
            # and it IS mean_head of the last LSTM output (a mean over time also changes)
            lstms = [q for q in m.modules() if isinstance(q, torch.nn.LSTM)]
            head = getattr(m, "mean_head", None)
            direct = None
            if len(lstms) == 1 and callable(head) and one.dim() == 3:
                # an LSTM without batch_first is read time-major (a forward that transposes
                # x for it is right; one that does not is caught by `solo_diff`)
                lstm = lstms[0]
                seq_out = (lstm(x)[0] if lstm.batch_first
                           else lstm(x.transpose(0, 1))[0].transpose(0, 1))
                want = head(seq_out[:, -1])
                if isinstance(want, torch.Tensor) and want.shape == one[:, 0].shape:
                    direct = float((one[:, 0] - want).abs().max())
            big_std = m(x * 25.0, prediction_steps=steps)[1]
            extra = []
            # random re-draws of every parameter: std must stay > 0; the last, large one
            # drives Softplus far below zero, where it underflows to 0 without the + 1e-6
            for r, scale in enumerate((1.0, 1.0, 1.0, 30.0)):
                g = torch.Generator().manual_seed(inputs["seed"] + 100 * i + r)
                for p in m.parameters():
                    p.copy_(torch.randn(p.shape, generator=g) * scale)
                extra.append(m(x, prediction_steps=steps)[1].flatten())
        stds = torch.cat([std.flatten(), big_std.flatten(), *extra])
        out.append({"mean_shape": list(mean.shape), "std_shape": list(std.shape),
                    "std_min": float(stds.min()) if stds.numel() else 1.0,
                    "std_finite": bool(torch.isfinite(stds).all()),
                    "first_step_diff": (float((mean[:, :1] - one[:, :1]).abs().max())
                                        if mean.dim() == 3 and one.dim() == 3 else None),
                    "repeat_diff": float((mean - again).abs().max()),
                    "solo_diff": solo,
                    # how far the later steps move from step 1: each comes from the previous
                    # prediction, so a forecast repeating step 1 ignored the recurrence
                    "later_steps_diff": (float((mean[:, 1:] - mean[:, :1]).abs().max())
                                         if mean.dim() == 3 and mean.shape[1] >= 2 else None),
                    "input_dep": float((mean - other).abs().max()),
                    "last_step_dep": last_dep, "last_output_diff": direct,
                    "types": [type(q).__name__ for q in m.modules()]})
    return out
