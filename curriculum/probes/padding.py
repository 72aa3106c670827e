"""Probe prelude: a sequence model run three ways — padded batch, extra padding columns, each
sequence on its own — to see whether padding changes its outputs (runs in the jail)."""

import torch
from torch.nn.utils.rnn import pad_sequence


def padding_runs(model, d):
    model.eval()
    seqs = d["seqs"]
    lengths = torch.tensor([len(s) for s in seqs])
    x = pad_sequence(seqs, batch_first=True)
    wider = torch.cat([x, torch.zeros(len(seqs), d["extra"], dtype=x.dtype)], dim=1)
    with torch.no_grad():
        batch = model(x, lengths)
        padded_more = model(wider, lengths)
        alone = torch.cat([model(s.unsqueeze(0), lengths[i:i + 1]) for i, s in enumerate(seqs)])
    return batch, padded_more, alone
