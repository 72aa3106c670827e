"""Reference solution of 5.1.3 (training loops, practice set 3: training with validation)."""

import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset


def train_loop_11(model, X, y):
    # 80/20 split, train in train mode, validate in eval mode under no_grad, 15 epochs
    n_train = int(0.8 * len(X))
    X_train, y_train = X[:n_train], y[:n_train]
    X_val, y_val = X[n_train:], y[n_train:]
    criterion = nn.BCEWithLogitsLoss()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    train_loader = DataLoader(TensorDataset(X_train, y_train), batch_size=64, shuffle=True)
    history = {"train_loss": [], "val_loss": []}
    for _epoch in range(15):
        model.train()
        train_loss = 0.0
        for data, target in train_loader:
            optimizer.zero_grad()
            output = model(data)
            loss = criterion(output, target)
            loss.backward()
            optimizer.step()
            train_loss += loss.item()
        model.eval()
        with torch.no_grad():
            val_loss = criterion(model(X_val), y_val).item()
        history["train_loss"].append(train_loss / len(train_loader))
        history["val_loss"].append(val_loss)
    return model, history


def train_loop_12(make_model, X, y, k=5):
    # k-fold cross validation: fold i validates on rows i::k... here contiguous folds
    fold_size = len(X) // k
    accuracies = []
    for fold in range(k):
        val_idx = torch.arange(fold * fold_size, (fold + 1) * fold_size)
        mask = torch.ones(len(X), dtype=torch.bool)
        mask[val_idx] = False
        X_train, y_train = X[mask], y[mask]
        X_val, y_val = X[val_idx], y[val_idx]
        model = make_model()
        criterion = nn.BCEWithLogitsLoss()
        optimizer = optim.Adam(model.parameters(), lr=0.01)
        loader = DataLoader(TensorDataset(X_train, y_train), batch_size=64, shuffle=True)
        for _epoch in range(10):
            model.train()
            for data, target in loader:
                optimizer.zero_grad()
                output = model(data)
                loss = criterion(output, target)
                loss.backward()
                optimizer.step()
        model.eval()
        with torch.no_grad():
            predicted = (model(X_val) > 0).float()
            accuracies.append((predicted == y_val).float().mean().item())
    return accuracies


def train_loop_13(model, X_train, y_train, X_val, y_val, patience=3, max_epochs=100):
    # Early stopping on the validation loss
    criterion = nn.BCEWithLogitsLoss()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=64, shuffle=True)
    best_val_loss = float("inf")
    epochs_without_improvement = 0
    epochs_run = 0
    for _epoch in range(max_epochs):
        model.train()
        for data, target in loader:
            optimizer.zero_grad()
            output = model(data)
            loss = criterion(output, target)
            loss.backward()
            optimizer.step()
        epochs_run += 1
        model.eval()
        with torch.no_grad():
            val_loss = criterion(model(X_val), y_val).item()
        if val_loss < best_val_loss:
            best_val_loss = val_loss
            epochs_without_improvement = 0
        else:
            epochs_without_improvement += 1
            if epochs_without_improvement >= patience:
                break
    return model, epochs_run


def train_loop_14(model, X_train, y_train, X_val, y_val, path):
    # Save the model's state_dict whenever the validation loss improves; 20 epochs
    criterion = nn.BCEWithLogitsLoss()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=64, shuffle=True)
    best_val_loss = float("inf")
    for _epoch in range(20):
        model.train()
        for data, target in loader:
            optimizer.zero_grad()
            output = model(data)
            loss = criterion(output, target)
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            val_loss = criterion(model(X_val), y_val).item()
        if val_loss < best_val_loss:
            best_val_loss = val_loss
            torch.save(model.state_dict(), path)
    return best_val_loss


def train_loop_15(model, X_train, y_train, X_val, y_val):
    # ReduceLROnPlateau(factor=0.5, patience=2) stepped with the validation loss; 20 epochs
    criterion = nn.BCEWithLogitsLoss()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    scheduler = optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5,
                                                     patience=2)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=64, shuffle=True)
    for _epoch in range(20):
        model.train()
        for data, target in loader:
            optimizer.zero_grad()
            output = model(data)
            loss = criterion(output, target)
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            val_loss = criterion(model(X_val), y_val).item()
        scheduler.step(val_loss)
    return model
