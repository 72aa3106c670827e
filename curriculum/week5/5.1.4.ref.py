"""Reference solution of 5.1.4 (training loops, practice set 4: advanced patterns)."""

import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, Subset, TensorDataset


def train_loop_16(model, X, y):
    # Gradient clipping: clip_grad_norm_(max_norm=1.0) between backward() and step(); 10 epochs
    criterion = nn.MSELoss()
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    dataloader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    for _epoch in range(10):
        for data, target in dataloader:
            optimizer.zero_grad()
            output = model(data)
            loss = criterion(output, target)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
    return model


def train_loop_17(model, X, y):
    # Mixed precision: autocast + GradScaler (float16 on CUDA, bfloat16 on CPU); 10 epochs
    device = next(model.parameters()).device
    amp_dtype = torch.float16 if device.type == "cuda" else torch.bfloat16
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    scaler = torch.amp.GradScaler(device.type)
    dataloader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    for _epoch in range(10):
        for data, target in dataloader:
            optimizer.zero_grad()
            with torch.autocast(device_type=device.type, dtype=amp_dtype):
                output = model(data)
                loss = criterion(output, target)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
    return model


def train_loop_18(model, X, y, accumulation_steps=4):
    # Gradient accumulation: micro-batches of 8, one update per 4 of them (= batch 32);
    # SGD lr=0.05, 5 epochs, no shuffling so the result equals plain batch-32 training
    criterion = nn.MSELoss()
    optimizer = optim.SGD(model.parameters(), lr=0.05)
    dataloader = DataLoader(TensorDataset(X, y), batch_size=8, shuffle=False)
    optimizer.zero_grad()
    for _epoch in range(5):
        for batch_idx, (data, target) in enumerate(dataloader):
            output = model(data)
            loss = criterion(output, target) / accumulation_steps
            loss.backward()
            if (batch_idx + 1) % accumulation_steps == 0:
                optimizer.step()
                optimizer.zero_grad()
    return model


def train_loop_19(model, X, y, difficulty):
    # Curriculum: epochs 1-3 use the easiest 40% (lowest difficulty), 4-6 the easiest 70%,
    # 7-9 everything
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    order = torch.argsort(difficulty)
    dataset = TensorDataset(X, y)
    for epoch in range(9):
        fraction = 0.4 if epoch < 3 else (0.7 if epoch < 6 else 1.0)
        subset = Subset(dataset, order[: int(fraction * len(X))].tolist())
        loader = DataLoader(subset, batch_size=32, shuffle=True)
        for data, target in loader:
            optimizer.zero_grad()
            output = model(data)
            loss = criterion(output, target)
            loss.backward()
            optimizer.step()
    return model


def train_loop_20(model, X, y_reg, y_cls):
    # Multi-task: model returns (regression, class logits); loss = 1.0 * MSE + 0.5 * CE
    mse = nn.MSELoss()
    ce = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    dataloader = DataLoader(TensorDataset(X, y_reg, y_cls), batch_size=32, shuffle=True)
    for _epoch in range(10):
        for data, target_reg, target_cls in dataloader:
            optimizer.zero_grad()
            out_reg, out_cls = model(data)
            loss = 1.0 * mse(out_reg, target_reg) + 0.5 * ce(out_cls, target_cls)
            loss.backward()
            optimizer.step()
    return model
