"""Hidden tests for 04_architectures/positional_encoding: the checks. The scenarios are in
observe_positional_encoding.py."""

import pytest
import torch

from grader.checks import assert_close, expect, expect_tensor, expect_type
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)

NOT_A_BUFFER = scenes.NOT_A_BUFFER
VALUES = ("the table has wrong values: pe[pos, 2i] = sin(pos / 10000^(2i / d_model)) and "
          "pe[pos, 2i+1] = cos(pos / 10000^(2i / d_model)); check the exponent 2i / d_model and "
          "that the position is divided (not multiplied) by 10000^(...)")


def _reference(max_len, d_model):
    pos = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
    i2 = torch.arange(0, d_model, 2, dtype=torch.float64)
    angle = pos / torch.pow(torch.tensor(10000.0, dtype=torch.float64), i2 / d_model)
    pe = torch.zeros(max_len, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle)
    return pe.float()


def _buffer(buffers):
    """The observed buffer pe, from the module's observed named buffers."""
    expect(type(buffers) is dict and "pe" in buffers, NOT_A_BUFFER)
    return buffers["pe"]


def test_position_zero_pattern(observed):
    """position 0 encodes as 0, 1, 0, 1, ... (sin in even columns, cos in odd ones)"""
    assert_close(observed, torch.tensor([[[0.0, 1.0] * 4]]), what="the encoding of position 0",
                 hint="even columns hold sin, odd columns cos, interleaved (pe[:, 0::2] = sin, "
                      "pe[:, 1::2] = cos), not swapped and not one half then the other")


@pytest.mark.weight(2)
@pytest.mark.parametrize("d_model,max_len", [(4, 10), (16, 60), (64, 200)])
def test_table_values(observed, d_model, max_len):
    """the whole table matches the sinusoid formula"""
    assert_close(observed, _reference(max_len, d_model).unsqueeze(0),
                 what=f"the encoding table (d_model={d_model}, max_len={max_len})",
                 rtol=1e-4, atol=1e-4,
                 hint="even columns hold sin, odd columns cos, interleaved; " + VALUES)


@pytest.mark.parametrize("batch,length", [(3, 7), (5, 2), (2, 12)])
def test_forward_adds_first_rows(observed, batch, length):
    """forward(x) returns x + pe[:L] for (B, L, d_model) inputs"""
    x = scenes.random_input(batch, length, batch * 10 + length)
    expected = x + _reference(12, 8)[:length]
    assert_close(observed, expected, what=f"forward of a ({batch}, {length}, 8) input",
                 rtol=1e-4, atol=1e-4,
                 hint="add the first L rows of the table, L = x.shape[1] the sequence length (not "
                      "x.shape[0], the batch size), broadcast over the batch; " + VALUES)


@pytest.mark.weight(2)
def test_pe_is_a_buffer_not_a_parameter(observed):
    """stores the table as the buffer pe, (max_len, d_model) float32, with no parameters"""
    params = observed["parameters"]
    expect(not params, f"the module has parameters {params}: the encoding is fixed, not learned. "
                       "It is not a parameter: " + NOT_A_BUFFER)
    pe = _buffer(observed["buffers"])
    expect_tensor(pe, "the buffer pe", shape=(9, 6), dtype=torch.float32, requires_grad=False,
                  hint="pe must be a float32 tensor of shape (max_len, d_model) that does not "
                       "require grad")


@pytest.mark.weight(2)
def test_saved_and_loaded_with_state_dict(observed):
    """pe is saved in state_dict() and loads back"""
    expect("pe" in observed["state_keys"],
           "pe is not in state_dict(): register the buffer with persistent=True "
           "(persistent=False buffers, and plain attributes, are not saved)")
    assert_close(_buffer(observed["loaded"]), _reference(5, 4), what="pe after load_state_dict",
                 rtol=1e-4, atol=1e-4,
                 hint="load_state_dict must restore pe: register it with persistent=True")


@pytest.mark.weight(2)
def test_moves_with_to(observed):
    """moves with .to('meta') and works on inputs on that device"""
    expect(observed["returns_itself"] is True,
           "`.to()` should return the module itself: do not override it")
    pe = _buffer(observed["buffers"])
    expect_tensor(pe, "pe after module.to('meta')", device="meta",
                  hint="the table did not move with the module: " + NOT_A_BUFFER)
    expect_tensor(observed["out"], "forward of a meta input", shape=(2, 5, 8), device="meta",
                  hint="the output must be on the input's device")


def test_converts_with_to_dtype(observed):
    """.to(torch.float64) converts pe, and float64 inputs give float64 outputs"""
    expect_tensor(_buffer(observed["buffers"]), "pe after module.to(torch.float64)",
                  dtype=torch.float64, hint="the table did not follow .to(dtype): " + NOT_A_BUFFER)
    x = scenes.random_input(2, 4, 3, torch.float64)
    expected = x + _reference(10, 8)[:4].double()
    assert_close(observed["out"], expected, what="forward of a float64 input",
                 rtol=1e-4, atol=1e-4, hint="the output must keep x's dtype, float64")


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_keeps_half_dtype(observed, dtype):
    """keeps a float16/bfloat16 input's dtype although the table is float32"""
    x = scenes.half_input(4, dtype)
    expected = (x.float() + _reference(10, 8)[:4]).to(dtype)
    out = expect_tensor(observed, f"forward of a {dtype} input", shape=(2, 4, 8), dtype=dtype,
                        hint="adding the float32 table upcasts a half-precision x: cast the slice "
                             "with .to(x.dtype) so the output keeps x.dtype")
    assert_close(out, expected, what=f"forward in {dtype}",
                 rtol=2e-2, atol=2e-2, hint=VALUES)


def test_input_not_modified(observed):
    """returns a new tensor and leaves x unchanged"""
    before = scenes.small_input(5)
    expect(bool(torch.equal(observed["x"], before)),
           "x was changed in place: return x + pe[:L], do not write x += ... or x.add_(...)")
    expect_tensor(observed["out"], "the output", shape=(2, 3, 4))


def test_gradient_flows_to_input(observed):
    """the output is differentiable with respect to x (gradient of a sum is all ones)"""
    expect_tensor(observed["out"], "the output", requires_grad=True,
                  hint="the output is cut off from autograd: do not detach x or work under "
                       "torch.no_grad()")
    grad = observed["x_grad"]
    expect(grad is not None, "no gradient reached x: keep the addition in autograd")
    assert_close(grad, torch.ones(2, 3, 4), what="the gradient of x",
                 hint="the output should be x + pe[:L], so d(sum)/dx is all ones")


def test_expect_module_type(observed):
    """is an nn.Module that returns a plain tensor"""
    expect(observed["is_module"] is True, "SinusoidalPositionalEncoding must subclass nn.Module")
    expect_type(observed["out"], torch.Tensor, "forward's return value",
                hint="forward returns the sum as one tensor")


@pytest.mark.gpu
def test_cuda(observed):
    """moves to CUDA with the module and keeps a float16 input's dtype there"""
    expect_tensor(_buffer(observed["buffers"]), "pe after .to('cuda')", device="cuda",
                  hint=NOT_A_BUFFER)
    x = scenes.half_input(7, torch.float16, "cuda")
    expected = (x.float() + _reference(10, 8)[:4].cuda()).half()
    out = expect_tensor(observed["out"], "forward on CUDA", dtype=torch.float16, device="cuda",
                        hint="the output must keep x's dtype and device")
    assert_close(out, expected, what="forward on CUDA",
                 rtol=2e-2, atol=2e-2, hint=VALUES)
