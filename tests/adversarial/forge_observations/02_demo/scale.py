"""Scale a tensor."""
import torch


def scale(x: torch.Tensor, factor: float) -> torch.Tensor:
    ### BEGIN SOLUTION
    # TODO: multiply by factor, keeping the device.
    return x * factor
    ### END SOLUTION
