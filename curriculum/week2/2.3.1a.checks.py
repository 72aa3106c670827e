"""Checks of 2.3.1a: the seed's example batch plus hidden random batches.

flatten_for_mlp is called, as in the seed, on the *output of a permute* (not
contiguous) as well as on contiguous batches: `.view` fails on the former.
"""


from curriculum.judges.data import randn


def _batch(rng, layout):
    # batch sizes differ from the seed's 4, so a hard-coded batch size cannot pass
    b = int(rng.choice([1, 2, 3, 5, 6]))
    h, w = int(rng.integers(5, 33)), int(rng.integers(5, 33))
    if h == w:
        w += 1
    c = int(rng.choice([1, 3, 4]))
    shape = (b, h, w, c) if layout == "hwc" else (b, c, h, w)
    return randn(rng, *shape)


def make_convert_cases(rng):
    cases = [randn(rng, 4, 224, 224, 3)]  # the seed's test_images
    cases += [_batch(rng, "hwc") for _ in range(3)]
    return [((x,), {}) for x in cases]


def make_flatten_cases(rng):
    return [(randn(rng, 4, 224, 224, 3), True),  # the seed: flatten_for_mlp(chw_images)
            (_batch(rng, "hwc"), True), (_batch(rng, "hwc"), True),
            (_batch(rng, "chw"), False), (_batch(rng, "chw"), False)]
