"""Models built with hidden sizes: were the contract's constructor arguments honoured?

The probe (:mod:`curriculum.probes.sizes`) builds the learner's model with a hidden
value for every size argument and records what each layer was built with. Code that
types sizes into ``__init__`` passed every check built at the defaults; here the
record is read as hostile data (a malformed one fails) and the argument a layer
ignores is named: "TextClassifier(…) built an Embedding of 10000 rows: use the
vocab_size argument"."""

from __future__ import annotations

from typing import Any

#: Hidden sizes a model is also built with: none of them a contract's default (32, 64, 128).
HIDDEN_SIZES = (16, 24, 40, 48)


def layers_readable(rec: Any, *, params: bool = True) -> bool:
    """The record's layers ([type name, {attribute: int}]), its parameter count when
    ``params``, and the name of the error its forward pass raised when it did."""
    if not isinstance(rec, dict) or not isinstance(rec.get("layers"), list):
        return False
    if params and type(rec.get("params")) is not int:
        return False
    for layer in rec["layers"]:
        if not (isinstance(layer, (list, tuple)) and len(layer) == 2
                and isinstance(layer[0], str) and isinstance(layer[1], dict)
                and all(isinstance(k, str) and type(v) is int for k, v in layer[1].items())):
            return False
    return "error" not in rec or isinstance(rec["error"], str)


def shape_readable(shape: Any) -> bool:
    return isinstance(shape, list) and all(type(n) is int for n in shape)


def ignored_argument(rec: dict, rules: list[tuple[str, int, str, str, str]], call: str) -> str:
    """Which argument the layers of ``call``'s model ignore, "" when none. A rule is
    (argument, size, layer type, size attribute, what was built with "{}" for the size);
    a layer type the model does not have is no evidence either way."""
    for arg, want, kind, attr, what in rules:
        found = [sizes[attr] for name, sizes in rec["layers"] if name == kind and attr in sizes]
        if found and want not in found:  # the classifier's size: its last layer's
            shown = found[-1] if attr == "out_features" else found[0]
            return f"{call} built {what.format(shown)}: use the {arg} argument"
    return ""


def embedding_lstm_rules(vocab: int, embed: int, hidden: int
                         ) -> list[tuple[str, int, str, str, str]]:
    """The rules of an ``nn.Embedding(vocab_size, embed_dim)`` → ``nn.LSTM(embed_dim,
    hidden_dim)`` model (6.1.2, 6.1.3a, 6.1.4a), for :func:`ignored_argument`."""
    return [("vocab_size", vocab, "Embedding", "num_embeddings", "an Embedding of {} rows"),
            ("embed_dim", embed, "Embedding", "embedding_dim", "an Embedding of size {}"),
            ("embed_dim", embed, "LSTM", "input_size", "an LSTM of input size {}"),
            ("hidden_dim", hidden, "LSTM", "hidden_size", "an LSTM of hidden size {}")]


def error_name(rec: dict) -> str:
    """The exception the forward pass raised, as a name only (the learner's text is not
    quoted)."""
    name = rec.get("error")
    return name if isinstance(name, str) and name.isidentifier() and len(name) < 40 else "an error"
