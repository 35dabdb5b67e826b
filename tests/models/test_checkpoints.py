"""Checkpoints: safetensors and torch pickles in the paper's layout load as they are; nothing in a file runs;
anything that does not fit is reported key by key."""

import os
import zipfile
from pathlib import Path

import pytest
import torch

from evaluators.errors import CheckpointError, InvalidInputError
from evaluators.models import (
    check_state_dict,
    convert_to_safetensors,
    create_model,
    read_checkpoint,
    read_state_dict,
    save_safetensors,
    sha256_file,
)
from evaluators.models.zoo import build_shapes_only, resolve

CLASSES = 10


@pytest.fixture(scope="module")
def trained() -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    """A resnet18_gcp with non-trivial batch-norm statistics, an input and its logits."""
    torch.manual_seed(0)
    model = create_model("resnet18_gcp", num_classes=CLASSES)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.normal_(0, 0.1)
                module.running_var.uniform_(0.5, 2.0)
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        return model, x, model.eval()(x)


def logits_of(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model.eval()(x)


def paper_checkpoint(model: torch.nn.Module, arch: str = "resnet18_mpncov") -> dict:
    """What the paper's training script saves for a DataParallel model (gcp.md §6)."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return {"epoch": 42, "arch": arch, "state_dict": {f"module.{k}": v for k, v in model.state_dict().items()},
            "best_acc1": torch.tensor(75.48), "optimizer": optimizer.state_dict()}


def meta_state_dict(name: str, num_classes: int = 1000) -> dict[str, torch.Tensor]:
    return dict(build_shapes_only(resolve(name)[1], num_classes).state_dict())


def test_safetensors_round_trip(tmp_path, trained):
    model, x, expected = trained
    path = tmp_path / "model.safetensors"
    save_safetensors(model.state_dict(), path, {"arch": "resnet18_mpncov"})
    checkpoint = read_checkpoint(path)
    assert checkpoint.format == "safetensors" and checkpoint.arch == "resnet18_mpncov"
    assert checkpoint.tensors.keys() == model.state_dict().keys()
    assert all(torch.equal(checkpoint.tensors[k], v) for k, v in model.state_dict().items())
    assert torch.equal(logits_of(create_model("resnet18_gcp", CLASSES, checkpoint=path), x), expected)


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
def test_paper_pickle_layout_loads_as_it_is(tmp_path, trained, zip_format):
    model, x, expected = trained
    path = tmp_path / "ResNet18_GCP_LRnorm.pth.tar"
    torch.save(paper_checkpoint(model), path, _use_new_zipfile_serialization=zip_format)
    checkpoint = read_checkpoint(path)
    assert checkpoint.format == "pickle"
    assert float(checkpoint.metadata.pop("best_acc1")) == pytest.approx(75.48)
    assert checkpoint.metadata == {"epoch": "42", "arch": "resnet18_mpncov"}
    assert checkpoint.tensors.keys() == model.state_dict().keys()  # `module.` stripped, optimizer dropped
    assert read_state_dict(path).keys() == checkpoint.tensors.keys()
    report = check_state_dict("resnet18_mpncov", checkpoint.tensors)
    assert (report.model, report.num_classes, report.gcp_dim) == ("resnet18_gcp", CLASSES, 256)
    assert report.num_tensors == len(model.state_dict())
    assert report.num_params == sum(p.numel() for p in model.parameters())
    assert torch.equal(logits_of(create_model("resnet18_mpncov", CLASSES, checkpoint=path), x), expected)


def test_in_memory_state_dicts_wrapped_or_prefixed(trained):
    model, x, expected = trained
    for checkpoint in (model.state_dict(), paper_checkpoint(model),
                       {"model": {f"_orig_mod.{k}": v for k, v in model.state_dict().items()}}):
        assert torch.equal(logits_of(create_model("resnet18_gcp", CLASSES, checkpoint=checkpoint), x), expected)


def test_convert_to_safetensors_keeps_only_tensors(tmp_path, trained):
    model, x, expected = trained
    src, dst = tmp_path / "paper.pth", tmp_path / "canonical.safetensors"
    torch.save(paper_checkpoint(model), src)
    metadata = convert_to_safetensors(src, dst)
    assert metadata["arch"] == "resnet18_mpncov" and metadata["source_format"] == "pickle"
    assert metadata["source_sha256"] == sha256_file(src)
    converted = read_checkpoint(dst)
    assert converted.metadata == metadata and converted.tensors.keys() == model.state_dict().keys()
    assert not list(tmp_path.glob("*.partial"))
    assert torch.equal(logits_of(create_model("resnet18_gcp", CLASSES, checkpoint=dst), x), expected)


def test_gcp_dimension_comes_from_the_classifier_width(tmp_path):
    torch.manual_seed(0)
    source = create_model("mobilenet_v2_gcp_128", num_classes=CLASSES)
    model = create_model("mobilenet_v2_gcp", CLASSES, checkpoint=source.state_dict())
    assert model.classifier[1].in_features == 8256 and model.dimension_reduction[0].out_channels == 128
    x = torch.rand(1, 3, 64, 64)
    assert torch.equal(logits_of(model, x), logits_of(source, x))
    assert check_state_dict("resnet50_gcp", meta_state_dict("resnet50_gcp_128")).gcp_dim == 128

    state = meta_state_dict("resnet18_gcp")
    state["fc.weight"] = torch.empty(1000, 1000, device="meta")
    with pytest.raises(CheckpointError, match=r"fc.weight takes 1000 inputs, which is not d\(d\+1\)/2"):
        check_state_dict("resnet18_gcp", state)


def test_mismatches_are_listed_key_by_key():
    state = meta_state_dict("resnet18_gcp")
    del state["layer_reduce.weight"]
    state["extra.weight"] = torch.empty(3, device="meta")
    state["layer_reduce_bn.weight"] = torch.empty(128, device="meta")
    state["layer_reduce_bn.running_var"] = torch.empty(256, dtype=torch.int64, device="meta")
    with pytest.raises(CheckpointError) as raised:
        check_state_dict("resnet18_gcp", state)
    message = str(raised.value)
    assert message.startswith("checkpoint does not fit resnet18_gcp (1000 classes, d=256): ")
    assert "missing (1): layer_reduce.weight;" in message and "unexpected (1): extra.weight;" in message
    assert "layer_reduce_bn.weight [128] (model [256])" in message
    assert "layer_reduce_bn.running_var is int64, not floating point" in message

    state = {k: v for k, v in meta_state_dict("resnet18_gcp").items() if not k.startswith("layer4.1")}
    with pytest.raises(CheckpointError) as raised:
        check_state_dict("resnet18_gcp", state)
    message = str(raised.value)
    assert "missing (10): layer4.1.conv1.weight, layer4.1.bn1.weight," in message and message.endswith(" and 4 more")


def test_missing_batch_norm_counters_are_tolerated(trained):
    model, x, expected = trained
    state = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    assert torch.equal(logits_of(create_model("resnet18_gcp", CLASSES, checkpoint=state), x), expected)


def test_class_count_is_inferred_or_checked():
    state = meta_state_dict("shufflenet_v2_x1_0_gcp", num_classes=CLASSES)
    assert check_state_dict("shufflenet_v2_mpncov_x1_0", state).num_classes == CLASSES
    with pytest.raises(CheckpointError, match="the checkpoint has 10 classes, not 1000"):
        check_state_dict("shufflenet_v2_x1_0_gcp", state, num_classes=1000)
    assert check_state_dict("squeezenet1_1", meta_state_dict("squeezenet1_1", 7)).num_classes == 7
    with pytest.raises(InvalidInputError, match="num_classes must be at least 1"):
        create_model("resnet18", num_classes=0)


def test_recorded_arch_must_be_a_variant_of_the_model():
    state = meta_state_dict("resnet50_gcp_128")
    assert check_state_dict("resnet50_gcp_128", state, arch="resnet50_mpncov").gcp_dim == 128
    assert check_state_dict("resnet50_gcp_128", state, arch="someone_elses_name").model == "resnet50_gcp_128"
    with pytest.raises(CheckpointError, match="saved for arch 'resnet50'"):
        check_state_dict("resnet50_gcp_128", state, arch="resnet50")


class WouldTouch:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return Path.touch, (self.marker,)


class WouldRunShell:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.mark.parametrize("payload", [WouldTouch, WouldRunShell])
def test_pickles_that_would_run_code_are_refused_without_side_effect(tmp_path, payload):
    marker = tmp_path / "marker"
    path = tmp_path / "evil.pth"
    torch.save({"state_dict": {"fc.weight": torch.ones(2)}, "surprise": payload(marker)}, path)
    with pytest.raises(CheckpointError, match=r"evil\.pth: refused, it holds more than tensors"):
        read_checkpoint(path)
    with pytest.raises(CheckpointError, match="refused"):
        create_model("resnet18", checkpoint=path)
    assert not marker.exists()


def test_unreadable_files_get_plain_errors(tmp_path, trained):
    model, _, _ = trained
    zipped, legacy = tmp_path / "zip.pth", tmp_path / "legacy.pt"
    torch.save(model.state_dict(), zipped)
    torch.save(model.state_dict(), legacy, _use_new_zipfile_serialization=False)
    for path in (zipped, legacy):
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        with pytest.raises(CheckpointError, match=f"{path.name}: truncated or corrupt"):
            read_checkpoint(path)
    page = tmp_path / "ResNet50_GCP_LRnorm.pth"
    page.write_text("<!DOCTYPE html><html><body>Google Drive - Virus scan warning</body></html>")
    with pytest.raises(CheckpointError, match="not a torch checkpoint"):
        read_checkpoint(page)
    other_zip = tmp_path / "archive.pth"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        read_checkpoint(other_zip)
    safetensors = tmp_path / "cut.safetensors"
    save_safetensors(model.state_dict(), safetensors)
    safetensors.write_bytes(safetensors.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match=r"cut\.safetensors: not a valid safetensors file"):
        read_checkpoint(safetensors)
    with pytest.raises(CheckpointError, match="unsupported checkpoint type"):
        read_checkpoint(tmp_path / "model.onnx")
    with pytest.raises(CheckpointError, match=r"missing\.pth: cannot read it"):
        read_checkpoint(tmp_path / "missing.pth")


def test_objects_that_are_not_state_dicts(tmp_path):
    for name, obj, message in (("tensor.pt", torch.ones(3), "holds a Tensor, not a state dict"),
                               ("empty.pt", {"epoch": 3, "arch": "resnet18"}, "holds no tensors")):
        torch.save(obj, tmp_path / name)
        with pytest.raises(CheckpointError, match=message):
            read_checkpoint(tmp_path / name)
    with pytest.raises(CheckpointError, match="both become 'a'"):
        check_state_dict("resnet18", {"module.a": torch.ones(1), "a": torch.ones(1)})


def test_save_safetensors_handles_shared_and_strided_tensors(tmp_path):
    base = torch.arange(12.0).reshape(3, 4)
    tensors = {"a": base, "tied": base, "transposed": base.t(), "row": base[1]}
    save_safetensors(tensors, tmp_path / "shared.safetensors")
    loaded = read_state_dict(tmp_path / "shared.safetensors")
    assert all(torch.equal(loaded[k], v) for k, v in tensors.items())
