"""Reference solution of 2.3.1b (Image batch processing: non-overlapping patches)."""

import torch


def extract_image_patches(images, patch_size=16):
    """(B, C, H, W) -> (B, (H//p)*(W//p), C, p, p); the bottom/right remainder is cropped."""
    b, c, h, w = images.shape
    p = patch_size
    ph, pw = h // p, w // p
    cropped = images[:, :, :ph * p, :pw * p]
    patches = cropped.reshape(b, c, ph, p, pw, p)      # split H and W into (grid, patch)
    patches = patches.permute(0, 2, 4, 1, 3, 5)        # (B, ph, pw, C, p, p)
    return patches.reshape(b, ph * pw, c, p, p)
