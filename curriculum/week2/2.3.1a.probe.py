"""2.3.1a: flatten_for_mlp on channel-last batches made channel-first *by a permute*
(not contiguous, as in the exercise: `.view` fails there) and on contiguous ones."""


def flatten_permuted(ns, inputs):
    if "flatten_for_mlp" not in ns:
        raise NameError("name 'flatten_for_mlp' is not defined")
    fn = ns["flatten_for_mlp"]
    out = []
    for images, from_hwc in inputs:
        x = images.permute(0, 3, 1, 2) if from_hwc else images
        try:
            out.append({"ok": fn(x)})
        except Exception as exc:
            out.append({"raised": [c.__name__ for c in type(exc).__mro__],
                        "message": str(exc)[:300]})
    return out
