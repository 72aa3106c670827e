"""Exercise 4.1 (25 module classes) and 4.2 (90 layer declarations), and the files written
from them.

* ``MODULES``: each class's contract — the shapes of its forward arguments
  (``B`` a batch size, other symbols drawn per job from ``dims``), the layer
  types it must hold, the behaviour the contract names, and whether the
  order of every module (``strict``: a Sequential stack) or only of the
  weighted layers is checked, and whether the outputs are compared with the
  reference's when both hold the grader's weights (``values``: every class
  whose contract fixes the whole forward pass; ``names``: the contract's
  attribute names of layers that share a shape, in the contract's order, so
  that ``query`` gets the reference's ``query`` weights whatever order the
  learner calls them in). The exercise YAML names the judge
  ``modules.module_class`` with the class's contract as its arguments.
* ``LAYER_SETS``: the declarations of each practice set (judge
  ``modules.layer``); the references are written from them too.

Run ``python -m curriculum.generate`` after editing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from curriculum.generate import Flow, dump_yaml, header

GENERATOR = "module_drills"


@dataclass
class ModuleSpec:
    name: str
    text: str                          # one-line contract for the prompt
    inputs: list[list[Any]]            # shape of each forward argument, with symbols
    types: dict[str, int]              # layer type -> at least this many
    behaviour: list[str] = field(default_factory=list)
    exact_layers: bool = True          # Linear/Conv hyperparameters must match the reference
    calls: int = 3                     # hidden forward calls
    dims: dict[str, Any] = field(default_factory=dict)
    order: str = "weighted"            # "strict": every module type runs in the stated order
    min_first_batch: int = 0
    names: list[str] = field(default_factory=list)  # contract names of same-shaped layers
    values: bool = True                # outputs compared with the reference's, same weights
    free_pooling: bool = False         # ... with the stated network's, pooled where yours pools

    def args(self) -> dict[str, Any]:
        out: dict[str, Any] = {"cls": self.name, "text": self.text, "shapes": self.inputs,
                               "calls": self.calls, "types": self.types}
        for key in ("dims", "behaviour", "min_first_batch", "names"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if not self.exact_layers:
            out["exact_layers"] = False
        if self.order != "weighted":
            out["order"] = self.order
        if not self.values:
            out["values"] = False
        if self.free_pooling:
            out["free_pooling"] = True
        return out


def _flat(d: int) -> list[list[Any]]:
    return [["B", d]]


IMG1 = [["B", 1, 28, 28]]
IMG3 = [["B", 3, 32, 32]]
SEQ = {"from": 3, "to": 19}

MODULES: dict[str, list[ModuleSpec]] = {
    "4.1.1": [
        ModuleSpec("SimpleLinear1", "input(784) → hidden(128) → output(10), ReLU",
                   _flat(784), {"Linear": 2}),
        ModuleSpec("SimpleLinear2", "input(100) → hidden(256) → hidden(64) → output(1), ReLU",
                   _flat(100), {"Linear": 3}),
        ModuleSpec("SimpleLinear3",
                   "input(50) → hidden(32) → hidden(16) → output(5), `nn.LeakyReLU` modules "
                   "(any negative_slope)",
                   _flat(50), {"Linear": 3, "LeakyReLU": 1}),
        ModuleSpec("SimpleLinear4", "input(200) → hidden(512) → hidden(256) → hidden(128) → "
                   "output(2), ReLU + `nn.Dropout(0.2)` after each hidden layer",
                   _flat(200), {"Linear": 4, "Dropout": 1}, ["dropout"]),
        ModuleSpec("SimpleLinear5", "input(300) → hidden(64) → output(20), ReLU, output layer "
                   "`bias=False`", _flat(300), {"Linear": 2}),
    ],
    "4.1.2": [
        ModuleSpec("SequentialModel1", "MNIST classifier (784, 256, 128, 10): Linear → ReLU → "
                   "Dropout(0.2) per hidden layer", _flat(784),
                   {"Sequential": 1, "Linear": 3, "ReLU": 1, "Dropout": 1}, ["dropout"],
                   order="strict"),
        ModuleSpec("SequentialModel2", "binary classifier (50, 32, 16, 1): ReLU, `nn.Sigmoid` "
                   "output", _flat(50), {"Sequential": 1, "Linear": 3, "Sigmoid": 1},
                   ["range01"], order="strict"),
        ModuleSpec("SequentialModel3", "regression (20, 64, 32, 1): ReLU, no final activation",
                   _flat(20), {"Sequential": 1, "Linear": 3, "ReLU": 1}, order="strict"),
        ModuleSpec("SequentialModel4", "multi-class (100, 512, 256, 128, 64, 10): Linear → ReLU "
                   "→ Dropout(0.3) per hidden layer", _flat(100),
                   {"Sequential": 1, "Linear": 5, "Dropout": 1}, ["dropout"], order="strict"),
        ModuleSpec("SequentialModel5", "deep (784, 1024, 512, 256, 128, 64, 32, 10): Linear → "
                   "BatchNorm1d → ReLU per hidden layer", _flat(784),
                   {"Sequential": 1, "Linear": 7, "BatchNorm1d": 6}, order="strict"),
    ],
    "4.1.3": [
        ModuleSpec("SimpleCNN1", "input (B, 1, 28, 28): Conv2d(1,32,3) → ReLU → MaxPool2d(2) → "
                   "Conv2d(32,64,3) → ReLU → MaxPool2d(2) → flatten → Linear(64·5·5,128) → ReLU "
                   "→ Linear(128,10)", IMG1, {"Conv2d": 2, "MaxPool2d": 1, "Linear": 2},
                   calls=2),
        ModuleSpec("SimpleCNN2", "CIFAR input (B, 3, 32, 32): Conv2d(3,64,3) → ReLU → "
                   "MaxPool2d(2) → Conv2d(64,128,3) → ReLU → MaxPool2d(2) → flatten → "
                   "Linear(128·6·6,256) → ReLU → Dropout(0.5) → Linear(256,10)", IMG3,
                   {"Conv2d": 2, "MaxPool2d": 1, "Linear": 2, "Dropout": 1}, ["dropout"],
                   calls=2),
        ModuleSpec("SimpleCNN3", "grayscale input (B, 1, 28, 28): Conv2d(1,16,5) → ReLU → "
                   "Conv2d(16,32,5) → ReLU → Conv2d(32,64,3) → ReLU → MaxPool2d(2) → flatten → "
                   "Linear(64·9·9,128) → ReLU → Linear(128,10)", IMG1,
                   {"Conv2d": 3, "Linear": 2}, calls=2),
        ModuleSpec("SimpleCNN4", "RGB input (B, 3, 32, 32): [Conv2d(3,32,3,padding=1) → "
                   "BatchNorm2d(32) → ReLU → MaxPool2d(2)] → [Conv2d(32,64,3,padding=1) → "
                   "BatchNorm2d(64) → ReLU → MaxPool2d(2)] → flatten → Linear(64·8·8,10)", IMG3,
                   {"Conv2d": 2, "BatchNorm2d": 2, "MaxPool2d": 1, "Linear": 1}, calls=2),
        ModuleSpec("SimpleCNN5", "any-size RGB input (B, 3, H, W), H, W ≥ 16: four "
                   "Conv2d(k=3, padding=1) 3→32→64→128→256 with ReLU (MaxPool2d(2) between "
                   "them allowed) → `nn.AdaptiveAvgPool2d((1, 1))` → Linear(256,10)",
                   [["B", 3, "H", "W"]], {"Conv2d": 4, "AdaptiveAvgPool2d": 1, "Linear": 1},
                   dims={"H": [16, 24, 40, 48], "W": [20, 28, 36]}, free_pooling=True),
    ],
    "4.1.4": [
        ModuleSpec("MixedModel1", "input (B, 1, 28, 28). `backbone`: Conv2d(1,16,3,padding=1) → "
                   "ReLU → MaxPool2d(2) → Conv2d(16,32,3,padding=1) → ReLU → "
                   "AdaptiveAvgPool2d(1) → 32 features `h`; head with a residual connection: "
                   "`h = h + fc2(relu(fc1(h)))` (`fc1`, `fc2` = Linear(32,32)); then "
                   "`out` = Linear(32,10)", IMG1, {"Conv2d": 2, "Linear": 3}, ["zero:fc2"],
                   calls=2, names=["fc1", "fc2"]),
        ModuleSpec("MixedModel2", "`forward(x1, x2)`, x1 (B, 20), x2 (B, 30): `branch1` = "
                   "Linear(20,32), `branch2` = Linear(30,32), each + ReLU, concatenated in that "
                   "order (64) → "
                   "`shared` = Linear(64,32) → ReLU → Linear(32,1)", [["B", 20], ["B", 30]],
                   {"Linear": 4}, ["two_inputs"], order="none"),
        ModuleSpec("MixedModel3", "(B, 784) → `encoder`: Linear(784,128) → ReLU → "
                   "Linear(128,32) (bottleneck) → `decoder`: Linear(32,128) → ReLU → "
                   "Linear(128,784); method `encode(x)` returns the (B, 32) code and "
                   "`forward(x) == decoder(encode(x))`", _flat(784), {"Linear": 4}, ["encode"]),
        ModuleSpec("MixedModel4", "input (B, 1, L), any length L: Conv1d(1,16,5,padding=2) → "
                   "ReLU → permute to (B, L, 16) → LSTM(16, 32, batch_first=True) → last hidden "
                   "state → Linear(32,5)", [["B", 1, "L"]], {"Conv1d": 1, "LSTM": 1, "Linear": 1},
                   dims={"L": {"from": 9, "to": 39}}),
        ModuleSpec("MixedModel5", "input (B, T, 16): scores = Linear(16,1) per step → softmax "
                   "over T → weights (B, T) → weighted sum (B, 16) → Linear(16,32) → ReLU → "
                   "Linear(32,4); returns `(output, weights)`", [["B", "T", 16]],
                   {"Linear": 3}, ["weights"], dims={"T": SEQ}),
    ],
    "4.1.5": [
        ModuleSpec("CustomLogic1", "residual `x + F(x)` on (B, 64) with F = `fc2(relu(fc1(x)))`, "
                   "`fc1`, `fc2` = Linear(64,64)", _flat(64), {"Linear": 2}, ["zero:fc2"],
                   names=["fc1", "fc2"]),
        ModuleSpec("CustomLogic2", "(B, 32): `branch1`/`branch2`/`branch3` = Linear(32,16) with "
                   "ReLU / Sigmoid / Tanh, each activation applied once (in `forward`, or "
                   "inside the branch: `nn.Sequential(nn.Linear(32, 16), nn.Sigmoid())`), "
                   "concatenated in that order (48) → `combine` = Linear(48,8)", _flat(32),
                   {"Linear": 4}, ["concat"], names=["branch1", "branch2", "branch3"]),
        ModuleSpec("CustomLogic3", "(B, 64): h1 = relu(fc1(x)); h2 = relu(fc2(h1)); "
                   "h3 = relu(fc3(h2) + h1) (skip fc1 → after fc3); `out` = Linear(64,10); "
                   "`fc1`, `fc2`, `fc3` = Linear(64,64)", _flat(64), {"Linear": 4},
                   ["zero:fc2,fc3"], names=["fc1", "fc2", "fc3"]),
        ModuleSpec("CustomLogic4", "(B, 32): per sample, rows whose feature mean is > 0 go "
                   "through `path_a`, the others through `path_b` (both Linear(32,16)), then "
                   "ReLU → `head` = Linear(16,4)", _flat(32), {"Linear": 3}, ["conditional"],
                   min_first_batch=3, order="none", names=["path_a", "path_b"]),
        ModuleSpec("CustomLogic5", "(B, T, 32): `query`, `key`, `value` = Linear(32,32); weights "
                   "= softmax(QKᵀ/√32) (B, T, T); context = (weights @ V).mean over T → `fc` = "
                   "Linear(32,4); returns `(output, weights)`", [["B", "T", 32]],
                   {"Linear": 4}, ["weights", "selfattn"], dims={"T": SEQ}, order="none",
                   names=["query", "key", "value"]),
    ],
}


@dataclass
class LayerSet:
    title: str
    template: str        # the template line(s) shown in the prompt
    prefix: str          # names are <prefix>_1 ... <prefix>_10
    variants: list[tuple[str, str]]   # (constructor code as declared, purpose)
    errata: dict[int, tuple[str, str]] = field(default_factory=dict)  # k -> (code, note)


LAYER_SETS: dict[str, LayerSet] = {
    "4.2.1": LayerSet("Linear layers", "linear_layer = nn.Linear(in_features, out_features, "
                      "bias=True)  # comment about purpose", "linear", [
        ("nn.Linear(784, 256)", "MNIST input to hidden"),
        ("nn.Linear(256, 128)", "hidden to hidden"),
        ("nn.Linear(128, 10)", "hidden to output classes"),
        ("nn.Linear(100, 50)", "general purpose reduction"),
        ("nn.Linear(50, 100)", "expansion layer"),
        ("nn.Linear(512, 1024)", "large expansion"),
        ("nn.Linear(1024, 1)", "regression output"),
        ("nn.Linear(300, 300)", "same size transformation"),
        ("nn.Linear(784, 10, bias=False)", "no bias linear"),
        ("nn.Linear(2048, 512)", "feature reduction"),
    ]),
    "4.2.2": LayerSet("Conv2d layers", "conv2d_layer = nn.Conv2d(in_channels, out_channels, "
                      "kernel_size, stride=1, padding=0)  # comment about image processing",
                      "conv2d", [
        ("nn.Conv2d(3, 64, kernel_size=3)", "RGB input, 3x3 filter"),
        ("nn.Conv2d(64, 128, kernel_size=3, stride=2)", "downsampling conv"),
        ("nn.Conv2d(128, 256, kernel_size=3, padding=1)", "same size conv"),
        ("nn.Conv2d(1, 32, kernel_size=5)", "grayscale input, 5x5 filter"),
        ("nn.Conv2d(32, 64, kernel_size=1)", "1x1 pointwise conv"),
        ("nn.Conv2d(256, 512, kernel_size=3, stride=1, padding=1)", "standard conv"),
        ("nn.Conv2d(3, 16, kernel_size=7, padding=3)", "large kernel"),
        ("nn.Conv2d(512, 256, kernel_size=3, groups=256)", "grouped conv (see the note)"),
        ("nn.Conv2d(64, 64, kernel_size=3, padding=1, dilation=2)", "dilated conv"),
        ("nn.Conv2d(128, 64, kernel_size=3, bias=False)", "no bias conv"),
    ], {8: ("", "Note (variant 8): you may see this layer called a \"depthwise conv\", but "
            "`nn.Conv2d(512, 256, 3, groups=256)` is a *grouped* convolution (each of the 256 "
            "groups sees 2 input channels). A depthwise conv has groups == in_channels, e.g. "
            "`nn.Conv2d(256, 256, 3, groups=256)`. Declare the layer as written above."),
        9: ("", "Note (variant 9, dilation=2, padding=1): the effective kernel is 5x5, so "
            "padding=1 shrinks H and W by 2; \"same\" size would need padding=2. Declare it as "
            "written.")}),
    "4.2.3": LayerSet("Conv1d layers", "conv1d_layer = nn.Conv1d(in_channels, out_channels, "
                      "kernel_size, stride=1, padding=0)  # comment about sequence processing",
                      "conv1d", [
        ("nn.Conv1d(100, 256, kernel_size=3)", "sequence feature extraction"),
        ("nn.Conv1d(256, 512, kernel_size=5, padding=2)", "larger context"),
        ("nn.Conv1d(512, 256, kernel_size=1)", "pointwise conv 1D"),
        ("nn.Conv1d(50, 128, kernel_size=7, stride=2)", "downsampling 1D"),
        ("nn.Conv1d(128, 64, kernel_size=3, dilation=2)", "dilated 1D conv"),
        ("nn.Conv1d(1, 32, kernel_size=15)", "single channel to multi"),
        ("nn.Conv1d(32, 64, kernel_size=9, padding=4)", "symmetric padding"),
        ("nn.Conv1d(64, 128, kernel_size=5, groups=32)", "grouped conv 1D"),
        ("nn.Conv1d(300, 600, kernel_size=3, stride=1)", "expansion conv"),
        ("nn.Conv1d(200, 100, kernel_size=11, padding=5)", "large kernel 1D"),
    ]),
    "4.2.4": LayerSet("Pooling layers", "maxpool_layer = nn.MaxPool2d(kernel_size, stride=None, "
                      "padding=0)  # comment about downsampling\navgpool_layer = nn.AvgPool2d("
                      "kernel_size, stride=None, padding=0)  # comment about downsampling",
                      "pool", [
        ("nn.MaxPool2d(kernel_size=2)", "standard 2x2 max pooling"),
        ("nn.MaxPool2d(kernel_size=3, stride=2)", "overlapping max pool"),
        ("nn.AvgPool2d(kernel_size=2)", "average pooling 2x2"),
        ("nn.AvgPool2d(kernel_size=4, stride=4)", "non-overlapping avg pool"),
        ("nn.AdaptiveMaxPool2d((1, 1))", "global max pooling"),
        ("nn.AdaptiveAvgPool2d((1, 1))", "global average pooling"),
        ("nn.AdaptiveAvgPool2d((7, 7))", "fixed output size"),
        ("nn.MaxPool1d(kernel_size=3)", "1D max pooling"),
        ("nn.AvgPool1d(kernel_size=5, stride=2)", "1D avg pooling"),
        ("nn.AdaptiveMaxPool1d(1)", "global 1D max pooling"),
    ]),
    "4.2.5": LayerSet("Normalization layers", "batchnorm_layer = nn.BatchNorm2d(num_features)"
                      "  # comment about normalization\nlayernorm_layer = nn.LayerNorm("
                      "normalized_shape)  # comment about normalization", "norm", [
        ("nn.BatchNorm1d(256)", "1D batch normalization"),
        ("nn.BatchNorm2d(64)", "2D batch normalization"),
        ("nn.LayerNorm(512)", "layer normalization"),
        ("nn.GroupNorm(32, 256)", "group normalization"),
        ("nn.InstanceNorm2d(128)", "instance normalization"),
        ("nn.BatchNorm1d(1024, momentum=0.1)", "custom momentum"),
        ("nn.LayerNorm([256, 256])", "2D layer norm"),
        ("nn.GroupNorm(8, 128)", "fewer groups"),
        ("nn.BatchNorm2d(32, eps=1e-3)", "custom epsilon"),
        ("nn.LocalResponseNorm(5)", "local response normalization"),
    ], {6: ("", "Note (variant 6): momentum=0.1 is already BatchNorm's default, so this layer "
            "equals `nn.BatchNorm1d(1024)`; write the argument anyway to learn where it goes.")}),
    "4.2.6": LayerSet("Activation layers", "activation_layer = nn.ReLU()  # comment about "
                      "non-linearity", "activation", [
        ("nn.ReLU()", "standard ReLU"),
        ("nn.LeakyReLU(0.01)", "leaky ReLU"),
        ("nn.Sigmoid()", "sigmoid activation"),
        ("nn.Tanh()", "hyperbolic tangent"),
        ("nn.GELU()", "Gaussian Error Linear Unit"),
        ("nn.Softmax(dim=1)", "softmax normalization"),
        ("nn.LogSoftmax(dim=1)", "log softmax"),
        ("nn.ELU(alpha=1.0)", "Exponential Linear Unit"),
        ("nn.SiLU()", "Swish activation (see the note)"),
        ("nn.Mish()", "Mish activation"),
    ], {9: ("nn.SiLU()", "Note (variant 9): PyTorch has no `nn.Swish()` (AttributeError: "
            "module 'torch.nn' has no attribute 'Swish'). Swish with β = 1 is `nn.SiLU()` "
            "(x · sigmoid(x)); declare `activation_9 = nn.SiLU()`.")}),
    "4.2.7": LayerSet("Regularization layers", "dropout_layer = nn.Dropout(p=0.5)  # comment "
                      "about regularization", "dropout", [
        ("nn.Dropout(0.5)", "standard dropout"),
        ("nn.Dropout(0.2)", "light dropout"),
        ("nn.Dropout2d(0.1)", "2D dropout"),
        ("nn.Dropout(0.8)", "heavy dropout"),
        ("nn.AlphaDropout(0.5)", "SELU compatible dropout"),
        ("nn.Dropout2d(0.25)", "2D dropout for conv layers"),
        ("nn.Dropout(0.3)", "moderate dropout"),
        ("nn.Dropout(p=0.0)", "no dropout (placeholder)"),
        ("nn.Dropout3d(0.15)", "3D dropout"),
        ("nn.FeatureAlphaDropout(0.4)", "feature alpha dropout"),
    ]),
    "4.2.8": LayerSet("Recurrent layers", "rnn_layer = nn.LSTM(input_size, hidden_size, "
                      "num_layers=1, batch_first=True)  # comment about sequence modeling",
                      "rnn", [
        ("nn.LSTM(100, 256, batch_first=True)", "basic LSTM"),
        ("nn.LSTM(256, 512, num_layers=2, batch_first=True)", "deep LSTM"),
        ("nn.GRU(100, 256, batch_first=True)", "basic GRU"),
        ("nn.RNN(100, 256, batch_first=True)", "vanilla RNN"),
        ("nn.LSTM(512, 256, dropout=0.2, batch_first=True)", "LSTM with dropout (see errata)"),
        ("nn.GRU(256, 128, num_layers=3, batch_first=True)", "deep GRU"),
        ("nn.LSTM(300, 600, bidirectional=True, batch_first=True)", "bidirectional LSTM"),
        ("nn.GRU(200, 400, bidirectional=True, batch_first=True)", "bidirectional GRU"),
        ("nn.RNN(150, 300, num_layers=2, nonlinearity='tanh', batch_first=True)", "tanh RNN"),
        ("nn.LSTM(64, 128, proj_size=64, batch_first=True)", "LSTM with projection"),
    ], {5: ("", "Note (variant 5): with num_layers=1 the `dropout=0.2` of `nn.LSTM` does "
            "nothing — PyTorch applies it only *between* stacked layers and warns \"dropout "
            "option adds dropout after all but last recurrent layer, so non-zero dropout "
            "expects num_layers greater than 1\". The check asks for the declaration as "
            "written; in real code use num_layers >= 2 or an nn.Dropout after the LSTM.")}),
    "4.2.9": LayerSet("Embedding layers", "embedding_layer = nn.Embedding(num_embeddings, "
                      "embedding_dim)  # comment about token lookup", "embedding", [
        ("nn.Embedding(10000, 300)", "word embeddings"),
        ("nn.Embedding(5000, 128, padding_idx=0)", "with padding"),
        ("nn.Embedding(50000, 512)", "large vocabulary"),
        ("nn.Embedding(1000, 64, max_norm=1.0)", "normalized embeddings"),
        ("nn.Embedding(20000, 256, sparse=True)", "sparse embeddings"),
        ("nn.EmbeddingBag(10000, 300, mode='mean')", "embedding bag"),
        ("nn.Embedding(2000, 100, scale_grad_by_freq=True)", "scaled gradients"),
        ("nn.Embedding(15000, 768)", "BERT-like embeddings"),
        ("nn.Embedding(30000, 200, padding_idx=1)", "different padding"),
        ("nn.EmbeddingBag(5000, 150, mode='sum')", "sum pooling embeddings"),
    ]),
}

SET_NUMBER = {eid: i for i, eid in enumerate(LAYER_SETS, start=1)}


def layer_names(exercise_id: str) -> list[str]:
    s = LAYER_SETS[exercise_id]
    return [f"{s.prefix}_{k}" for k in range(1, len(s.variants) + 1)]


NOT_RUN = "Code under `if __name__ == \"__main__\":` is not run by the grader."


_MOD_TITLES = {"4.1.1": "Practice Set 1: Basic linear networks",
               "4.1.2": "Practice Set 2: Sequential networks",
               "4.1.3": "Practice Set 3: CNN networks",
               "4.1.4": "Practice Set 4: Mixed architecture networks",
               "4.1.5": "Practice Set 5: Custom logic networks"}

_MOD_HOWTO = {
    "4.1.1": "Follow the *Basic Linear Network* template: layers as attributes in "
             "`__init__`, activations in `forward` (`torch.relu`, or modules). The activation "
             "follows every hidden layer; the output layer has none.",
    "4.1.2": "Follow the *Sequential Network* template: the whole stack inside one "
             "`nn.Sequential` attribute, `forward` returns `self.layers(x)`.",
    "4.1.3": "Follow the *CNN* template: `conv_layers` (nn.Sequential), flatten with "
             "`x.view(x.size(0), -1)`, then the FC layers. The exact layer sizes below make the "
             "flattened size work out.",
    "4.1.4": "Each mixed model is an idea; the contract below fixes the sizes and the attribute "
             "names the checks look at.",
    "4.1.5": "Follow the *Custom Logic* template. The contract below fixes each network's "
             "sizes and the attribute names the checks look at.",
}

_MOD_ERRATA = {
    "4.1.3": ["Note (SimpleCNN3): three convs straight into \"FC layers\" with no pooling "
              "give 28 → 24 → 20 → 18, 64·18·18 = 20,736 features (a 2.65 M-weight first FC "
              "layer). The contract adds one MaxPool2d(2) after the last conv: 64·9·9 = 5,184 "
              "features."],
}

_BEH_TEXT = {
    "dropout": "dropout is active in `train()` mode and off in `eval()` mode",
    "range01": "outputs lie in [0, 1] (sigmoid output)",
    "zero:fc2": "the residual path really exists: with `fc2` zeroed the input still reaches "
                "the output",
    "zero:fc2,fc3": "the skip really exists: with `fc2` and `fc3` zeroed the input still reaches "
                    "the output",
    "two_inputs": "the output depends on both inputs",
    "encode": "`encode` returns the (B, 32) code and forward equals decoder(encode(x))",
    "weights": "the returned weights are non-negative and sum to 1 over the last dimension",
    "concat": "`combine` receives cat([relu(branch1(x)), sigmoid(branch2(x)), "
              "tanh(branch3(x))], dim=1), each activation applied once",
    "conditional": "changing `path_b` changes only the rows with mean ≤ 0 (rows of mixed "
                   "signs)",
    "selfattn": "weights equal softmax(query(x) @ key(x)ᵀ / √32)",
}


def build_module_exercise(exercise_id: str) -> dict:
    specs = MODULES[exercise_id]
    title = _MOD_TITLES[exercise_id]
    n = len(specs)
    lines = [f"- `{s.name}`: {s.text}" for s in specs]
    summary = (f"**{title}** ({2 * n} points)\nWrite {n} `nn.Module` classes, each constructible "
               "with **no arguments** (give your constructor arguments the sizes below as "
               "defaults):\n" + "\n".join(lines))
    if len(summary) > 1500:
        summary = (f"**{title}** ({2 * n} points)\nWrite {n} `nn.Module` classes, constructible "
                   "with no arguments: " + ", ".join(f"`{s.name}`" for s in specs)
                   + ". Full contract: `/dojo show " + exercise_id + "`.")
    checked = []
    for s in specs:
        beh = "; ".join(_BEH_TEXT[b] for b in s.behaviour)
        req = ", ".join(f"{v}× nn.{k}" for k, v in s.types.items())
        order = {"strict": "; the modules run in the stated order",
                 "weighted": "; the weighted layers (Linear, Conv, BatchNorm, LSTM) run in the "
                             "stated order", "none": ""}[s.order]
        same = ("; with the grader's weights loaded into every layer, the outputs equal "
                "the stated network's with nn.MaxPool2d(2) where yours runs one"
                if s.free_pooling else
                "; with the grader's weights loaded into every layer (the same as the "
                "reference's), the outputs equal the reference's" if s.values else "")
        sizes = ("parameter count, layer sizes and the dropout rate" if "Dropout" in s.types
                 else "parameter count and layer sizes")
        checked.append(f"- `{s.name}`: output shape; at least {req}; {sizes}{order}"
                       + (f"; {beh}" if beh else "") + same)
    errata = _MOD_ERRATA.get(exercise_id, [])
    errata_md = ("\n### Notes\n" + "\n".join(f"- {e}" for e in errata) + "\n") if errata else ""
    prompt = (f"## {title}\n\nExercise 4.1 (nn.Module Syntax Drill), week 4. "
              f"{_MOD_HOWTO[exercise_id]}\n\n### Your contract\nSubmit one Python file that "
              f"defines these classes (subclasses of `nn.Module`). The grader calls each class "
              "with **no arguments** (`SimpleLinear1()`), so every constructor argument needs "
              "a default equal to the stated size. Inputs are float32 batches; the batch size "
              "(and, where stated, the length or image size) is chosen by the grader.\n\n"
              + "\n".join(lines) + "\n" + errata_md +
              "\n### How it is checked\nEach class is worth 2 points. The grader builds it, "
              "calls it in `eval()` mode on hidden batches and on a batch of one sample, and "
              "checks:\n"
              + "\n".join(checked) + f"\n\n{NOT_RUN}\n")
    starter = ["import math", "", "import torch", "import torch.nn as nn",
               "import torch.nn.functional as F", ""]
    for s in specs:
        args = "x1, x2" if s.name == "MixedModel2" else "x"
        starter += ["", f"class {s.name}(nn.Module):", f"    # {s.text}",
                    "    def __init__(self):", "        super().__init__()",
                    "        ...  # TODO", "", f"    def forward(self, {args}):",
                    "        ...  # TODO", ""]
    checks = [{"id": s.name, "kind": "python", "check_kind": "module", "points": 2,
               "title": s.name, "inputs": "modules.class_inputs", "probe": "module_class.probe",
               "judge": "modules.module_class", "args": Flow(s.args())} for s in specs]
    data = {"id": exercise_id, "title": title, "week": 4, "kind": "drill",
            "max_score": 2 * n, "summary": summary, "prompt": prompt,
            "starter": "\n".join(starter).rstrip() + "\n", "errata": errata, "checks": checks}
    if exercise_id in ("4.1.2", "4.1.3"):
        data["limits"] = {"wall_s": 10, "cpu_s": 10}
    return data


def build_layer_exercise(exercise_id: str) -> tuple[dict, str]:
    s = LAYER_SETS[exercise_id]
    k_set = SET_NUMBER[exercise_id]
    title = f"Practice Set {k_set}: {s.title} — 10 declarations"
    names = layer_names(exercise_id)
    codes = []
    for k, (code, purpose) in enumerate(s.variants, start=1):
        codes.append((names[k - 1], code, purpose))
    lines = [f"- `{n} = {c}`  # {p}" for n, c, p in codes]
    errata = [note for _k, (_c, note) in sorted(s.errata.items())]
    summary = (f"**{title}** (10 points)\nBind each layer at module level:\n" + "\n".join(lines))
    errata_md = ("\n### Notes\n" + "\n".join(f"- {e}" for e in errata) + "\n") if errata else ""
    prompt = (f"## {title}\n\nExercise 4.2 (Layer Types Memorization), week 4. Write each "
              "declaration from memory, following this template\n\n```python\n"
              f"import torch.nn as nn\n\n{s.template}\n```\n\n### Your contract\nSubmit one "
              f"Python file that binds `{names[0]}` … `{names[-1]}` at module level, each to the "
              "layer object below (add your own comment about its purpose):\n\n"
              + "\n".join(lines) + "\n" + errata_md +
              "\n### How it is checked\nEach declaration is worth 1 point: the object must be "
              "the stated `torch.nn` layer type, with the stated hyperparameters (sizes, "
              "kernel, stride, padding, dilation, groups, bias, p, momentum, eps, dims, "
              "num_layers, bidirectional, padding_idx, mode, …); the defaults you do not write "
              "are compared too, and so are the weights' dtype (float32) and whether they "
              "train (requires_grad). The same layer written another way counts the same: an "
              "int or a tuple per dimension (`kernel_size=2` or `(2, 2)`, "
              "`AdaptiveAvgPool2d(1)` or `(1, 1)`), or `padding='valid'` / `'same'` where "
              "PyTorch makes it equal to the "
              f"stated numbers. {NOT_RUN}\n")
    starter = ["import torch.nn as nn", ""]
    for n, _c, p in codes:
        starter += [f"# {p}", f"{n} = ...  # TODO", ""]
    checks = [{"id": n, "kind": "python", "check_kind": "value", "title": f"Variant {k}",
               "probe": "layers.probe", "probe_args": Flow(names=[n]), "judge": "modules.layer",
               "args": Flow(name=n, code=code)}
              for k, (n, (code, _purpose)) in enumerate(zip(names, s.variants, strict=True),
                                                       start=1)]
    data = {"id": exercise_id, "title": title, "week": 4, "kind": "drill", "max_score": 10,
            "summary": summary, "prompt": prompt, "starter": "\n".join(starter).rstrip() + "\n",
            "errata": errata, "checks": checks}
    if exercise_id in ("4.2.8", "4.2.9"):
        data["limits"] = {"wall_s": 15, "cpu_s": 15}
    ref = [header(GENERATOR).rstrip(), f'"""Reference solution of {exercise_id} ({title})."""',
           "", "import torch.nn as nn", ""]
    for n, c, p in codes:
        ref.append(f"{n} = {c}  # {p}")
    return data, "\n".join(ref) + "\n"


def files() -> dict[str, str]:
    """week4/4.1.*.yaml, week4/4.2.*.yaml and 4.2.*.ref.py."""
    out = {}
    for eid in MODULES:
        out[f"week4/{eid}.yaml"] = dump_yaml(build_module_exercise(eid), GENERATOR)
    for eid in LAYER_SETS:
        data, ref = build_layer_exercise(eid)
        out[f"week4/{eid}.yaml"] = dump_yaml(data, GENERATOR)
        out[f"week4/{eid}.ref.py"] = ref
    return out
