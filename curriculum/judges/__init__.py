"""Trusted judges, one module per concept; a check's YAML names one as ``module.function``.

Everything here runs on the trusted side, never in the jail: it reads what a
probe sent back (``curriculum/probes``) and decides. Every comparison of a
measured value goes through :mod:`curriculum.judges.compare`, where NaN and
inf fail unless a check says it expects them.

* ``compare`` — the one tolerance comparison; ``text`` — how messages name
  shapes, dtypes and types;
* ``values`` — tensors, numbers, dicts and sequences against the expected value;
* ``cases`` — a learner function called on hidden cases (random order, kinds kept here);
* ``source`` — what the learner's source says (which calls build a name);
* ``indexing``, ``shapes``, ``autograd``, ``modules`` — the drill families of weeks 1–4;
* ``training`` (the five-step pattern, gradients zeroed, held-out accuracy) and
  ``training_loops`` (Exercise 5.1's twenty loops); ``data`` — synthetic data
  sets drawn from the job's seed; ``shared`` — one training run read by several checks;
  ``shuffling`` — the training rows in a new order every epoch (``shuffle=True``).
"""
