"""Handcrafted baselines: LBP-TOP, LPQ-TOP, LBP-SIP, HOG3D on blocks, linear SVMs per AU.

>>> from meau.handcrafted import create_descriptor
>>> features = create_descriptor("lbptop")(clip)          # doctest: +SKIP
"""

from .hog3d import hog3d
from .lbp import lbp_sip, lbp_top
from .lpq import lpq_top
from .registry import create_descriptor, descriptor_names, get_descriptor, register_descriptor

register_descriptor("lbptop", label="LBP-TOP")(lbp_top)
register_descriptor("lpqtop", label="LPQ-TOP")(lpq_top)
register_descriptor("lbpsip", label="LBP-SIP")(lbp_sip)
register_descriptor("hog3d", label="HOG3D")(hog3d)

__all__ = ["create_descriptor", "descriptor_names", "get_descriptor", "register_descriptor",
           "lbp_top", "lpq_top", "lbp_sip", "hog3d", "DescriptorTransformer"]


def __getattr__(name):
    if name == "DescriptorTransformer":
        from .transformer import DescriptorTransformer

        return DescriptorTransformer
    raise AttributeError(name)
