"""The zoo: names, aliases, metadata, and the paper's architectures module for module (gcp.md §1.1, §2, §6)."""

import math

import pytest
import torch
import torchvision

from evaluators.errors import UnknownNameError
from evaluators.models import CovariancePooling, create_model, list_models, model_info
from evaluators.models.zoo import build_shapes_only, resolve

# gcp.md §1.1: parameters (M) with 1000 classes, d, and state-dict key counts where the spec gives them.
PAPER_MODELS = {
    "resnet18": (11.690, None, 122),
    "resnet34": (21.798, None, 218),
    "resnet50": (25.557, None, 320),
    "resnet101": (44.549, None, 626),
    "mobilenet_v2": (3.505, None, None),
    "shufflenet_v2_x1_0": (2.279, None, None),
    "resnet18_gcp": (44.205, 256, 128),
    "resnet34_gcp": (54.313, 256, 224),
    "resnet50_gcp": (56.930, 256, 326),
    "resnet101_gcp": (75.922, 256, 632),
    "mobilenet_v2_gcp": (35.449, 256, 320),
    "shufflenet_v2_x1_0_gcp": (34.413, 256, 344),
    "resnet50_gcp_128": (32.027, 128, None),
    "mobilenet_v2_gcp_128": (10.645, 128, None),
}
ALIASES = {
    "resnet18_mpncov": "resnet18_gcp", "resnet34_mpncov": "resnet34_gcp", "resnet50_mpncov": "resnet50_gcp",
    "resnet101_mpncov": "resnet101_gcp", "resnet50_mpncov_128": "resnet50_gcp_128",
    "mobilenet_v2_mpncov": "mobilenet_v2_gcp", "mobilenet_v2_mpncov_128": "mobilenet_v2_gcp_128",
    "shufflenet_v2_mpncov_x1_0": "shufflenet_v2_x1_0_gcp",
}


def meta_model(name: str, num_classes: int = 1000) -> torch.nn.Module:
    return build_shapes_only(resolve(name)[1], num_classes)


def final_map(model: torch.nn.Module, side: int) -> tuple[int, int]:
    """Height and width of the map that reaches the covariance pooling, found on the meta device."""

    class Reached(Exception):
        pass

    def stop(_module, args):
        raise Reached(tuple(args[0].shape[-2:]))

    model.eval()  # batch norm in training mode refuses a 1×1 map of one sample
    head = next(m for m in model.modules() if isinstance(m, CovariancePooling))
    handle = head.register_forward_pre_hook(stop)
    try:
        model(torch.empty(1, 3, side, side, device="meta"))
    except Reached as reached:
        return reached.args[0]
    finally:
        handle.remove()
    raise AssertionError("the head was never reached")


def test_zoo_names_and_aliases():
    assert sorted(list_models()) == sorted(PAPER_MODELS)
    for alias, name in ALIASES.items():
        assert model_info(alias).name == name and alias in model_info(name).aliases
    extras = list_models(torchvision=True)
    assert extras[: len(PAPER_MODELS)] == list_models()
    assert len(extras) == len(set(extras))
    assert set(extras) == set(PAPER_MODELS) | set(torchvision.models.list_models(module=torchvision.models))
    with pytest.raises(UnknownNameError, match="unknown model 'resnet50_mpncov_160'"):
        model_info("resnet50_mpncov_160")


@pytest.mark.parametrize("name", PAPER_MODELS)
def test_parameter_counts_and_keys_follow_the_spec(name):
    millions, dim, keys = PAPER_MODELS[name]
    info = model_info(name)
    assert round(info.num_params / 1e6, 3) == millions
    assert info.gcp_dim == dim and info.pooling == ("gcp" if dim else "gap") and info.in_zoo
    assert (info.preprocessing.resize, info.preprocessing.crop) == (256, 224)
    assert info.preprocessing.mean == (0.485, 0.456, 0.406) and info.preprocessing.std == (0.229, 0.224, 0.225)
    if keys is not None:
        assert len(meta_model(name).state_dict()) == keys


@pytest.mark.parametrize("name", ["resnet18", "resnet101", "mobilenet_v2", "shufflenet_v2_x1_0"])
def test_gap_models_are_torchvision_modules(name):
    with torch.device("meta"):
        expected = torchvision.models.get_model(name, weights=None)
    assert type(meta_model(name)) is type(expected)
    ours = {k: v.shape for k, v in meta_model(name).state_dict().items()}
    assert ours == {k: v.shape for k, v in expected.state_dict().items()}
    assert model_info(name).min_input_size == 1


@pytest.mark.parametrize("name", [n for n, (_, dim, _) in PAPER_MODELS.items() if dim])
def test_gcp_maps_and_minimum_input_size(name):
    model, info = meta_model(name), model_info(name)
    resnet = name.startswith("resnet")
    assert final_map(model, 224) == ((14, 14) if resnet else (7, 7))
    assert final_map(model, info.min_input_size) == (2, 2)
    assert final_map(model, info.min_input_size - 1) == (1, 1)
    assert info.min_input_size == (17 if resnet else 33)


def test_gcp_head_wiring():
    resnet = meta_model("resnet50_gcp")
    first = resnet.layer4[0]
    assert first.conv2.stride == (1, 1) and first.downsample[0].stride == (1, 1) and first.conv1.stride == (1, 1)
    assert resnet.layer3[0].conv2.stride == (2, 2)
    assert isinstance(resnet.layer_reduce_relu, torch.nn.ReLU) and not hasattr(resnet, "avgpool")
    backbone = {"conv1", "bn1", "layer1", "layer2", "layer3", "layer4"}
    heads = {k: tuple(v.shape) for k, v in resnet.state_dict().items() if k.split(".")[0] not in backbone}
    assert heads == {
        "layer_reduce.weight": (256, 2048, 1, 1), "layer_reduce_bn.weight": (256,), "layer_reduce_bn.bias": (256,),
        "layer_reduce_bn.running_mean": (256,), "layer_reduce_bn.running_var": (256,),
        "layer_reduce_bn.num_batches_tracked": (), "fc.weight": (1000, 32896), "fc.bias": (1000,),
    }
    basic = meta_model("resnet18_gcp").layer4[0]
    assert basic.conv1.stride == (1, 1) and basic.downsample[0].stride == (1, 1)
    mobile = meta_model("mobilenet_v2_gcp_128")
    assert isinstance(mobile.dimension_reduction[2], torch.nn.ReLU6)
    assert isinstance(mobile.classifier[0], torch.nn.Dropout) and mobile.classifier[0].p == 0.2
    assert tuple(mobile.classifier[1].weight.shape) == (1000, 8256)
    assert tuple(mobile.dimension_reduction[0].weight.shape) == (128, 1280, 1, 1)
    shuffle = meta_model("shufflenet_v2_x1_0_gcp")
    assert isinstance(shuffle.dimension_reduction[2], torch.nn.ReLU6)
    assert tuple(shuffle.dimension_reduction[0].weight.shape) == (256, 1024, 1, 1)
    assert tuple(shuffle.fc.weight.shape) == (1000, 32896)


def test_initialisation_of_the_new_layers():
    torch.manual_seed(0)
    resnet = create_model("resnet18_gcp", num_classes=10)
    assert resnet.layer_reduce.weight.std().item() == pytest.approx(math.sqrt(2 / 256), rel=0.05)
    assert resnet.fc.weight.abs().max() <= 1 / math.sqrt(32896)  # PyTorch's default Linear init
    assert (resnet.layer_reduce_bn.weight == 1).all() and (resnet.layer_reduce_bn.bias == 0).all()
    mobile = create_model("mobilenet_v2_gcp_128", num_classes=10)
    assert mobile.classifier[1].weight.std().item() == pytest.approx(0.01, rel=0.05)
    assert (mobile.classifier[1].bias == 0).all()
    assert mobile.dimension_reduction[0].weight.std().item() == pytest.approx(math.sqrt(2 / 128), rel=0.05)


def test_forward_shapes_and_eval_mode_left_to_the_caller():
    model = create_model("shufflenet_v2_x1_0_gcp", num_classes=7)
    assert model.training
    with torch.no_grad():
        logits = model.eval()(torch.rand(2, 3, 64, 64))
    assert logits.shape == (2, 7) and logits.dtype == torch.float32 and torch.isfinite(logits).all()


def test_torchvision_models_by_name():
    info = model_info("squeezenet1_1")
    assert (info.pooling, info.gcp_dim, info.in_zoo, info.min_input_size) == ("other", None, False, 17)
    assert round(info.num_params / 1e6, 3) == 1.235
    assert (model_info("inception_v3").preprocessing.resize, model_info("inception_v3").preprocessing.crop) == (
        342, 299)
    model = create_model("squeezenet1_1", num_classes=4).eval()
    with torch.no_grad():
        assert model(torch.rand(1, 3, 64, 64)).shape == (1, 4)

