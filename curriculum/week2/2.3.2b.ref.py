"""Reference solution of 2.3.2b (NLP data: n-grams and transformer inputs)."""

import torch


def pad_sequences(sequences, max_length=None, pad_value=0):
    if max_length is None:
        max_length = max(len(seq) for seq in sequences)
    batch_size = len(sequences)
    padded = torch.full((batch_size, max_length), pad_value, dtype=sequences[0].dtype)
    attention_mask = torch.zeros(batch_size, max_length)
    for i, seq in enumerate(sequences):
        n = min(len(seq), max_length)
        padded[i, :n] = seq[:n]
        attention_mask[i, :n] = 1
    return padded, attention_mask


def create_ngrams(sequence, n=3):
    """(L,) -> (L - n + 1, n) sliding n-grams; (0, n) when the sequence is shorter than n."""
    if len(sequence) < n:
        return torch.empty(0, n, dtype=sequence.dtype)
    return sequence.unfold(0, n, 1)


def prepare_for_transformer(batch_sequences, cls_token=101, sep_token=102):
    """Add [CLS]/[SEP], pad, and build attention masks and position ids."""
    processed = [torch.cat([torch.tensor([cls_token]), seq, torch.tensor([sep_token])])
                 for seq in batch_sequences]
    input_ids, attention_mask = pad_sequences(processed)
    batch_size, seq_length = input_ids.shape
    position_ids = torch.arange(seq_length).unsqueeze(0).expand(batch_size, -1)
    return {"input_ids": input_ids, "attention_mask": attention_mask,
            "position_ids": position_ids}
