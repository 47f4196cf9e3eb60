"""Known environment traps, turned into one line that says what to do.

Student code runs offline (the sandbox has no network; compute nodes have no internet), so a
Keras download fails with a long "URL fetch failure ... Temporary failure in name resolution".
The cause is almost always one of a few: pretrained weights for an input size nobody staged
(MobileNetV2 without `input_shape` asks for the 224x224 file), or a dataset download inside
the model code. Pure text in, text out: usable in the sandbox child and in the parent.
"""

from __future__ import annotations

import re
from typing import Optional

DOWNLOAD = re.compile(r"URL fetch failure|name resolution|Network is unreachable|urlopen error|"
                      r"Failed to establish a new connection|Max retries exceeded", re.I)
MOBILENET = re.compile(r"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_(?P<alpha>[\d.]+)_(?P<size>\d+)(?P<top>_no_top)?")
FILE = re.compile(r"([\w.-]+\.(?:h5|keras|npz|tar\.gz|zip|weights\.h5))")


def explain(text: str) -> Optional[str]:
    """One line for a known trap in an error text, else None."""
    if not DOWNLOAD.search(text):
        return None
    from grader.data.registry import DATASETS, WEIGHTS

    staged = {info.file_name: name for name, info in WEIGHTS.items()}
    mobilenet = MOBILENET.search(text)
    if mobilenet:
        size = int(mobilenet["size"])
        have = sorted({int(m["size"]) for m in map(MOBILENET.search, staged) if m})
        if have and size not in have:
            side = have[0]
            return (f"only the {side}x{side} MobileNetV2 ImageNet weights are staged (there is no internet "
                    f"here), and without input_shape Keras asks for the {size}x{size} ones: pass "
                    f"input_shape=({side}, {side}, 3) to MobileNetV2 (tutor feeds {side}x{side} colour images)")
        if not mobilenet["top"]:
            return ("only the weights without the classifier are staged (there is no internet here): "
                    "pass include_top=False and add your own head")
    named = FILE.search(text)
    data_files = {f for info in DATASETS.values() for f in info.file_names}
    if named and named[1] in data_files:
        return (f"{named[1]}: there is no internet here, and model.py should not load data: tutor feeds "
                "the staged dataset to your model (only build and compile it in build_model())")
    what = f" {named[1]}" if named else ""
    return (f"tried to download{what}, and there is no internet here (nor on compute nodes): use only "
            f"what the course staged ({', '.join(sorted(WEIGHTS))}); `tutor data status` lists it")
