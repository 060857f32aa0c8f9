"""``meau baseline lbptop|lpqtop|lbpsip|hog3d``: descriptor + linear SVMs through the protocol."""

from pathlib import Path

import click

from .options import backend_options, dataset_options, dataset_selection, load_selection, magnification, \
    magnify_options, n_jobs_option, open_run, parallel_backend, protocol_options, run_method, run_options, stack


def _triple(text, name, cast=int):
    from ..errors import MeauError

    try:
        values = tuple(cast(v) for v in str(text).replace("x", ",").split(","))
    except ValueError:
        raise MeauError(f"--{name} expects three numbers such as 3,3,3 (got {text!r})") from None
    if len(values) != 3:
        raise MeauError(f"--{name} expects three numbers such as 3,3,3 (got {text!r})")
    return values


def _grid(text):
    from ..errors import MeauError

    try:
        rows, cols = (int(v) for v in str(text).lower().split("x"))
    except ValueError:
        raise MeauError(f"--grid expects ROWSxCOLS such as 5x5 (got {text!r})") from None
    if rows < 1 or cols < 1:
        raise MeauError(f"--grid must be at least 1x1 (got {text!r})")
    return rows, cols


svm_options = stack(
    dataset_options,
    protocol_options,
    run_options,
    click.option("--class-weight", type=click.Choice(["none", "balanced"]), default="none", show_default=True,
                 help="LinearSVC class weights (the paper uses none)."),
    click.option("--solver", type=click.Choice(["batched", "liblinear"]), default="batched", show_default=True,
                 help="batched: every SVM of a fold solved together to the optimum of LinearSVC's objective "
                      "(fast); liblinear: LinearSVC one SVM at a time, to match a published liblinear run."),
    n_jobs_option(-1, "Parallel workers over clips and, with --solver liblinear, SVM fits (-1: all cores; "
                      "the results do not depend on it)."),
    backend_options,
    click.option("--cache", type=click.Path(path_type=Path), help="Feature cache folder (default: $MEAU_CACHE, else ~/.cache/meau)."),
    click.option("--no-cache", is_flag=True, help="Do not read or write the feature cache."),
    magnify_options,
)

common_options = stack(
    svm_options,
    click.option("--tim-frames", default=10, show_default=True, type=click.IntRange(2), help="TIM output length."),
    click.option("--size", default=128, show_default=True, type=click.IntRange(16), help="Frames resized to SIZE x SIZE."),
    click.option("--grid", default="5x5", show_default=True, help="Blocks per frame, ROWSxCOLS."),
)

flow_options = stack(
    click.option("--flow", "flow_method", type=click.Choice(["farneback", "tvl1"]), default="farneback",
                 show_default=True, help="Optical flow: Farneback (measured better on the synthetic database, 30x faster) or TV-L1."),
    click.option("--flow-size", default=16, show_default=True, type=click.IntRange(4),
                 help="Flow image S x S for the SVM (MEB uses 32; 16 measured better on the synthetic databases)."),
    click.option("--frame-size", default=128, show_default=True, type=click.IntRange(16),
                 help="Frames resized to N x N before the flow."),
    click.option("--channels", default="u,v,strain", show_default=True, help="Flow channels, from u,v,strain."),
    click.option("--apex", type=click.Choice(["sheet", "estimate"]), default="sheet", show_default=True,
                 help="Apex frame: the sheet's (estimated where it has none) or always estimated (largest flow)."),
)


def flow_spec(options: dict, size: int | None = None):
    """The FlowSpec named by the flow options (``size`` overrides --flow-size)."""
    from ..flow import FlowSpec

    channels = tuple(c.strip() for c in options["channels"].split(",") if c.strip())
    return FlowSpec(size=size or options["flow_size"], frame_size=options["frame_size"], method=options["flow_method"],
                    channels=channels, apex=options["apex"], magnify=magnification(options)).check()


def _svm_run(options, make_method):
    """Settings first (a bad one is refused before anything is read), then the cluster if one is named,
    the run folder and the data."""
    selection = dataset_selection(options)
    with parallel_backend(options) as (backend, n_jobs):
        options.update(backend=backend, n_jobs=n_jobs)  # in place: the methods' builders read these options
        run = open_run(options, selection)
        dataset = load_selection(selection)
        run_method(make_method, dataset, run, options, selection)


def _svm(options: dict, seed: int) -> dict:
    """The SVM settings every descriptor command shares."""
    from ..paths import cache_root

    return dict(n_jobs=options["n_jobs"], cache=None if options["no_cache"] else (options["cache"] or cache_root()),
                class_weight=None if options["class_weight"] == "none" else "balanced", seed=seed,
                backend=options["backend"], solver=options["solver"])


def run_descriptor(descriptor: str, params: dict, options: dict):
    from ..handcrafted.pipeline import HandcraftedMethod

    size = options["size"]
    grid = _grid(options["grid"])
    magnify = magnification(options)
    _svm_run(options, lambda seed: HandcraftedMethod(
        descriptor, params={**params, "grid": grid}, tim_frames=options["tim_frames"], size=(size, size),
        magnify=magnify, **_svm(options, seed)))


@click.command()
@common_options
@click.option("--radii", default="3,3,3", show_default=True, help="R_x,R_y,R_t.")
@click.option("--points", default=8, show_default=True, type=click.IntRange(4, 16), help="Neighbours per plane.")
@click.option("--sampling", type=click.Choice(["bilinear", "nearest"]), default="bilinear", show_default=True,
              help="How LBP-TOP reads its circular neighbours: interpolated (bilinear) or the nearest pixel.")
def lbptop(radii, points, sampling, **options):
    """LBP-TOP (59 u2 bins per plane and block) + linear SVMs.

    \b
    Example:
      meau baseline lbptop DATA_ROOT --database NAME -o runs/lbptop
    """
    run_descriptor("lbptop", {"radii": _triple(radii, "radii", float), "points": points, "sampling": sampling}, options)


@click.command()
@common_options
@click.option("--radii", default="3,3,3", show_default=True, help="R_x,R_y,R_t.")
def lbpsip(radii, **options):
    """LBP-SIP (16 spatial + 4 temporal bins per block) + linear SVMs."""
    run_descriptor("lbpsip", {"radii": _triple(radii, "radii")}, options)


@click.command()
@common_options
@click.option("--windows", default="5,5,5", show_default=True, help="Odd window sizes w_x,w_y,w_t.")
@click.option("--rho", default="0.1,0.1", show_default=True, help="Pixel correlations rho_s,rho_t.")
@click.option("--lpq-slices", type=click.Choice(["reference", "valid"]), default="reference", show_default=True,
              help="reference: every slice of each plane, as LPQ_TOP.m; valid: only centres whose whole window lies "
                   "inside the clip (meau < 0.3).")
def lpqtop(windows, rho, lpq_slices, **options):
    """LPQ-TOP (256 bins per plane and block) + linear SVMs."""
    from ..errors import MeauError

    try:
        rhos = tuple(float(v) for v in rho.split(","))
        assert len(rhos) == 2
    except (ValueError, AssertionError):
        raise MeauError(f"--rho expects two numbers such as 0.1,0.1 (got {rho!r})") from None
    run_descriptor("lpqtop", {"windows": _triple(windows, "windows"), "rhos": rhos, "slices": lpq_slices}, options)


@click.command()
@common_options
@click.option("--sub-blocks", default=3, show_default=True, type=click.IntRange(1), help="S sub-blocks per axis of a cell.")
@click.option("--half-orientation", is_flag=True, help="10 bins (opposite directions folded) instead of 20.")
def hog3d(sub_blocks, half_orientation, **options):
    """HOG3D (20 icosahedron bins per block) + linear SVMs."""
    run_descriptor("hog3d", {"sub_blocks": sub_blocks, "full_orientation": not half_orientation}, options)


@click.command()
@svm_options
@flow_options
def flow(**options):
    """Onset -> apex optical flow (u, v, strain) on an S x S grid + linear SVMs (MEB's flow + SVM).

    \b
    Example:
      meau baseline flow DATA_ROOT --database NAME --splits runs/constant/splits.csv -o runs/flow
    """
    from ..handcrafted.pipeline import FlowSVMMethod

    spec = flow_spec(options)
    _svm_run(options, lambda seed: FlowSVMMethod(spec, **_svm(options, seed)))


@click.command()
@svm_options
@click.option("--frame-size", default=128, show_default=True, type=click.IntRange(32),
              help="Frames resized to N x N (landmarks scaled with them).")
@click.option("--tim-frames", default=0, show_default=True, type=click.IntRange(0),
              help="TIM to this many frames first (0: every frame of the clip, as the paper).")
@click.option("--flow", "flow_method", type=click.Choice(["farneback", "tvl1"]), default="farneback", show_default=True,
              help="The optical flow MDMO's regions average: Farneback or TV-L1.")
@click.option("--head-motion", type=click.Choice(["affine", "none"]), default="affine", show_default=True,
              help="affine: remove the affine motion of the stable face points (jaw, nose tip) from every flow "
                   "first, as the paper; none: as MEB's benchmark.")
def mdmo(**options):
    """MDMO (main directional mean optical flow over 36 landmark regions) + linear SVMs.

    Landmarks come from the landmarks.csv that meau crop (or meau synth) wrote at the database root;
    without one they are detected on each clip's first frame and cached.

    \b
    Example:
      meau crop RAW_ROOT --database NAME -o cropped && meau baseline mdmo cropped --database NAME -o runs/mdmo
    """
    from ..handcrafted.pipeline import MdmoMethod

    magnify = magnification(options)
    _svm_run(options, lambda seed: MdmoMethod(
        frame_size=options["frame_size"], tim_frames=options["tim_frames"], flow=options["flow_method"],
        magnify=magnify, head_motion=options["head_motion"], **_svm(options, seed)))
