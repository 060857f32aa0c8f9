"""Training Res3D(+SCA) per fold through the shared experiment path.

Per fold: train on the training folds (SGD, lr 0.01, momentum 0.9, weight decay 1e-3, lr / 10
every 30 epochs, 60 epochs, batch 64 — all options), keep the epoch with the best validation
average F1, score the test fold with that checkpoint: threshold 0.5 on the sigmoid (the paper's),
or per AU the threshold that maximises F1 on the validation fold (``threshold='validation'``),
never anything computed from the test fold.
Checkpoints ``checkpoints/fold_i/{last,best}.pt`` hold the model, optimiser, scheduler, epoch,
random states and history, so ``--resume`` continues an interrupted fold where it stopped and
reaches the same result as an uninterrupted run (CPU, ``--deterministic``).

Data-parallel training: launched with ``torchrun``, each process trains on its share of every
batch (DistributedDataParallel); only rank 0 writes files.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch.nn import functional as F

from ..errors import MeauError
from ..experiment import FoldResult
from ..metrics import best_f1_thresholds
from .data import Augment, ClipBatcher, ClipSpec, get_input, load_clips
from .model import build_model, count_parameters
from .resnet3d import backbone_depth
from .weights import DEFAULT_NORMALISATION, check_architecture, load_backbone, read_pretrained

if TYPE_CHECKING:
    from ..flow import FlowSpec

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    backbone: str = "res3d18"
    fusion: str = "learn"
    widen_factor: float = 1.0
    reduced: int = 128
    dropout: float = 0.5
    epochs: int = 60
    batch_size: int = 64
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 1e-3
    lr_step: int = 30
    lr_gamma: float = 0.1
    optimizer: str = "sgd"  # the paper's; 'adamw' trains small from-scratch models (the demo) far faster
    pos_weight: bool = False
    class_weight: str | None = None  # emotion classes: None or "balanced" (cross-entropy weights n / (k n_class))
    device: str = "auto"
    amp: bool | None = None  # None: bf16 autocast on CUDA, off on CPU
    compile: bool = False
    deterministic: bool = False
    seed: int = 0
    pretrained: str | None = None
    clip: ClipSpec = field(default_factory=ClipSpec)
    augment: Augment = field(default_factory=Augment)
    threshold: str = "fixed"  # 'fixed' (0.5, the paper's) or 'validation' (per AU, best F1 on the validation fold)
    checkpoint_every: int = 1  # epochs between last.pt saves (--resume restarts from the latest)
    n_jobs: int = 1


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise MeauError(f"--device {name!r} is not a device (auto, cpu, cuda, cuda:1 …)") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise MeauError(f"--device {name}: CUDA is not available here (torch {torch.__version__}); use --device cpu")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise MeauError(f"--device {name}: only {torch.cuda.device_count()} CUDA device(s)")
    return device


def distributed_context():
    """(rank, world size, local rank) under torchrun, else (0, 1, 0)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1, 0
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")
    return dist.get_rank(), world, int(os.environ.get("LOCAL_RANK", "0"))


def model_from_parameters(parameters: dict, num_aus: int):
    """The model described by a run's deep parameters (``DeepMethod.parameters``, also saved in checkpoints)."""
    model_config = parameters["model"]
    if parameters.get("kind") == "flow":
        from .flownets import get_flow_model

        return get_flow_model(model_config["model"])(num_aus, dropout=model_config["dropout"])
    spec = ClipSpec.from_dict(model_config["clip"])
    return build_model(model_config["backbone"], num_aus, fusion=model_config["fusion"],
                       input_shape=(spec.frames, spec.crop, spec.crop), reduced=model_config["reduced"],
                       dropout=model_config["dropout"], **parameters["architecture"])


def read_checkpoint(path) -> dict:
    """A meau checkpoint's contents, read without running code (``weights_only=True``).

    meau saves only tensors and plain Python values, so a file that needs anything else
    (a pickled object: tampered, or written by meau 0.1) is refused with a one-line error.
    """
    import pickle

    path = Path(path)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise MeauError(f"{path}: no such checkpoint") from None
    except pickle.UnpicklingError:
        raise MeauError(f"{path}: refused, it holds Python objects that only a full unpickler could load (tampered, "
                        "or written by meau < 0.2); meau never runs code from a run folder: re-create the run "
                        "with this version") from None
    except Exception as error:
        raise MeauError(f"{path}: not a meau checkpoint ({type(error).__name__})") from None


def load_checkpoint(path, device="cpu", *, with_target: bool = False):
    """(model in eval mode, ClipSpec or FlowSpec, normalisation name, AU columns) from a meau ``best.pt``, and
    with ``with_target`` what its outputs are (``aus``, or ``emotion``: the AU columns are then the classes)."""
    path = Path(path)
    checkpoint = read_checkpoint(path)
    try:
        parameters = checkpoint["config"]
        model = model_from_parameters(parameters, len(checkpoint["au_columns"]))
        model.load_state_dict(checkpoint["model"])
        if parameters.get("kind") == "flow":
            from ..flow import FlowSpec

            spec = FlowSpec.from_dict(parameters["model"]["flow"]).check()
        else:
            spec = ClipSpec.from_dict(parameters["model"]["clip"])
            get_input(spec.input)
    except Exception as error:
        raise MeauError(f"{path}: not a meau checkpoint ({type(error).__name__}: {error})") from None
    found = (model.to(device).eval(), spec, parameters["normalisation"], list(checkpoint["au_columns"]))
    return (*found, checkpoint.get("target", "aus")) if with_target else found


def average_f1(truth: np.ndarray, decisions: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(np.mean([f1_score(truth[:, j], decisions[:, j], zero_division=0) for j in range(truth.shape[1])]))


def validation_score(truth: np.ndarray, probabilities: np.ndarray, emotion: bool) -> float:
    """What picks the best epoch: the average F1 over AUs at 0.5, or for emotion classes (one-hot ``truth``)
    the UF1 of the class of highest probability."""
    if emotion:
        from ..metrics import unweighted_f1

        return unweighted_f1(truth.argmax(axis=1), probabilities.argmax(axis=1), truth.shape[1])
    return average_f1(truth, (probabilities >= 0.5).astype(int))


def _save(path: Path, payload: dict) -> None:
    from ..outputs import atomic_path

    with atomic_path(path) as temporary:
        torch.save(payload, temporary)


class NetworkMethod:
    """What every network trained per fold shares: device, processes, precision, hooks, the training
    loop (:meth:`run_fold`) and prediction. A subclass builds its inputs (:meth:`load_inputs`) and its
    model (:meth:`build`), and calls this ``__init__`` first."""

    def __init__(self, config, *, cache=None, echo=print, on_epoch_end=None):
        self.config = config
        self.cache = cache
        self.echo = echo
        self.on_epoch_end = on_epoch_end  # test hook: called with (fold, epoch)
        self.rank, self.world, local_rank = distributed_context()
        device = resolve_device(config.device)
        if self.world > 1 and device.type == "cuda":
            device = torch.device("cuda", local_rank)
        self.device = device
        self.amp = config.amp if config.amp is not None else device.type == "cuda"
        if config.threshold not in ("fixed", "validation"):
            raise MeauError(f"threshold must be 'fixed' or 'validation', not {config.threshold!r}")
        self._inputs = None

    # -- data ---------------------------------------------------------------------------------
    def load_inputs(self, dataset, failures: dict | None = None):
        """A batcher over the model inputs of the dataset's samples (without ``failures``, which
        collects {index: message} of the samples that cannot be made into an input)."""
        raise NotImplementedError

    def prepare(self, dataset):
        """Make every sample's input once; samples that cannot be made leave the dataset (listed in
        its problems as ``bad-clip``). Returns the dataset the folds are drawn from."""
        failures: dict[int, str] = {}
        batcher = self.load_inputs(dataset, failures)
        kept = dataset.without(failures, kind="bad-clip")
        self._inputs = (kept, batcher)
        return kept

    def batcher(self, dataset):
        if self._inputs is None or self._inputs[0] is not dataset:
            self._inputs = (dataset, self.load_inputs(dataset))
        return self._inputs[1]

    def build(self, num_aus: int):
        """The model for ``num_aus`` binary tasks, on the device."""
        raise NotImplementedError

    def _autocast(self):
        return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=self.amp)

    @torch.no_grad()
    def predict(self, model, batcher, indices, *, softmax: bool = False) -> np.ndarray:
        """Per sample the sigmoid of each output (AUs), or the softmax over the outputs (emotion classes)."""
        model.eval()
        outputs = []
        for start in range(0, len(indices), self.config.batch_size):
            batch = batcher.batch(indices[start : start + self.config.batch_size], train=False)
            with self._autocast():
                logits = model(batch).float()
            outputs.append((torch.softmax(logits, dim=1) if softmax else torch.sigmoid(logits)).cpu())
        return torch.cat(outputs).numpy() if outputs else np.zeros((0, 0))

    # -- one fold -----------------------------------------------------------------------------
    def run_fold(self, dataset, rotation, run) -> FoldResult:
        """Train on the training folds, keep the epoch with the best validation average F1 (UF1 for emotion
        classes; its checkpoint ``best.pt``), and score the test fold with it."""
        from ..tasks import task_of

        config = self.config
        task = task_of(dataset)
        emotion = dataset.target == "emotion"
        names = task.target_names(dataset)
        if len(rotation.validation) == 0:
            raise MeauError(f"fold {rotation.fold}: empty validation set")
        if config.deterministic:
            torch.use_deterministic_algorithms(True)
        torch.manual_seed(config.seed * 1000 + rotation.fold)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = not config.deterministic
        batcher = self.batcher(dataset)
        labels = torch.tensor(task.targets(dataset), dtype=torch.float32)
        model = self.build(len(names))
        network = self._network(model)
        optimizer, scheduler = self._optimizer(model)
        generator = torch.Generator().manual_seed(config.seed * 1000 + rotation.fold + 1)
        folder = run.path / "checkpoints" / f"fold_{rotation.fold}"
        state = self._restore(run, folder, rotation.fold, model, optimizer, scheduler, generator)
        loss = self._loss(labels, rotation.train, emotion)
        validation_truth = labels[rotation.validation].numpy().astype(int)
        measure = "UF1" if emotion else "F1"
        for epoch in range(state["epoch"], config.epochs):
            start = time.perf_counter()
            total, seen = self._train_epoch(network, batcher, labels, torch.as_tensor(rotation.train), optimizer,
                                            generator, loss)
            scheduler.step()
            probabilities = self.predict(model, batcher, rotation.validation, softmax=emotion)
            validation_f1 = validation_score(validation_truth, probabilities, emotion)
            improved = validation_f1 > state["best_f1"]
            if improved:
                state["best_f1"], state["best_epoch"] = validation_f1, epoch + 1
            record = {"epoch": epoch + 1, "loss": total / max(seen, 1), "validation_f1": validation_f1,
                      "lr": optimizer.param_groups[0]["lr"], "seconds": time.perf_counter() - start}
            state["history"].append(record)
            state["epoch"] = epoch + 1
            if self.rank == 0:
                self._save_epoch(folder, state, improved, model, optimizer, scheduler, generator, names, dataset.target)
                line = (f"fold {rotation.fold} epoch {epoch + 1}/{config.epochs}: loss {record['loss']:.4f}, "
                        f"validation {measure} {validation_f1:.4f}{' *' if improved else ''} "
                        f"({record['seconds']:.1f} s)")
                run.log(line)
                self.echo(line)
            if self.on_epoch_end is not None:
                self.on_epoch_end(rotation.fold, epoch + 1)
        if emotion:
            return self._test_classes(folder, model, batcher, rotation, state)
        return self._test(folder, model, batcher, rotation, validation_truth, names, state)

    def _network(self, model):
        """The model as trained: data-parallel under torchrun, compiled when asked."""
        network = model
        if self.world > 1:
            network = torch.nn.parallel.DistributedDataParallel(
                model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        return torch.compile(network) if self.config.compile else network

    def _optimizer(self, model):
        config = self.config
        if config.optimizer == "sgd":
            optimizer = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum, dampening=0,
                                        weight_decay=config.weight_decay)
        elif config.optimizer == "adamw":
            optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        else:
            raise MeauError(f"optimizer must be 'sgd' or 'adamw', not {config.optimizer!r}")
        return optimizer, torch.optim.lr_scheduler.StepLR(optimizer, step_size=config.lr_step, gamma=config.lr_gamma)

    def _loss(self, labels, train, emotion: bool = False):
        """The summed per-AU binary cross-entropy (positives weighted by negatives / positives with ``pos_weight``),
        or for emotion classes (one-hot ``labels``) the cross-entropy of the softmax, with ``class_weight
        'balanced'`` each class weighted n / (k n_class) on the training samples."""
        if emotion:
            weight = None
            if self.config.class_weight == "balanced":
                counts = labels[train].sum(0)
                present = counts > 0
                weight = torch.where(present, len(train) / (int(present.sum()) * counts.clamp(min=1)),
                                     torch.zeros_like(counts)).to(self.device)

            def cross_entropy(logits, target):
                return F.cross_entropy(logits.float(), target.argmax(dim=1), weight=weight)
            return cross_entropy
        if self.config.class_weight is not None:
            raise MeauError("--class-weight weighs emotion classes; for AUs use --pos-weight")
        pos_weight = None
        if self.config.pos_weight:
            positives = labels[train].sum(0).clamp(min=1)
            pos_weight = ((len(train) - positives) / positives).to(self.device)

        def loss(logits, target):
            return F.binary_cross_entropy_with_logits(logits.float(), target, pos_weight=pos_weight,
                                                      reduction="none").sum(dim=1).mean()
        return loss

    def _restore(self, run, folder, fold, model, optimizer, scheduler, generator) -> dict:
        """The training state: fresh, or from ``last.pt`` on ``--resume`` (model, optimiser, random states)."""
        if not (run.resume and (folder / "last.pt").exists()):
            return {"epoch": 0, "best_f1": -1.0, "best_epoch": -1, "history": []}
        checkpoint = read_checkpoint(folder / "last.pt")
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        scheduler.load_state_dict(checkpoint["scheduler"])
        generator.set_state(checkpoint["generator"])
        torch.set_rng_state(checkpoint["torch_rng"])
        self.echo(f"fold {fold}: resuming after epoch {checkpoint['state']['epoch']}")
        return checkpoint["state"]

    def _train_epoch(self, network, batcher, labels, train_indices, optimizer, generator, loss) -> tuple[float, int]:
        """One pass over the training samples in a random order; (summed loss, samples seen)."""
        network.train()
        order = train_indices[torch.randperm(len(train_indices), generator=generator)]
        total, seen = 0.0, 0
        for first in range(0, len(order), self.config.batch_size):
            batch_indices = order[first : first + self.config.batch_size]
            if len(batch_indices) < 2 * self.world:
                continue  # batch norm needs two samples on every process
            if self.world > 1:
                batch_indices = batch_indices[self.rank :: self.world]
            clips = batcher.batch(batch_indices, train=True, generator=generator)
            target = labels[batch_indices].to(self.device)
            with self._autocast():
                logits = network(clips)
            value = loss(logits, target)
            optimizer.zero_grad(set_to_none=True)
            value.backward()
            optimizer.step()
            total += float(value.detach()) * len(batch_indices)
            seen += len(batch_indices)
        return total, seen

    def _save_epoch(self, folder, state, improved, model, optimizer, scheduler, generator, au_columns,
                    target: str = "aus") -> None:
        """``best.pt`` when the validation F1 improved; ``last.pt`` every ``checkpoint_every`` epochs and at the end.
        ``au_columns`` names the outputs (the AU columns, or the emotion classes with ``target='emotion'``)."""
        epoch = state["epoch"]
        if improved:
            _save(folder / "best.pt", {"model": model.state_dict(), "epoch": epoch,
                                       "validation_f1": state["best_f1"], "au_columns": list(au_columns),
                                       "target": target, "config": self.parameters})
        if epoch % self.config.checkpoint_every == 0 or epoch == self.config.epochs:
            _save(folder / "last.pt", {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                                       "scheduler": scheduler.state_dict(), "generator": generator.get_state(),
                                       "torch_rng": torch.get_rng_state(), "state": state})

    def _test(self, folder, model, batcher, rotation, validation_truth, au_columns, state) -> FoldResult:
        """The test fold scored by the best checkpoint, at 0.5 or at thresholds chosen on the validation fold."""
        best = read_checkpoint(folder / "best.pt")
        model.load_state_dict(best["model"])
        thresholds = np.full(len(au_columns), 0.5)
        if self.config.threshold == "validation":
            # chosen on the validation fold's probabilities of the best checkpoint, then applied
            # unchanged to the test fold: the test labels are never looked at
            thresholds = np.array(best_f1_thresholds(validation_truth, self.predict(model, batcher, rotation.validation)))
        probabilities = self.predict(model, batcher, rotation.test)
        return FoldResult(probabilities, (probabilities >= thresholds).astype(int),
                          {"best_epoch": state["best_epoch"], "best_validation_f1": state["best_f1"],
                           "thresholds": dict(zip(au_columns, thresholds.tolist())),
                           "threshold_rule": "fixed 0.5" if self.config.threshold == "fixed" else
                           "per AU, best F1 on the validation fold",
                           "history": state["history"], "parameters": count_parameters(model)})


    def _test_classes(self, folder, model, batcher, rotation, state) -> FoldResult:
        """The test fold scored by the best checkpoint (best validation UF1): the class of highest probability."""
        from ..tasks.emotion import decide

        best = read_checkpoint(folder / "best.pt")
        model.load_state_dict(best["model"])
        probabilities = self.predict(model, batcher, rotation.test, softmax=True)
        return FoldResult(probabilities, decide(probabilities),
                          {"best_epoch": state["best_epoch"], "best_validation_uf1": state["best_f1"],
                           "rule": "the class of highest softmax probability", "history": state["history"],
                           "parameters": count_parameters(model)})


class DeepMethod(NetworkMethod):
    """Res3D + SCA (or an ablation) trained per fold; plugs into :func:`meau.experiment.run_experiment`."""

    def __init__(self, config: TrainConfig, *, cache=None, echo=print, on_epoch_end=None):
        super().__init__(config, cache=cache, echo=echo, on_epoch_end=on_epoch_end)
        device = self.device
        self.pretrained = read_pretrained(config.pretrained) if config.pretrained else None
        if self.pretrained is not None:
            check_architecture(self.pretrained, config.backbone)
        self.normalisation = self.pretrained.normalisation if self.pretrained else DEFAULT_NORMALISATION
        depth = backbone_depth(config.backbone)
        backbone_label = f"Res3D-{depth}" if depth else config.backbone
        suffix = {"none": "", "learn": "+SCA"}.get(config.fusion, f"+{config.fusion.upper()}")
        self.name = backbone_label + suffix
        get_input(config.clip.input)
        if config.augment.jitter and config.clip.sampling != "uniform":
            raise MeauError("temporal jitter needs --sampling uniform")
        self.parameters = {"model": {**{k: v for k, v in asdict(config).items() if k not in ("clip", "augment")},
                                     "clip": config.clip.as_dict(), "augment": config.augment.as_dict()},
                           "device": str(device), "amp": "bf16" if self.amp else None,
                           "normalisation": self.normalisation, "world_size": self.world,
                           "pretrained": self.pretrained.describe() if self.pretrained else None,
                           "architecture": {
                               "shortcut": self.pretrained.shortcut if self.pretrained else "B",
                               "stem": self.pretrained.stem if self.pretrained else "777",
                               "widen_factor": self.pretrained.widen_factor if self.pretrained else config.widen_factor},
                           "threshold": 0.5 if config.threshold == "fixed" else "validation"}

    def load_inputs(self, dataset, failures=None) -> ClipBatcher:
        spec, augment = self.config.clip, self.config.augment
        clips = load_clips(list(dataset.table["frames"]), spec, cache=self.cache, n_jobs=self.config.n_jobs,
                           sample=augment.jitter == 0, failures=failures)
        return ClipBatcher([clip for clip in clips if clip is not None], self.device, self.normalisation, spec,
                           augment=augment, channels_last=self.device.type == "cuda")

    # -- model --------------------------------------------------------------------------------
    def build(self, num_aus: int):
        model = model_from_parameters(self.parameters, num_aus)
        if self.pretrained is not None:
            load_backbone(model.backbone, self.pretrained)
        model = model.to(self.device)
        if self.device.type == "cuda":
            model = model.to(memory_format=torch.channels_last_3d)
        return model


@dataclass
class FlowConfig:
    """Training settings of a shallow flow CNN (the same loop as :class:`TrainConfig`'s)."""

    model: str = "sssnet"
    dropout: float = 0.5
    epochs: int = 60
    batch_size: int = 32
    lr: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 1e-4
    lr_step: int = 1000
    lr_gamma: float = 0.1
    optimizer: str = "adamw"
    pos_weight: bool = False
    class_weight: str | None = None
    device: str = "auto"
    amp: bool | None = None
    compile: bool = False
    deterministic: bool = False
    seed: int = 0
    flow: FlowSpec | None = None  # meau.flow.FlowSpec; the model sets channels and size
    flip: bool = True
    threshold: str = "fixed"
    checkpoint_every: int = 10  # an epoch takes well under a second: saving every one would dominate
    n_jobs: int = 1


class FlowMethod(NetworkMethod):
    """A shallow CNN on onset -> apex flow images (SSSNet, STSTNet, Off-ApexNet or a plug-in), per fold.

    Flow images are computed once per dataset (cached like clips) and kept on the device; training,
    checkpoints, ``--resume``, thresholds and torchrun are :class:`NetworkMethod`'s.
    """

    def __init__(self, config: FlowConfig, *, cache=None, echo=print, on_epoch_end=None):
        from ..flow import FlowSpec
        from .flownets import get_flow_model

        super().__init__(config, cache=cache, echo=echo, on_epoch_end=on_epoch_end)
        try:
            builder = get_flow_model(config.model)
        except ValueError as error:
            raise MeauError(f"--model: {error}") from None
        channels = tuple(getattr(builder, "channels", ("u", "v", "strain")))
        size = int(getattr(builder, "size", 28))
        spec = config.flow or FlowSpec()
        self.spec = FlowSpec(size=size, frame_size=spec.frame_size, method=spec.method, channels=channels,
                             apex=spec.apex, magnify=spec.magnify).check()
        self.name = {"sssnet": "SSSNet", "ststnet": "STSTNet", "offapexnet": "Off-ApexNet"}.get(config.model, config.model)
        settings = {k: v for k, v in asdict(config).items() if k != "flow"}
        self.parameters = {"kind": "flow", "model": {**settings, "flow": self.spec.as_dict()},
                           "device": str(self.device), "amp": "bf16" if self.amp else None, "world_size": self.world,
                           "normalisation": "flow images in [0, 1]",
                           "threshold": 0.5 if config.threshold == "fixed" else "validation"}
        self.apex_used = None

    def load_inputs(self, dataset, failures=None):
        from ..flow import flow_images
        from .flownets import FlowBatcher

        images, apex_used = flow_images(dataset.table, self.spec, cache=self.cache, n_jobs=self.config.n_jobs,
                                        failures=failures)
        keep = [index for index in range(len(images)) if index not in (failures or {})]
        self.apex_used = apex_used.iloc[keep].reset_index(drop=True)
        return FlowBatcher(images[keep], self.device, self.spec.channels, flip=self.config.flip)

    def build(self, num_aus: int):
        return model_from_parameters(self.parameters, num_aus).to(self.device)

    def run_fold(self, dataset, rotation, run) -> FoldResult:
        from ..flow import write_apex_used

        result = super().run_fold(dataset, rotation, run)
        write_apex_used(run, self.apex_used)
        return result


def small_cpu_config(fusion: str, *, epochs: int = 15, seed: int = 0, input: str = "diff", flip: bool = True,
                     jitter: int = 0, random_crop: bool = False, threshold: str = "validation",
                     deterministic: bool = True, magnify: dict | None = None) -> TrainConfig:
    """The demo's deep model: a from-scratch Res3D-18 at a quarter width on 64 x 64 clips, minutes on 2 CPU cores.

    Differences from the paper's recipe, all measured on the demo's synthetic database
    (``benchmarks/deep_inputs.py``, table in the README): onset-difference input instead of RGB,
    left-right flips, per-AU thresholds chosen on the validation fold, AdamW (lr 1e-3) instead of
    SGD, and a crop equal to the short side. Deterministic, so two runs give the same table.
    """
    return TrainConfig(backbone="res3d18", fusion=fusion, widen_factor=0.25, reduced=32, epochs=epochs,
                       batch_size=16, optimizer="adamw", lr=1e-3, lr_step=1000, device="cpu", seed=seed,
                       deterministic=deterministic, threshold=threshold,
                       augment=Augment(flip=flip, jitter=jitter, crop=random_crop),
                       clip=ClipSpec(frames=10, tim_frames=30, short_side=64, crop=64, input=input, magnify=magnify))


def demo_method(fusion: str, *, cache=None, echo=print, **settings) -> DeepMethod:
    """The demo's deep rows (see :func:`small_cpu_config`)."""
    return DeepMethod(small_cpu_config(fusion, **settings), cache=cache, echo=echo)
