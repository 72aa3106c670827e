"""Reference solution of 5.2.3 (robust training techniques)."""

import copy

import torch


class RobustTrainer:
    def __init__(self, model, optimizer, criterion):
        self.model = model
        self.optimizer = optimizer
        self.criterion = criterion
        self.gradient_norms = []
        self.loss_history = []
        self.patience_counter = 0
        self.best_val_loss = float("inf")
        self.best_model_state = None
        self.early_stopping_patience = 10
        self.min_delta = 1e-4
        self.noise_std = 0.01

    def noise_schedule(self, epoch):
        return max(0.001, self.noise_std * (0.95 ** epoch))

    def train_step_with_gradient_monitoring(self, data, target):
        self.optimizer.zero_grad()
        outputs = self.model(data)
        loss = self.criterion(outputs, target)
        if torch.isnan(loss) or torch.isinf(loss):
            return None
        loss.backward()
        total_grad_norm = 0.0
        for param in self.model.parameters():
            if param.grad is not None:
                total_grad_norm += param.grad.norm(2).item() ** 2
        total_grad_norm = total_grad_norm ** 0.5
        self.gradient_norms.append(total_grad_norm)
        clipped = total_grad_norm > 10.0
        if clipped:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), max_norm=1.0)
        self.optimizer.step()
        self.loss_history.append(loss.item())
        return {"loss": loss.item(), "grad_norm": total_grad_norm, "grad_clipped": clipped}

    def adaptive_early_stopping(self, val_loss, patience=None):
        if patience is None:
            patience = self.early_stopping_patience
        if val_loss < self.best_val_loss - self.min_delta:
            self.best_val_loss = val_loss
            self.best_model_state = copy.deepcopy(self.model.state_dict())
            self.patience_counter = 0
            return False
        self.patience_counter += 1
        effective_patience = patience
        if len(self.loss_history) > 10:
            variance = torch.var(torch.tensor(self.loss_history[-10:]))
            if variance > 0.1:
                effective_patience = patience * 1.5
        should_stop = self.patience_counter >= effective_patience
        if should_stop and self.best_model_state is not None:
            self.model.load_state_dict(self.best_model_state)
        return should_stop

    def noise_injection_training(self, data, epoch, noise_std=None):
        if noise_std is None:
            noise_std = self.noise_schedule(epoch)
        return data + torch.randn_like(data) * noise_std
