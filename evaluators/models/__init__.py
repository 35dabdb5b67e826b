"""The model zoo: the paper's GAP and GCP (iSQRT-COV) classifiers, every torchvision classifier, and checkpoint
reading that never runs code from a file.

    model = create_model("resnet50_gcp", checkpoint="ResNet50_GCP_LRnorm.pth.tar").eval()
"""

from evaluators.models.checkpoints import (
    Checkpoint,
    checkpoint_format,
    convert_to_safetensors,
    read_checkpoint,
    read_state_dict,
    save_safetensors,
    sha256_file,
)
from evaluators.models.compatibility import StateDictReport, check_state_dict
from evaluators.models.factory import create_model
from evaluators.models.gcp_head import CovariancePooling, covariance_pooling
from evaluators.models.info import ModelInfo, model_info
from evaluators.models.zoo import list_models

__all__ = [
    "Checkpoint",
    "CovariancePooling",
    "ModelInfo",
    "StateDictReport",
    "check_state_dict",
    "checkpoint_format",
    "convert_to_safetensors",
    "covariance_pooling",
    "create_model",
    "list_models",
    "model_info",
    "read_checkpoint",
    "read_state_dict",
    "save_safetensors",
    "sha256_file",
]
