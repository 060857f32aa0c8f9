"""``meau train sca``: Res3D + SCA (or an ablation) per fold, on CPU or CUDA, torchrun-ready."""

from pathlib import Path

import click

from . import LazyGroup
from .options import dataset_options, dataset_selection, load_selection, magnification, magnify_options, \
    n_jobs_option, open_run, protocol_options, run_method, run_options, stack


@click.group(cls=LazyGroup)
def train():
    """Train a deep model through the protocol into a run folder."""


device_options = stack(
    click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N."),
    click.option("--amp/--no-amp", default=None, help="bf16 autocast (default: on for CUDA, off on CPU)."),
    click.option("--compile", "compile_model", is_flag=True, help="torch.compile the model."),
    click.option("--deterministic", is_flag=True, help="Bit-repeatable CPU runs (deterministic algorithms)."),
)
pos_weight_option = stack(
    click.option("--pos-weight", is_flag=True, help="Weight each AU's positives by negatives / positives."),
    click.option("--class-weight", type=click.Choice(["none", "balanced"]), default="none", show_default=True,
                 help="With --target emotion: weigh the cross-entropy of each class by n / (k n_class) on the "
                      "training folds."),
)
RECIPE = ("epochs", "batch_size", "lr", "optimizer", "weight_decay", "pos_weight", "device", "amp", "deterministic",
          "threshold", "n_jobs")


def _recipe(options, seed) -> dict:
    """The training options both deep commands share, as TrainConfig/FlowConfig keywords."""
    return {**{name: options[name] for name in RECIPE}, "compile": options["compile_model"], "seed": seed,
            "class_weight": None if options["class_weight"] == "none" else options["class_weight"]}


def _run_deep(options, make_method):
    """Settings first, then the run folder and the data; under torchrun only rank 0 writes and prints."""
    from ..deep.train import distributed_context

    from ..errors import MeauError

    selection = dataset_selection(options)
    if options["class_weight"] != "none" and selection.target_settings()[0] != "emotion":
        raise MeauError("--class-weight weighs emotion classes (--target emotion); for AUs use --pos-weight")
    run = open_run(options, selection)
    dataset = load_selection(selection)
    rank = distributed_context()[0]
    run.main = rank == 0
    echo = click.echo if rank == 0 else (lambda *_: None)
    run_method(lambda seed: make_method(seed, echo), dataset, run, options, selection, echo=echo)


@train.command()
@dataset_options
@protocol_options
@run_options
@magnify_options
@click.option("--backbone", default="res3d18", show_default=True,
              help="res3d18, res3d34, res3d50, res3d101, or a backbone registered in the meau.models entry-point group.")
@click.option("--fusion", type=click.Choice(["learn", "max", "avg", "concat", "sa", "ca", "none"]), default="learn",
              show_default=True, help="learn = SCA; none = plain Res3D; the others are the paper's ablations.")
@click.option("--pretrained", type=click.Path(path_type=Path),
              help="Local backbone weights (Hara 2018/2020 or torchvision r3d_18); never downloaded.")
@click.option("--epochs", default=60, show_default=True, type=click.IntRange(1),
              help="Passes over the training folds; the checkpoint kept is the epoch with the best validation F1.")
@click.option("--batch-size", default=64, show_default=True, type=click.IntRange(2),
              help="Clips per step (per process under torchrun).")
@click.option("--lr", default=0.01, show_default=True, type=float,
              help="Learning rate (the paper's 0.01 with SGD; 1e-3 suits AdamW).")
@click.option("--optimizer", type=click.Choice(["sgd", "adamw"]), default="sgd", show_default=True,
              help="sgd: momentum 0.9 (the paper's); adamw trains small from-scratch models faster (the demo's).")
@click.option("--weight-decay", default=1e-3, show_default=True, type=float, help="L2 penalty of the optimizer.")
@click.option("--lr-step", default=30, show_default=True, type=click.IntRange(1), help="lr / 10 every N epochs.")
@pos_weight_option
@click.option("--widen-factor", default=1.0, show_default=True, type=float,
              help="Width multiplier of the backbone's channels (0.25: the demo's quarter-width model).")
@click.option("--reduced", default=128, show_default=True, type=click.IntRange(1),
              help="SCA head: channels the features are reduced to before their covariance (the demo's: 32).")
@click.option("--dropout", default=0.5, show_default=True, type=click.FloatRange(0, 1, max_open=True),
              help="Dropout before each AU's classifier.")
@device_options
@click.option("--clip-frames", default=10, show_default=True, type=click.IntRange(2),
              help="Frames the model sees per clip (sampled from the TIM clip).")
@click.option("--tim-frames", default=50, show_default=True, type=click.IntRange(2),
              help="Each clip is first interpolated (TIM) to this many frames, onset to offset.")
@click.option("--short-side", default=128, show_default=True, type=click.IntRange(16),
              help="Frames are resized so their shorter side has this many pixels.")
@click.option("--crop", default=112, show_default=True, type=click.IntRange(16),
              help="Square crop the model sees (random or centred in training, centred in testing); at most "
                   "--short-side.")
@click.option("--sampling", type=click.Choice(["uniform", "mean"]), default="uniform", show_default=True,
              help="How --clip-frames frames are taken from the TIM clip: uniform = evenly spaced frames; mean = "
                   "the average of each of --clip-frames equal segments.")
@click.option("--input", "input_name", type=click.Choice(["rgb", "diff"]), default="rgb", show_default=True,
              help="rgb: colour frames (the paper's); diff: each frame minus the onset frame, after the crop, with "
                   "fixed normalisation. With --pretrained and diff, the pretrained stem sees differences, not "
                   "the colour images it was trained on.")
@click.option("--threshold", type=click.Choice(["fixed", "validation"]), default="fixed", show_default=True,
              help="fixed: 0.5 on the sigmoid (the paper's); validation: per AU and fold, the threshold with the best "
                   "F1 on the validation fold, applied unchanged to the test fold.")
@click.option("--flip/--no-flip", default=True, show_default=True,
              help="Training augmentation: mirror clips left-right at random (labels carry no side); on by "
                   "default: +0.025 average F1 on the synthetic database (benchmarks/deep_inputs.py).")
@click.option("--temporal-jitter", default=0, show_default=True, type=click.IntRange(0),
              help="Training augmentation: move each sampled frame but the onset by up to N TIM frames.")
@click.option("--random-crop/--centre-crop", default=True, show_default=True,
              help="Training crop position: random (the paper's) or the centre, as at test time.")
@n_jobs_option(-1, "Clips decoded in parallel (-1: all cores; results do not depend on it).")
@click.option("--cache", type=click.Path(path_type=Path), help="Clip cache folder (default: $MEAU_CACHE, else ~/.cache/meau).")
def sca(**options):
    """Res3D + Spatio-Channel Attention, one binary task per AU.

    \b
    Examples:
      meau train sca DATA_ROOT --database NAME --backbone res3d18 --pretrained r3d18_K_200ep.pth -o runs/sca
      torchrun --nproc_per_node 4 -m meau train sca DATA --fusion learn -o runs/sca   # data-parallel
    """
    from ..paths import cache_root
    from ..deep.data import Augment, ClipSpec
    from ..deep.train import DeepMethod, TrainConfig

    from ..deep.registry import get_model
    from ..errors import MeauError

    if options["temporal_jitter"] and options["sampling"] != "uniform":
        raise MeauError("--temporal-jitter needs --sampling uniform")
    if options["crop"] > options["short_side"]:
        raise MeauError(f"--crop {options['crop']} is larger than --short-side {options['short_side']}")
    try:
        get_model(options["backbone"])
    except ValueError as error:
        raise MeauError(f"--backbone: {error}") from None
    if options["pretrained"]:
        from ..deep.weights import check_architecture, read_pretrained

        check_architecture(read_pretrained(options["pretrained"]), options["backbone"])
    magnify = magnification(options)

    def make_method(seed, echo):
        config = TrainConfig(
            backbone=options["backbone"], fusion=options["fusion"], widen_factor=options["widen_factor"],
            reduced=options["reduced"], dropout=options["dropout"],
            lr_step=options["lr_step"], **_recipe(options, seed),
            pretrained=str(options["pretrained"]) if options["pretrained"] else None,
            clip=ClipSpec(frames=options["clip_frames"], tim_frames=options["tim_frames"], short_side=options["short_side"],
                          crop=options["crop"], sampling=options["sampling"], input=options["input_name"],
                          magnify=magnify),
            augment=Augment(flip=options["flip"], jitter=options["temporal_jitter"], crop=options["random_crop"]))
        return DeepMethod(config, cache=options["cache"] or cache_root(), echo=echo)

    _run_deep(options, make_method)


@train.command()
@dataset_options
@protocol_options
@run_options
@magnify_options
@click.option("--model", default="sssnet", show_default=True,
              help="sssnet, ststnet, offapexnet, or a model registered in the meau.flow_models entry-point group.")
@click.option("--flow", "flow_method", type=click.Choice(["farneback", "tvl1"]), default="farneback",
              show_default=True, help="Optical flow: Farneback (measured better on the synthetic database, 30x faster) or TV-L1.")
@click.option("--frame-size", default=128, show_default=True, type=click.IntRange(16),
              help="Frames resized to N x N before the flow.")
@click.option("--apex", type=click.Choice(["sheet", "estimate"]), default="sheet", show_default=True,
              help="Apex frame: the sheet's (estimated where it has none) or always estimated (largest flow).")
@click.option("--epochs", default=60, show_default=True, type=click.IntRange(1), help="Training epochs per fold.")
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(2), help="Clips per batch.")
@click.option("--lr", default=1e-3, show_default=True, type=float, help="Learning rate.")
@click.option("--optimizer", type=click.Choice(["sgd", "adamw"]), default="adamw", show_default=True,
              help="SGD with momentum 0.9, or AdamW.")
@click.option("--weight-decay", default=1e-4, show_default=True, type=float, help="L2 penalty of the optimizer.")
@click.option("--dropout", default=0.5, show_default=True, type=click.FloatRange(0, 1),
              help="Dropout before the classifier.")
@pos_weight_option
@click.option("--threshold", type=click.Choice(["fixed", "validation"]), default="fixed", show_default=True,
              help="fixed: 0.5 on the sigmoid; validation: per AU and fold, the best F1 on the validation fold.")
@click.option("--flip/--no-flip", default=True, show_default=True,
              help="Training augmentation: mirror flow images (x reversed, u negated).")
@device_options
@n_jobs_option(-1, "Optical flow over clips in parallel (-1: all cores; results do not depend on it).")
@click.option("--cache", type=click.Path(path_type=Path), help="Flow cache folder (default: $MEAU_CACHE, else ~/.cache/meau).")
def flow(**options):
    """A shallow CNN on onset -> apex optical flow (SSSNet, STSTNet, Off-ApexNet), one binary task per AU.

    \b
    Example:
      meau train flow DATA_ROOT --database NAME --model sssnet --splits runs/constant/splits.csv -o runs/sssnet
    """
    from ..deep.flownets import get_flow_model
    from ..deep.train import FlowConfig, FlowMethod
    from ..paths import cache_root
    from ..errors import MeauError
    from ..flow import FlowSpec

    try:
        get_flow_model(options["model"])
    except ValueError as error:
        raise MeauError(f"--model: {error}") from None
    spec = FlowSpec(frame_size=options["frame_size"], method=options["flow_method"], apex=options["apex"],
                    magnify=magnification(options)).check()

    def make_method(seed, echo):
        config = FlowConfig(model=options["model"], dropout=options["dropout"], flow=spec, flip=options["flip"],
                            **_recipe(options, seed))
        return FlowMethod(config, cache=options["cache"] or cache_root(), echo=echo)

    _run_deep(options, make_method)
