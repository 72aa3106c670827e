"""Reference solution of 4.2.9 (Practice Set 9: Embedding layers — 10 declarations)."""

import torch.nn as nn

embedding_1 = nn.Embedding(10000, 300)  # word embeddings
embedding_2 = nn.Embedding(5000, 128, padding_idx=0)  # with padding
embedding_3 = nn.Embedding(50000, 512)  # large vocabulary
embedding_4 = nn.Embedding(1000, 64, max_norm=1.0)  # normalized embeddings
embedding_5 = nn.Embedding(20000, 256, sparse=True)  # sparse embeddings
embedding_6 = nn.EmbeddingBag(10000, 300, mode='mean')  # embedding bag
embedding_7 = nn.Embedding(2000, 100, scale_grad_by_freq=True)  # scaled gradients
embedding_8 = nn.Embedding(15000, 768)  # BERT-like embeddings
embedding_9 = nn.Embedding(30000, 200, padding_idx=1)  # different padding
embedding_10 = nn.EmbeddingBag(5000, 150, mode='sum')  # sum pooling embeddings
