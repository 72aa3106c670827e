"""Reference solution of 2.3.1a (Image batch processing: HWC→CHW and flattening for an MLP)."""

import torch


def convert_hwc_to_chw(images):
    """(B, H, W, C) -> (B, C, H, W)."""
    return images.permute(0, 3, 1, 2)


def flatten_for_mlp(images):
    """(B, C, H, W) -> (B, C*H*W), for contiguous and permuted (non-contiguous) inputs."""
    return images.reshape(images.shape[0], -1)
