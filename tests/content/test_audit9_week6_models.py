"""Ninth audit, week 6 challenge models (held-out submissions): each wrong submission of a
class fails the check that names its cause, on fixed seeds; right ones written differently
pass.

- 6.1.2, 6.1.3a, 6.1.4a, 6.1.5a: the models were only ever built with their default sizes
  (or the sizes every check gives), so an ``__init__`` that overwrote its size arguments
  with fixed numbers passed 10/10. Each model is now also built with hidden sizes for every
  argument of the contract: its layers must have those sizes (the message names the
  argument ignored), its output shape and parameter count must follow. 6.1.5a runs that
  model on a batch of max_len tokens, max_len above the default 64.
- 6.1.3a: a tokenizer keeping letters only (``re.findall(r"[a-z0-9]+", …)``) passed where
  the contract says ``text.lower().split()``: the hidden reviews had no punctuation. They
  now have some attached to words ("great!", "don't").
- 6.1.3a: ``probs.squeeze()`` returns a 0-d tensor for a batch of one review; only the
  values of single reviews were compared. A batch of one must give probs of shape [1].
"""

from __future__ import annotations

import pytest
from audit_support import fails_with_its_cause, passes

pytestmark = pytest.mark.asyncio(loop_scope="session")

SEEDS = (3, 17)

_LM_INIT = "        super().__init__()\n        self.token_embedding"
#: The start of TextClassifier's, SentimentModel's and NERTagger's __init__ body.
_EMB_INIT = "        super().__init__()\n        self.embedding = nn.Embedding(vocab_size, "


def _fixed(init: str, line: str) -> tuple[str, str]:
    """An edit putting ``line`` (sizes overwritten with fixed numbers) after super().__init__()."""
    head, _, rest = init.partition("\n")
    return init, f"{head}\n        {line}\n{rest}"


# (exercise, edits of the reference, failing check, fragments its message must contain)
WRONG = {
    # passed: the model was only built with the contract's sizes
    "6.1.5a-sizes-ignored": ("6.1.5a", [
        _fixed(_LM_INIT, "d_model, n_heads, n_layers, max_len = 32, 4, 2, 64")],
        "shapes", ["MiniTransformerLM(", "built a token embedding of size 32",
                   "use the d_model argument"]),
    "6.1.5a-max-len-ignored": ("6.1.5a", [_fixed(_LM_INIT, "max_len = 64")],
                               "shapes", ["position embedding of 64 rows",
                                          "use the max_len argument"]),
    "6.1.5a-heads-ignored": ("6.1.5a", [_fixed(_LM_INIT, "n_heads = 4")],
                             "shapes", ["attention with 4 heads", "use the n_heads argument"]),
    "6.1.5a-layers-ignored": ("6.1.5a", [_fixed(_LM_INIT, "n_layers = 2")],
                              "shapes", ["2 attention layers", "use the n_layers argument"]),
    # passed: TextClassifier was only built with embed_dim=128, hidden_dim=64, vocab 10000
    "6.1.2-sizes-ignored": ("6.1.2", [_fixed(_EMB_INIT, "embed_dim, hidden_dim = 128, 64")],
                            "architecture", ["TextClassifier(vocab_size=",
                                             "built an Embedding of size 128",
                                             "use the embed_dim argument"]),
    "6.1.2-vocab-ignored": ("6.1.2", [_fixed(_EMB_INIT, "vocab_size = 10000")],
                            "architecture", ["an Embedding of 10000 rows",
                                             "use the vocab_size argument"]),
    "6.1.2-hidden-ignored": ("6.1.2", [_fixed(_EMB_INIT, "hidden_dim = 64")],
                             "architecture", ["an LSTM of hidden size 64",
                                              "use the hidden_dim argument"]),
    # passed: SentimentModel was only built as SentimentModel(40)
    "6.1.3a-sizes-ignored": ("6.1.3a", [_fixed(_EMB_INIT, "embed_dim, hidden_dim = 64, 32")],
                             "model", ["SentimentModel(", "built an Embedding of size 64",
                                       "use the embed_dim argument"]),
    "6.1.3a-hidden-ignored": ("6.1.3a", [_fixed(_EMB_INIT, "hidden_dim = 32")],
                              "model", ["an LSTM of hidden size 32",
                                        "use the hidden_dim argument"]),
    # passed: the hidden reviews had no punctuation
    "6.1.3a-regex-tokenizer": ("6.1.3a", [(
        "    return text.lower().split()",
        "    import re\n    return re.findall(r'[a-z0-9]+', text.lower())")],
        "preprocessing", ["tokenize(text) must lower-case and split on whitespace",
                          "punctuation stays on its word"]),
    # passed: a batch of one review was only compared by value
    "6.1.3a-squeeze-all": ("6.1.3a", [(
        "probs = torch.sigmoid(self.fc(context)).squeeze(-1)",
        "probs = torch.sigmoid(self.fc(context)).squeeze()")],
        "model", ["a batch of one review", "shape [1]; found []", ".squeeze(-1)"]),
    # passed: only the default parameter count was checked
    "6.1.4a-sizes-ignored": ("6.1.4a", [_fixed(_EMB_INIT, "embed_dim, hidden_dim = 32, 32")],
                             "model", ["NERTagger(", "built an Embedding of size 32",
                                       "use the embed_dim argument"]),
    "6.1.4a-hidden-ignored": ("6.1.4a", [_fixed(_EMB_INIT, "hidden_dim = 32")],
                              "model", ["an LSTM of hidden size 32",
                                        "use the hidden_dim argument"]),
}

# (exercise, edits of the reference): right, written another way
CORRECT = {
    "6.1.2-reference": ("6.1.2", []),
    "6.1.3a-reference": ("6.1.3a", []),
    "6.1.4a-reference": ("6.1.4a", []),
    "6.1.5a-reference": ("6.1.5a", []),
    # sinusoidal positions computed in forward: no position embedding, max_len unused
    "6.1.5a-sinusoidal-positions": ("6.1.5a", [
        ("        self.position_embedding = nn.Embedding(max_len, d_model)\n", ""),
        ("        h = self.token_embedding(x) + self.position_embedding(positions)",
         "        d = self.token_embedding.embedding_dim\n"
         "        freq = torch.exp(torch.arange(0, d, 2, device=x.device) * (-9.21 / d))\n"
         "        angle = positions.unsqueeze(1) * freq\n"
         "        pe = torch.stack([angle.sin(), angle.cos()], dim=-1).reshape(seq_len, d)\n"
         "        h = self.token_embedding(x) + pe")]),
}


@pytest.mark.parametrize("name", sorted(WRONG))
async def test_wrong_submission_fails_with_its_cause(grader, curriculum, name):
    await fails_with_its_cause(grader, curriculum, WRONG[name], SEEDS, name)


@pytest.mark.parametrize("name", sorted(CORRECT))
async def test_correct_solution_passes(grader, curriculum, name):
    await passes(grader, curriculum, CORRECT[name], SEEDS, name)
