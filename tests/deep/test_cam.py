"""Known answer for the class activation maps: the CAM of a planted AU peaks in that AU's region.

The model is the real AUNet (SCA head with learned fusion, ``class_activation_maps``) trained by
the real ``DeepMethod`` and read back through ``meau.deep.cam.clip_cams``, on top of a small plug-in
backbone whose output cells each see 15 x 15 pixels of frame differences. A from-scratch Res3D's
cells all see the whole 64-pixel clip, so where its CAM peaks says as much about training as about
the CAM code; with local features, a CAM that peaks away from the moving region, on the wrong AU's
region, transposed or flipped, is the CAM path's fault. The database plants AU4 (brows), AU9 (nose)
and AU17 (chin), each in half of the clips independently, so no AU can be read from the others'
absence. Measured on fold 0, seeds 0-2, 28 epochs: the argmax lies in the AU's region in 81-86 % of
single-AU clips (chance 15 %), and the AU's own region beats another planted AU's region in 86-89 % of
the pairs; at 40 epochs, transposed maps gave 14 % / 48 %, maps of the wrong AU 48 % / 32 %, vertically
flipped maps 0 % / 39 %.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

PLANTED = (4, 9, 17)
SEED = 7
BACKBONE = "test-local-motion"


class LocalMotion(nn.Module):
    """|frame - first frame|, then three 3x3x3 convolutions of stride 2 in space: a 15-pixel receptive field."""

    def __init__(self, width: int = 16):
        super().__init__()
        layers = []
        for i, (c_in, c_out, stride) in enumerate([(3, width, (1, 2, 2)), (width, width, (1, 2, 2)),
                                                   (width, 2 * width, (2, 2, 2))]):
            layers += [nn.Conv3d(c_in, c_out, 3, stride=stride, padding=1, bias=False), nn.BatchNorm3d(c_out), nn.ReLU()]
        self.layers = nn.Sequential(*layers)
        self.out_channels = 2 * width

    def forward(self, x):
        return self.layers((x - x[:, :, :1]).abs())

    @staticmethod
    def output_shape(input_shape):
        def half(size):
            return (size - 1) // 2 + 1

        t, h, w = input_shape
        return half(t), half(half(half(h))), half(half(half(w)))


def _local_motion(widen_factor=1.0, **_):
    return LocalMotion(int(round(16 * widen_factor)))


@pytest.fixture(scope="module")
def cam_run(tmp_path_factory):
    from meau.databases import load_dataset
    from meau.databases.synth import generate
    from meau.deep.data import ClipSpec
    from meau.deep.registry import model_names, register_model
    from meau.deep.train import DeepMethod, TrainConfig
    from meau.experiment import run_experiment
    from meau.runs import RunDir

    if BACKBONE not in model_names():
        register_model(BACKBONE)(_local_motion)
    root = tmp_path_factory.mktemp("cam_db")
    generate(root, subjects=16, samples=160, intensity=16.0, seed=SEED, n_jobs=2, plant=PLANTED)
    dataset = load_dataset(root, "casme2", root / "CASME2-coding-synth.xlsx", aus=",".join(map(str, PLANTED)))
    config = TrainConfig(backbone=BACKBONE, fusion="learn", reduced=16, dropout=0.0, epochs=28, batch_size=16,
                         optimizer="adamw", lr=3e-3, lr_step=1000, device="cpu", seed=0,
                         clip=ClipSpec(frames=10, tim_frames=30, short_side=64, crop=64))
    folder = tmp_path_factory.mktemp("cam_run")
    method = DeepMethod(config, cache=folder / "cache", echo=lambda *_: None)
    run_experiment(method, dataset, RunDir(folder / "run"), fold=0, echo=lambda *_: None)
    return dataset, folder / "run", folder / "cache"


def _regions(face, columns, spec):
    """AU region masks in the model's input frame: the same resize and centre crop as the clips."""
    from meau.databases.synth import au_region
    from meau.deep.cam import _centre_crop
    from meau.video import resize_short_side

    regions = {}
    for column in columns:
        mask = np.repeat(au_region(face, int(column[2:]))[None, ..., None].astype(np.uint8) * 255, 3, axis=-1)
        regions[column] = _centre_crop(resize_short_side(mask, spec.short_side)[0], spec.crop)[..., 0] > 127
    return regions


@pytest.mark.slow
def test_cam_of_a_planted_au_peaks_in_its_region(cam_run):
    import cv2
    import pandas as pd

    from meau.databases.synth import subject_face
    from meau.deep.cam import clip_cams, load_fold_model

    dataset, run, cache = cam_run
    model, spec, normalisation, columns = load_fold_model(run, 0)
    assert columns == [f"AU{au:02d}" for au in PLANTED]
    test = pd.read_csv(run / "folds" / "fold_0.csv", dtype={"subject": str, "clip": str})
    keys = set(zip(test["subject"], test["clip"], test["onset"]))
    cell = spec.crop // model.backbone.output_shape((spec.frames, spec.crop, spec.crop))[1]  # pixels per CAM cell
    margin = np.ones((cell + 1, cell + 1), np.uint8)  # half a cell on each side
    peaks, chance, pairs = [], [], []
    for _, row in dataset.table.iterrows():
        if (row["subject"], row["clip"], row["onset"]) not in keys:
            continue
        maps, apex = clip_cams(model, spec, normalisation, list(row["frames"]), None, cache)
        assert maps.shape == (len(columns), spec.crop, spec.crop) and apex.shape == (spec.crop, spec.crop, 3)
        regions = _regions(subject_face(SEED, row["subject"]), columns, spec)
        present = [k for k, column in enumerate(columns) if row[column] == 1]
        for k in present:
            own = regions[columns[k]]
            if len(present) == 1:  # the only motion of the clip: the map's peak must be on it
                near = cv2.dilate(own.astype(np.uint8), margin) > 0
                peaks.append(bool(near.flat[np.argmax(maps[k])]))
                chance.append(near.mean())
            for j in present:  # two AUs moving: each AU's map is higher on its own region
                if j != k:
                    pairs.append(maps[k][own].mean() > maps[k][regions[columns[j]]].mean())
    assert len(peaks) >= 10 and len(pairs) >= 20, (len(peaks), len(pairs))
    assert np.mean(peaks) >= 0.7 > 3 * np.mean(chance), (np.mean(peaks), np.mean(chance))
    assert np.mean(pairs) >= 0.75, np.mean(pairs)
