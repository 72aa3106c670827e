"""TorchDojo chat side (never imports torch)."""
