"""For every exercise, a wrong solution that produces NaN (or inf) where a number is checked.

Shared by ``test_nonfinite_answers.py``. Each variant is the reference solution plus a few
appended lines (see ``PRELUDE``) that make one answer non-finite — a tensor times NaN, a
function whose results turn NaN, a module whose forward returns NaN, a trained model whose
weights end up NaN — and the checks that must fail, with the aspect they must fail on.
"""

from __future__ import annotations

PRELUDE = '''

# --- a NaN-producing variant (tests/content/nonfinite_variants.py) ---
import torch as _nf_torch


def _nf_nan(value):
    if isinstance(value, _nf_torch.Tensor) and (value.is_floating_point() or value.is_complex()):
        return value * float("nan")
    if isinstance(value, float):
        return float("nan")
    if isinstance(value, tuple):
        return tuple(_nf_nan(v) for v in value)
    if isinstance(value, list):
        return [_nf_nan(v) for v in value]
    if isinstance(value, dict):
        return {k: _nf_nan(v) for k, v in value.items()}
    return value


def _nf_out(fn):
    def wrapped(*args, **kwargs):
        return _nf_nan(fn(*args, **kwargs))
    return wrapped


def _nf_weights_of(attribute):
    """Like _nf_weights for a trainer method: NaN the trainer's own model afterwards."""
    def decorate(fn):
        def wrapped(self, *args, **kwargs):
            out = fn(self, *args, **kwargs)
            with _nf_torch.no_grad():
                for p in getattr(self, attribute).parameters():
                    p.fill_(float("nan"))
            return out
        return wrapped
    return decorate


def _nf_weights(fn):
    """Run the learner's trainer, then leave every module it touched with NaN weights."""
    def wrapped(*args, **kwargs):
        out = fn(*args, **kwargs)
        found = [*args, *(out if isinstance(out, tuple) else (out,))]
        for m in found:
            if isinstance(m, _nf_torch.nn.Module):
                with _nf_torch.no_grad():
                    for p in m.parameters():
                        p.fill_(float("nan"))
        return out
    return wrapped
'''


def tensor(name: str) -> str:
    return f"{name} = {name} * float('nan')\n"


def out(fn: str) -> str:
    return f"{fn} = _nf_out({fn})\n"


def forward(cls: str) -> str:
    return f"{cls}.forward = _nf_out({cls}.forward)\n"


def weights(fn: str) -> str:
    return f"{fn} = _nf_weights({fn})\n"



INJECT: dict[str, str] = {
    "1.1.1": tensor("zeros_1"), "1.1.2": tensor("ones_1"), "1.1.3": tensor("rand_1"),
    "1.1.4": tensor("randn_1"), "1.1.5": tensor("arange_7"), "1.1.6": tensor("linspace_1"),
    "1.1.7": tensor("tensor_3"), "1.1.9": tensor("q4"),
    "1.2.1": tensor("elem_1"), "1.2.2": tensor("slice_1"), "1.2.3": tensor("range_1"),
    "1.2.4": tensor("all_1"), "1.2.5": tensor("step_1"), "1.2.6": tensor("neg_1"),
    "1.2.7": tensor("q1"),
    "1.3.1": out("solve_linear_system"), "1.3.2": out("evaluate_polynomial"),
    "1.3.3": out("apply_transformation"), "1.3.4": out("normalize_to_z_scores"),
    "2.1.1": tensor("view_1"), "2.1.2": tensor("reshape_1"), "2.1.3": tensor("unsqueeze_1"),
    "2.1.4": tensor("squeeze_1"), "2.1.5": tensor("transpose_1"), "2.1.6": tensor("permute_1"),
    "2.1.7": tensor("flatten_1"),
    "2.2.1": tensor("add_1"), "2.2.2": tensor("mul_9"), "2.2.3": tensor("div_15"),
    "2.2.4": tensor("manual_21"), "2.2.5": out("safe_add"), "2.2.6": tensor("q9"),
    "2.3.1a": out("convert_hwc_to_chw"), "2.3.1b": out("extract_image_patches"),
    "2.3.1c": out("create_sliding_windows"), "2.3.1d": out("seasonal_analysis"),
    "2.3.1e": out("monthly_means"), "2.3.2a": out("pad_sequences"),
    "2.3.2b": out("create_ngrams"), "2.3.2c": out("pairwise_distances"),
    "2.3.2d": out("simplified_attention"),
    "3.1.1": tensor("x_3"), "3.1.2": tensor("y_1"), "3.1.3": tensor("z_1"),
    "3.1.4": tensor("y_1"), "3.1.5": tensor("loss_1"),
    "3.2.1": out("run_model"), "3.2.2": out("detach_practice"),
    "3.3.1a": out("polynomial"), "3.3.1b": out("objective_function"),
    "3.3.2a": out("range_function"), "3.3.2b": out("potential_energy"),
    "3.3.3a": out("predict_linear"), "3.3.3b": out("predict_proba"),
    "3.3.3c": out("predict_xor"),
    "4.1.1": forward("SimpleLinear1"), "4.1.2": forward("SequentialModel2"),
    "4.1.3": forward("SimpleCNN1"), "4.1.4": forward("MixedModel3"),
    "4.1.5": forward("CustomLogic1"),
    "4.2.5": "norm_9 = nn.BatchNorm2d(32, eps=float('nan'))\n",
    "4.2.6": "activation_2 = nn.LeakyReLU(float('nan'))\n",
    "4.2.7": "dropout_1 = nn.Dropout(float('nan'))\n",
    "4.2.9": "embedding_4 = nn.Embedding(1000, 64, max_norm=float('inf'))\n",
    "4.3.1a": "LinearWithStats.get_statistics = _nf_out(LinearWithStats.get_statistics)\n",
    "4.3.1b": forward("ResidualBlock"), "4.3.1c": forward("AttentionLayer"),
    "4.3.2a": forward("TimeSeriesPredictor"), "4.3.2b": forward("ImageClassifierWithCAM"),
    "4.3.2c": forward("MultiTaskNetwork"),
    "5.1.1": weights("train_loop_1"), "5.1.2": weights("train_loop_6"),
    "5.1.3": weights("train_loop_11"), "5.1.4": weights("train_loop_16"),
    "5.2.1": "MultiTaskTrainer.train_epoch = _nf_weights_of('model')(\n"
             "    MultiTaskTrainer.train_epoch)\n",
    "5.2.2": weights("curriculum_training_loop"), "5.2.3": "RobustTrainer."
    "train_step_with_gradient_monitoring = _nf_out(RobustTrainer."
    "train_step_with_gradient_monitoring)\n",
    "5.2.4": out("generate_adversarial_examples"),
    "5.2.5": "DistributedSimulator.simulated_all_reduce = _nf_out(DistributedSimulator."
    "simulated_all_reduce)\n",
    "6.1.1": weights("train_model"), "6.1.2": weights("train_text_classifier"),
    "6.1.3a": forward("SentimentModel"), "6.1.3b": weights("train_sentiment"),
    "6.1.4a": out("ner_loss"), "6.1.4b": weights("train_ner"),
    "6.1.5a": forward("MiniTransformerLM"), "6.1.5b": out("lm_loss"),
    "6.2.1": out("focal_loss"), "6.3.1": tensor("rand"), "final.1": weights("fit"),
    "final.2": out("pinball_loss"), "final.3": forward("SequenceClassifier"),
}


# the checks each variant fails, and on which aspect (all others pass)
EXPECTED: dict[str, dict[str, str]] = {
    '1.1.1': {'zeros_1': 'value'},
    '1.1.2': {'ones_1': 'value'},
    '1.1.3': {'rand_1': 'value'},
    '1.1.4': {'randn_1': 'value'},
    '1.1.5': {'arange_7': 'value'},
    '1.1.6': {'linspace_1': 'value'},
    '1.1.7': {'tensor_3': 'value'},
    '1.1.9': {'q4': 'value'},
    '1.2.1': {'elem_1': 'value'},
    '1.2.2': {'slice_1': 'value'},
    '1.2.3': {'range_1': 'value'},
    '1.2.4': {'all_1': 'value'},
    '1.2.5': {'step_1': 'value'},
    '1.2.6': {'neg_1': 'value'},
    '1.2.7': {'q1': 'value'},
    '1.3.1': {'example': 'value', 'random_systems': 'value', 'system_3x3': 'value'},
    '1.3.2': {'create': 'value', 'evaluate': 'value'},
    '1.3.3': {'apply': 'value', 'pipeline': 'value'},
    '1.3.4': {'outliers': 'value', 'z_scores': 'value', 'report': 'value'},
    '2.1.1': {'view_1': 'value'},
    '2.1.2': {'reshape_1': 'value'},
    '2.1.3': {'unsqueeze_1': 'value'},
    '2.1.4': {'squeeze_1': 'value'},
    '2.1.5': {'transpose_1': 'value'},
    '2.1.6': {'permute_1': 'value'},
    '2.1.7': {'flatten_1': 'value'},
    '2.2.1': {'variant_1': 'value'},
    '2.2.2': {'variant_9': 'value'},
    '2.2.3': {'variant_15': 'value'},
    '2.2.4': {'variant_21': 'value'},
    '2.2.5': {'safe_add': 'value'},
    '2.2.6': {'q9': 'type'},
    '2.3.1a': {'convert_hwc_to_chw': 'value'},
    '2.3.1b': {'extract_image_patches': 'value'},
    '2.3.1c': {'create_sliding_windows': 'value'},
    '2.3.1d': {'seasonal_analysis': 'value'},
    '2.3.1e': {'monthly_means': 'value'},
    '2.3.2a': {'pad_sequences': 'value'},
    '2.3.2b': {'create_ngrams': 'value'},
    '2.3.2c': {'pairwise_distances': 'value'},
    '2.3.2d': {'simplified_attention': 'value'},
    '3.1.1': {'x_3': 'value'},
    '3.1.2': {'x_1': 'value'},
    '3.1.3': {'x_1': 'value'},
    '3.1.4': {'x_1': 'value'},
    '3.1.5': {'x_1': 'value'},
    '3.2.1': {'run_model': 'value'},
    '3.2.2': {'detach_practice': 'value'},
    '3.3.1a': {'polynomial': 'value', 'find_critical_points': 'value'},
    '3.3.1b': {'objective_function': 'value'},
    '3.3.2a': {'range_function': 'value', 'find_optimal_angle': 'value'},
    '3.3.2b': {'find_equilibrium': 'value'},
    '3.3.3a': {'linear_regression': 'value'},
    '3.3.3b': {'logistic_regression': 'value'},
    '3.3.3c': {'xor_network': 'value'},
    '4.1.1': {'SimpleLinear1': 'value'},
    '4.1.2': {'SequentialModel2': 'value'},
    '4.1.3': {'SimpleCNN1': 'value'},
    '4.1.4': {'MixedModel3': 'value'},
    '4.1.5': {'CustomLogic1': 'value'},
    '4.2.5': {'norm_9': 'value'},
    '4.2.6': {'activation_2': 'value'},
    '4.2.7': {'dropout_1': 'value'},
    '4.2.9': {'embedding_4': 'value'},
    '4.3.1a': {'tracked': 'value', 'reset': 'value'},
    '4.3.1b': {'forward': 'value'},
    '4.3.1c': {'weights': 'value', 'output': 'value'},
    '4.3.2a': {'uncertainty': 'value', 'horizon': 'value'},
    '4.3.2b': {'logits': 'shape', 'cam_range': 'value', 'cam_values': 'value'},
    '4.3.2c': {'independent': 'grad', 'balancing': 'value'},
    '5.1.1': {'train_loop_1': 'train'},
    '5.1.2': {'train_loop_6': 'train'},
    '5.1.3': {'train_loop_11': 'train'},
    '5.1.4': {'train_loop_16': 'train'},
    '5.2.1': {'multitask_training': 'train'},
    '5.2.2': {'curriculum_training': 'train'},
    '5.2.3': {'monitoring': 'value'},
    '5.2.4': {'fgsm': 'value', 'adv_training': 'train'},
    '5.2.5': {'all_reduce': 'value'},
    '6.1.1': {'training': 'train', 'validation': 'value'},
    '6.1.2': {'training': 'train'},
    '6.1.3a': {'model': 'value', 'masking': 'value'},
    '6.1.3b': {'training': 'train', 'checkpoint': 'value'},
    '6.1.4a': {'loss': 'value'},
    '6.1.4b': {'training': 'train', 'resume': 'train'},
    '6.1.5a': {'shapes': 'value',
        'causality': 'value', 'positions': 'value', 'checkpointing': 'value'},
    '6.1.5b': {'loss': 'value', 'training': 'train'},
    '6.2.1': {'loss': 'value', 'training': 'train'},
    '6.3.1': {'rand': 'value'},
    'final.1': {'fit': 'train'},
    'final.2': {'loss': 'value', 'evaluation': 'value', 'training': 'train'},
    'final.3': {'model': 'value',
        'training': 'train', 'checkpoint': 'train', 'reproducible': 'value', 'predict': 'value'},
}


# exercises with no number a NaN could reach, and why
NO_NONFINITE = {
    "1.1.8": "torch.empty holds whatever memory it gets: only shape and dtype are checked",
    "4.2.1": "Linear declarations have integer sizes only",
    "4.2.2": "Conv2d declarations have integer sizes only",
    "4.2.3": "Conv1d declarations have integer sizes only",
    "4.2.4": "pooling declarations have integer sizes only",
    "4.2.8": "PyTorch itself rejects a NaN dropout for recurrent layers",
}
