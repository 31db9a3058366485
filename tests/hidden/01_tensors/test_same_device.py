"""Hidden tests for 01_tensors/same_device: the checks. The scenarios are in
observe_same_device.py."""

import pytest
import torch

from grader.checks import assert_close, expect, expect_tensor, expect_type
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_bias_column_values(observed, device, dtype):
    """appends a column of ones, keeping x's dtype and device"""
    for seed, (shape, seen) in enumerate(zip(scenes.BIAS_SHAPES, observed, strict=True)):
        x = scenes.features(seed, shape, dtype, device)
        expected = torch.cat([x, torch.ones(shape[0], 1, dtype=dtype, device=device)], dim=1)
        assert_close(seen["result"], expected,
                     what=f"add_bias_column(x) for a {dtype} x of shape {shape}",
                     hint="the column of ones must have x's dtype and device (x.new_ones(n, 1), or "
                          "torch.ones(n, 1, dtype=x.dtype, device=x.device)): a float32 column "
                          "changes the dtype of the result")
        assert_close(seen["x"], x, what="x after add_bias_column",
                     hint="x itself must not be changed")


@pytest.mark.parametrize("dtype", [torch.float16, torch.float64])
def test_bias_column_on_another_device(observed, dtype):
    """makes the column on x's device (meta here), not on the CPU"""
    expect_tensor(observed, "add_bias_column(meta x)", shape=(5, 5), dtype=dtype,
                  device="meta",
                  hint="create the ones on x's device and with x's dtype: device=x.device, "
                       "dtype=x.dtype (or x.new_ones)")


def test_bias_column_keeps_the_graph(observed):
    """keeps the result connected to x's autograd graph"""
    expect_tensor(observed["result"], "add_bias_column(x)", shape=(3, 3), requires_grad=True,
                  hint="the result lost x's graph: build it from x with torch.cat, do not detach "
                       "or copy through NumPy or torch.tensor()")
    assert_close(observed["x_grad"], torch.ones(3, 2),
                 what="x.grad after add_bias_column(x).sum().backward()",
                 hint="gradients should flow back to x through torch.cat")


def test_positions_values(observed, device):
    """positions[b, t] == t, as int64, on the tokens' device"""
    for shape, seen in zip(scenes.TOKEN_SHAPES, observed, strict=True):
        expected = torch.arange(shape[1], device=device).repeat(shape[0], 1)
        assert_close(seen["result"], expected,
                     what=f"positions_for(tokens of shape {shape})",
                     hint="positions count along the sequence (dim 1, length T = tokens.shape[1]) "
                          "and repeat for every row of the batch: torch.arange(T, "
                          "device=tokens.device) expanded to (B, T), as int64 (positions are "
                          "indices)")
        assert_close(seen["tokens"], scenes.tokens(shape, device),
                     what="tokens after positions_for", hint="tokens must not be changed")


def test_positions_on_another_device(observed):
    """makes the positions on the tokens' device (meta here), as int64"""
    expect_tensor(observed, "positions_for(meta tokens)", shape=(3, 6),
                  dtype=torch.int64, device="meta",
                  hint="torch.arange makes a CPU tensor unless told otherwise: pass "
                       "device=tokens.device")


def test_model_device_of_parameters(observed, device):
    """returns the device of a model's parameters, as a torch.device"""
    for model, got in zip(scenes.models_with_parameters(device), observed, strict=True):
        want = next(model.parameters()).device
        expect_type(got, torch.device, "model_device(model)",
                    hint="return a torch.device (parameter.device), not a string or its .type")
        expect(got == want, f"the model's parameters are on {want}, got {got}: ask the model "
               "(next(model.parameters()).device), do not guess from torch.cuda.is_available()")


def test_model_device_without_parameters(observed):
    """uses the buffers of a model without parameters, and the CPU for a model with neither"""
    buffers_only, neither = observed
    expect(type(buffers_only) is torch.device and buffers_only.type == "meta",
           f"a model with only buffers (on meta) is on meta, got {buffers_only!r}: when "
           "model.parameters() is empty, use the first of model.buffers()")
    expect(type(neither) is torch.device and neither.type == "cpu",
           "a model without parameters or buffers should give torch.device('cpu'), "
           f"got {neither!r}")


@pytest.mark.parametrize("model_dtype", [torch.float64, torch.float16])
def test_batch_tensor(observed, model_dtype):
    """moves a tensor batch to the model's device and dtype"""
    expect_tensor(observed["result"], "batch_to_model(tensor, model)", shape=(4, 3),
                  dtype=model_dtype, device="meta",
                  hint="a floating batch must go to the model's device and take the dtype of its "
                       "parameters: x.to(device=..., dtype=param.dtype)")
    x = observed["x"]
    expect(x.device.type == "cpu" and x.dtype == torch.float32,
           "the input batch changed: .to() returns a new tensor, use that")


def test_batch_dict_keeps_integer_dtypes(observed):
    """moves every tensor of a dict; labels and masks keep their integer/bool dtype"""
    batch = scenes.labelled_batch()
    moved = observed["result"]
    expect_type(moved, dict, "batch_to_model(dict, model)", hint="return a dict for a dict batch")
    expect(list(moved) == list(batch),
           f"the keys changed: got {list(moved)}, expected {list(batch)}")
    expect_tensor(moved["x"], "moved['x']", shape=(4, 3), dtype=torch.float64, device="meta",
                  hint="floating tensors go to the model's device and dtype")
    for name in ("y", "mask", "ids"):
        expect_tensor(moved[name], f"moved[{name!r}]", shape=tuple(batch[name].shape),
                      dtype=batch[name].dtype, device="meta",
                      hint="integer and bool tensors (labels, ids, masks) keep their dtype: move "
                           "them with .to(device) only; convert only t.is_floating_point() ones")
    expect(all(same is True for same in observed["same_tensors"])
           and len(observed["same_tensors"]) == len(batch) == observed["batch_length"],
           "the input dict was changed: build a new dict instead of assigning into the batch")


def test_batch_to_model_on_device(observed, device):
    """moves a CPU batch to a model on the test device, values kept"""
    batch = scenes.cpu_batch()
    moved = expect_type(observed, dict, "batch_to_model(dict, model)",
                        hint="return a dict for a dict batch")
    assert_close(moved["x"], batch["x"].to(device), what="moved['x']",
                 hint="the batch must be on the model's device with its values unchanged")
    assert_close(moved["y"], batch["y"].to(device), what="moved['y']",
                 hint="labels must be on the model's device and keep their int64 dtype")


def test_batch_for_a_model_without_parameters(observed):
    """moves a batch to a buffer-only model without changing dtypes"""
    expect_tensor(observed, "batch_to_model(x, model with only buffers)",
                  shape=(2, 3), dtype=torch.float64, device="meta",
                  hint="a model without parameters: move to the device of its buffers "
                       "(model_device), keep the dtype")
