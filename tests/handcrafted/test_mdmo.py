"""MDMO: the 36 regions, the angle convention, and the baseline on the synthetic database."""

import numpy as np
import pytest

from meau.faces import FOREHEAD_REGIONS, MDMO_REGIONS, helper_points, mdmo_regions, region_masks
from meau.handcrafted.mdmo import mdmo, region_motion


def _points():
    """A landmark set with distinct, hand-checkable coordinates: point k at (100 + 3k, 50 + 2k) except where set."""
    points = np.array([(100 + 3 * k, 50 + 2 * k) for k in range(68)], dtype=float)
    points[36:42] = [(80, 100), (84, 97), (88, 97), (92, 100), (88, 103), (84, 103)]  # right eye, centre (86, 100)
    points[42:48] = [(120, 100), (124, 97), (128, 97), (132, 100), (128, 103), (124, 103)]  # left eye, centre (126, 100)
    return points


def test_regions_match_hand_computed_corners():
    points = _points()
    regions = mdmo_regions(points)
    assert regions.shape == (36, 4, 2) and len(MDMO_REGIONS) == 36
    margin = 0.4 * 40  # brow margin: 0.4 inter-ocular distances (eye centres 40 px apart)
    p = lambda k: points[k]  # noqa: E731
    # region 1: brow point 17, 17 raised, 19 raised, 19
    np.testing.assert_allclose(regions[0], [p(17), p(17) - (0, margin), p(19) - (0, margin), p(19)])
    # region 3: 21, 21 raised, the midpoint of the raised 21 and 22, 27
    mid = ((p(21) - (0, margin)) + (p(22) - (0, margin))) / 2
    np.testing.assert_allclose(regions[2], [p(21), p(21) - (0, margin), mid, p(27)])
    # region 15: 3, 2, mid(2, 41), mid(3, 29)
    np.testing.assert_allclose(regions[14], [p(3), p(2), (p(2) + p(41)) / 2, (p(3) + p(29)) / 2])
    # region 34: 8, 6, mid(6, 58), mid(8, 57)
    np.testing.assert_allclose(regions[33], [p(8), p(6), (p(6) + p(58)) / 2, (p(8) + p(57)) / 2])
    assert helper_points(points).shape == (22, 2)
    # raised points never leave the image
    top = points.copy()
    top[17:27, 1] = 5
    assert helper_points(top)[:7, 1].min() == 0


def test_angle_convention_and_main_direction():
    masks = np.zeros((2, 10, 10), bool)
    masks[0, :5] = masks[1, 5:] = True
    u = np.zeros((10, 10))
    v = np.zeros((10, 10))
    v[:5] = -1.0  # region 0 moves up (image y runs down)
    u[5:] = 2.0  # region 1 moves right ...
    u[5, :3] = -2.0  # ... but for a few pixels
    motion = region_motion(u, v, masks)
    np.testing.assert_allclose(motion[0], [1.0, np.pi / 2])
    np.testing.assert_allclose(motion[1], [2.0, 0.0], atol=1e-12)


def test_planted_upward_brow_motion(tmp_path):
    from meau.databases.synth import subject_face

    face = subject_face(0, "01")
    frame = np.clip(face.image.mean(axis=2), 0, 255).astype(np.float32)
    import cv2

    forehead = np.zeros(frame.shape, bool)
    masks = region_masks(face.landmarks, frame.shape)
    for index in FOREHEAD_REGIONS:
        forehead |= masks[index]
    weight = cv2.GaussianBlur(forehead.astype(np.float32), (0, 0), 3)
    ys, xs = np.mgrid[0:frame.shape[0], 0:frame.shape[1]].astype(np.float32)
    clip = []
    for step in range(6):
        shift = 0.5 * step * weight  # up to 2.5 px upwards in the forehead, still elsewhere
        clip.append(cv2.remap(frame, xs, ys + shift, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT))
    features = mdmo(np.clip(np.rint(clip), 0, 255).astype(np.uint8), face.landmarks)
    rho, theta = features[:36], features[36:]
    strongest = int(np.argmax(rho))
    assert rho[strongest] == pytest.approx(1.0) and strongest in FOREHEAD_REGIONS
    for index in FOREHEAD_REGIONS:
        if rho[index] > 0.5:
            assert abs(theta[index] - np.pi / 2) < np.pi / 8, (index, theta[index])
    assert np.median(rho[16:]) < 0.3  # the lower face did not move


@pytest.mark.slow
def test_mdmo_baseline_beats_the_constant_on_the_demo_database(tmp_path):
    from click.testing import CliRunner

    from meau.cli import cli
    from meau.databases.synth import generate

    generate(tmp_path / "db", subjects=12, samples=120, intensity=8.0, seed=0)
    runner = CliRunner()
    common = ["--aus", "auto", "--min-count", "8", "--cache", str(tmp_path / "cache")]
    constant = runner.invoke(cli, ["baseline", "constant", str(tmp_path / "db"), "--aus", "auto", "--min-count", "8",
                                   "-o", str(tmp_path / "constant")], obj={})
    assert constant.exit_code == 0, constant.output
    result = runner.invoke(cli, ["baseline", "mdmo", str(tmp_path / "db"), *common, "--n-jobs", "2",
                                 "--splits", str(tmp_path / "constant" / "splits.csv"), "-o", str(tmp_path / "mdmo")],
                           obj={})
    assert result.exit_code == 0, result.output
    import json

    average = lambda run: json.loads((tmp_path / run / "metrics.json").read_text())["pooled"]["AVG"]["f1"]  # noqa: E731
    assert average("mdmo") >= average("constant") + 0.2, (average("mdmo"), average("constant"))


def test_affine_head_motion_removal_recovers_the_region_motion():
    import cv2

    from meau.databases.synth import subject_face
    from meau.handcrafted.mdmo import remove_head_motion

    face = subject_face(0, "02")
    frame = np.clip(face.image.mean(axis=2), 0, 255).astype(np.float32)
    masks = region_masks(face.landmarks, frame.shape)
    forehead = np.zeros(frame.shape, bool)
    for index in FOREHEAD_REGIONS:
        forehead |= masks[index]
    weight = cv2.GaussianBlur(forehead.astype(np.float32), (0, 0), 3)
    ys, xs = np.mgrid[0:frame.shape[0], 0:frame.shape[1]].astype(np.float32)
    clip = [cv2.remap(frame, xs - 0.6 * step, ys + 0.5 * step * weight, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
            for step in range(6)]  # the head drifts right by 0.6 px a frame while the forehead rises
    clip = np.clip(np.rint(clip), 0, 255).astype(np.uint8)
    plain = mdmo(clip, face.landmarks)
    removed = mdmo(clip, face.landmarks, head_motion="affine")
    forehead_theta = removed[36:36 + len(FOREHEAD_REGIONS)]
    assert abs(np.median(forehead_theta) - np.pi / 2) < np.pi / 8, forehead_theta
    # without the removal the drift (to the right, theta = 0) is the lower face's main direction;
    # with it, what is left there has no common direction
    assert np.median(np.cos(plain[36 + 16:])) > 0.9
    assert np.median(np.cos(removed[36 + 16:])) < 0.5
    # a pure translation is removed entirely
    flow = np.zeros((*frame.shape, 2), np.float32)
    flow[..., 0] = 1.5
    assert np.abs(remove_head_motion(flow, face.landmarks)).max() < 1e-4
