"""Hidden tests for 03_training_loop/checkpoint: the checks. The scenarios are in
observe_checkpoint.py; the models to compare with are rebuilt here from the same seeds."""

import pytest
import torch

from grader.checks import assert_equal_tensors, expect, expect_type
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)

OPTIMIZER = (
    "the optimizer's state was not restored: save optimizer.state_dict() and load it back with "
    "optimizer.load_state_dict(...) into the optimizer you were given (Adam's step count, running "
    "averages and learning rate live there)"
)


def _expect_saved(observed):
    saved = observed["saved"]
    expect(saved["written"] is True,
           f"save_checkpoint wrote no file at {saved['path']}: torch.save(..., path)")


def _expect_one_dict(observed):
    read = observed["read"]
    expect(read["is_dict"] is True, "save one dict, e.g. {'model': model.state_dict(), "
                                    "'optimizer': optimizer.state_dict(), 'epoch': epoch}, "
                                    f"not a {read['type']}")


def _compare_state(state, ref, hint, what="the loaded model"):
    for name, value in ref.state_dict().items():
        expect(name in state, f"{what} has no {name!r}")
        assert_equal_tensors(state[name], value, what=f"{what}'s {name!r}", hint=hint)


def _expect_optimizer_entries(mine, ref, hint):
    """The loaded optimizer has state for every parameter `ref` has, with the same keys, and as
    many parameter groups."""
    want = ref.state_dict()
    expect(len(mine["state"]) == len(want["state"]),
           f"{hint} (the optimizer has state for {len(mine['state'])} parameters, expected "
           f"{len(want['state'])})")
    for index, state in want["state"].items():
        got = mine["state"].get(index, {})
        for key in state:
            expect(got.get(key) is not None, f"{hint} (no {key!r} for parameter {index})")
        expect(len(got) == len(state),
               f"{hint} (parameter {index} has the state keys {sorted(got)}, expected "
               f"{sorted(state)})")
    expect(len(mine["lrs"]) == len(want["param_groups"]),
           f"{hint} (the optimizer has {len(mine['lrs'])} parameter groups, expected "
           f"{len(want['param_groups'])})")
    return want


def _compare_optimizers(mine, ref, hint):
    want = _expect_optimizer_entries(mine, ref, hint)
    for index, state in want["state"].items():
        for key, value in state.items():
            if isinstance(value, torch.Tensor):
                assert_equal_tensors(mine["state"][index][key], value, hint=hint,
                                     what=f"the optimizer's {key!r} of parameter {index}")
    for lr, ref_group in zip(mine["lrs"], want["param_groups"]):
        expect(lr == ref_group["lr"],
               f"{hint} (the learning rate is {lr}, the saved one was {ref_group['lr']})")


def _optimizer_tensors(optimizer):
    """(key, tensor) for every tensor of the loaded optimizer's state but the step count."""
    return [(key, value) for state in optimizer["state"].values() for key, value in state.items()
            if isinstance(value, torch.Tensor) and key != "step"]


def test_checkpoint_is_plain_data(observed):
    """writes one dict that torch.load(..., weights_only=True) accepts"""
    _expect_saved(observed)
    _expect_one_dict(observed)


@pytest.mark.weight(2)
def test_restores_the_model(observed):
    """restores every parameter and buffer (BatchNorm statistics) bit for bit, in place"""
    _expect_saved(observed)
    model, _ = scenes.trained(2)
    _compare_state(observed["state"], model,
                   "the model was not restored: save model.state_dict() (parameters "
                   "and buffers) and load it with model.load_state_dict(...) into "
                   "the model you were given")
    expect(observed["same_parameters"] is True,
           "the model's parameters were replaced by new tensors: load_state_dict copies into the "
           "existing ones, which the optimizer also points at")


@pytest.mark.parametrize("epoch", [0, 7])
def test_returns_the_saved_epoch(observed, epoch):
    """returns the saved epoch as an int (string paths work too)"""
    _expect_saved(observed)
    result = observed["result"]
    expect_type(result, int, "load_checkpoint's return value",
                hint="return the epoch that was saved, as a plain int (save the int itself, "
                     "not a tensor)")
    expect(result == epoch, f"load_checkpoint returned {result}, but the epoch that was saved is "
                            f"{epoch}: return it unchanged (the caller decides where to resume)")


@pytest.mark.weight(2)
def test_restores_the_optimizer(observed):
    """restores Adam's state (step, running averages) and learning rate"""
    _expect_saved(observed)
    _, opt = scenes.trained(5, steps=3)
    _compare_optimizers(observed["optimizer"], opt, OPTIMIZER)


@pytest.mark.weight(3)
@pytest.mark.parametrize("before,after", [(3, 3), (1, 4)])
def test_resuming_is_bit_identical(observed, before, after):
    """train, save, load into a fresh model and optimizer, continue: same as never stopping"""
    _expect_saved(observed)
    batches = scenes.batches(7 + before, before + after)
    straight = scenes.model(8)
    straight_losses = scenes.train(straight, scenes.adam(straight), batches)

    hint = ("resuming does not reproduce the uninterrupted run: restore the model's state_dict "
            "(parameters and buffers) and the optimizer's state_dict (Adam's step count, running "
            "averages, learning rate)")
    resumed_losses = observed["losses"]
    expect(len(resumed_losses) == after, "not every step after resuming was observed")
    for i, (got, want) in enumerate(zip(resumed_losses, straight_losses[before:])):
        assert_equal_tensors(got, want, what=f"the loss of step {before + i + 1} after resuming",
                             hint=hint)
    _compare_state(observed["state"], straight, hint, what="the resumed model")


@pytest.mark.weight(2)
def test_refuses_to_run_code_from_the_file(observed):
    """loads with weights_only=True: a checkpoint carrying pickled code is refused"""
    _expect_saved(observed)
    _expect_one_dict(observed)
    refused = observed["refused"]
    unsafe = ("torch.load ran code stored in the checkpoint: load with weights_only=True, which "
              "accepts only tensors and plain data (never weights_only=False: a checkpoint from "
              "someone else could run anything on your machine)")
    expect(observed["code_ran"] is False, unsafe)
    expect(type(refused) is str and ("Weights only load failed" in refused or "Unpickl" in refused),
           unsafe + (f" (loading raised {refused[:150]})" if refused else ""))


def test_map_location_for_a_gpu_checkpoint(observed):
    """loads a checkpoint written on a GPU when map_location='cpu' is given"""
    _expect_saved(observed)
    _expect_one_dict(observed)
    epoch = observed["epoch"]
    expect(type(epoch) is int and epoch == 5,
           f"load_checkpoint returned {epoch!r}, expected the saved epoch 5")
    model, _ = scenes.trained(11)
    _compare_state(observed["state"], model, scenes.MAP_LOCATION)
    devices = observed["parameter_devices"]
    expect(devices == ["cpu"] * len(list(model.parameters())),
           "the model's parameters left the CPU: " + scenes.MAP_LOCATION)


def test_refuses_a_different_architecture(observed):
    """a checkpoint of another architecture raises instead of loading half of it"""
    _expect_saved(observed)
    expect(observed["raised"] is not None,
           "a checkpoint from a different model loaded without an error: keep load_state_dict's "
           "default strict=True, so missing or unexpected keys raise instead of being skipped")


def test_saving_leaves_the_model_alone(observed, device):
    """saving changes neither the model nor its device"""
    _expect_saved(observed)
    model, _ = scenes.trained(15, device=device)
    state = observed["state"]
    for name, before in model.state_dict().items():
        expect(name in state, f"the model's {name!r} was not observed after saving")
        value = state[name]
        expect(value.device.type == torch.device(device).type,
               f"saving moved the model's {name!r} to {value.device}: do not call model.cpu() "
               "or .to() on the model to save it (state_dict() tensors save from any device)")
        assert_equal_tensors(value, before, what=f"the model's {name!r} after saving",
                             hint="saving must not change the model")


@pytest.mark.gpu
def test_gpu_checkpoint_loads_on_cpu(observed):
    """a checkpoint saved from a CUDA model loads into a CPU model with map_location='cpu'"""
    _expect_saved(observed)
    epoch = observed["epoch"]
    expect(type(epoch) is int and epoch == 4,
           f"load_checkpoint returned {epoch!r}, expected the saved epoch 4")
    model, opt = scenes.trained(16, device="cuda")
    state = observed["state"]
    for name, value in model.state_dict().items():
        expect(name in state, f"the CPU model has no {name!r}")
        assert_equal_tensors(state[name], value.cpu(), what=f"the CPU model's {name!r}",
                             hint=scenes.MAP_LOCATION)
    _expect_optimizer_entries(observed["optimizer"], opt, OPTIMIZER)
    for key, value in _optimizer_tensors(observed["optimizer"]):
        expect(value.device.type == "cpu",
               f"the optimizer's {key!r} is on {value.device}: " + scenes.MAP_LOCATION)


@pytest.mark.gpu
def test_cpu_checkpoint_loads_on_gpu(observed):
    """a CPU checkpoint loads into a CUDA model and optimizer with map_location='cuda'"""
    _expect_saved(observed)
    model, opt = scenes.trained(18, device="cpu")
    state = observed["state"]
    for name, value in model.state_dict().items():
        expect(name in state, f"the GPU model has no {name!r}")
        got = state[name]
        expect(got.device.type == "cuda",
               f"the model's {name!r} left the GPU: load_state_dict copies into the model's own "
               "tensors")
        assert_equal_tensors(got, value, what=f"the GPU model's {name!r}", hint=scenes.MAP_LOCATION)
    _expect_optimizer_entries(observed["optimizer"], opt, OPTIMIZER)
    for key, value in _optimizer_tensors(observed["optimizer"]):
        expect(value.device.type == "cuda",
               f"the optimizer's {key!r} is on {value.device}, not the GPU: " + OPTIMIZER)
