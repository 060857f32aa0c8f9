"""The deep models: Res3D(+SCA) and the shallow flow CNNs, their data and training.

``meau.deep.ClipDataset`` is a PyTorch ``Dataset`` over a meau dataset, with the inputs ``meau train
sca`` builds (imported on first use: importing ``meau.deep`` alone does not import torch).
"""


def __getattr__(name):
    if name in ("ClipDataset", "ClipSpec", "Augment"):
        from . import data

        return getattr(data, name)
    raise AttributeError(f"module 'meau.deep' has no attribute {name!r}")
