"""AU prediction on new clips from a finished run (or a deep checkpoint).

Inputs are folders of frames of one clip (cropped faces, as the databases ship them) or video
files; meau does not detect faces, so a video must show a cropped face. Each input is processed
on its own: one that fails is listed with its error and the others go on.

Output, one row per input: ``input, status, model, threshold``, then OpenFace-style ``AU01_p``
(probability) and ``AU01_c`` (0/1) per AU.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .errors import MeauError


class HandcraftedPredictor:
    def __init__(self, run: Path):
        import joblib

        path = run / "model.joblib"
        if not path.exists():
            raise MeauError(f"{run}: no model.joblib (the run has not finished all its folds)")
        self.bundle = joblib.load(path)
        self.au_columns = self.bundle["au_columns"]
        self.label = self.bundle["method"]
        self.threshold = self.bundle["threshold"]

    def __call__(self, frames: np.ndarray, name: str):
        from .handcrafted.registry import create_descriptor
        from .video import preprocess, to_grey

        grey = np.clip(np.rint(to_grey(frames)), 0, 255).astype(np.uint8) if frames.ndim == 4 else frames
        clip = preprocess(grey, name=name, **self.bundle["clip_params"])
        features = create_descriptor(self.bundle["descriptor"], **self.bundle["params"])(clip)[None]
        probabilities, decisions = [], []
        for column in self.au_columns:
            model = self.bundle["models"][column]
            score = float(model.decision_function(features)[0]) if model is not None else -1.0
            slope, intercept = self.bundle["calibration"][column]
            probabilities.append(1 / (1 + np.exp(-(slope * score + intercept))))
            decisions.append(int(score > 0))
        return np.array(probabilities), np.array(decisions)


class DeepPredictor:
    """The mean probability of the run's per-fold best checkpoints (or of one checkpoint file)."""

    def __init__(self, source: Path, device: str = "auto"):
        from .deep.train import load_checkpoint, resolve_device

        files = sorted(source.glob("checkpoints/fold_*/best.pt")) if source.is_dir() else [source]
        if not files:
            raise MeauError(f"{source}: no checkpoints/fold_*/best.pt in the run folder")
        self.device = resolve_device(device)
        self.models = []
        for file in files:
            model, self.spec, self.normalisation, self.au_columns = load_checkpoint(file, self.device)
            self.models.append(model)
        from .deep.resnet3d import DEPTHS

        network = self.models[0].backbone
        depth = next(d for d, (block, layers) in DEPTHS.items() if block is network.block and layers == network.layers)
        self.label = f"res3d{depth} fusion={self.models[0].head.fusion} ({len(self.models)} checkpoint(s))"
        self.threshold = "probability >= 0.5"

    def __call__(self, frames: np.ndarray, name: str):
        import torch

        from .deep.data import ClipBatcher, sample_frames
        from .video import preprocess

        if frames.ndim != 4:
            frames = np.repeat(frames[..., None], 3, axis=3)
        clip = preprocess(frames, size=None, short_side=self.spec.short_side, tim_frames=self.spec.tim_frames, name=name)
        clip = sample_frames(clip, self.spec.frames, self.spec.sampling)
        height, width = clip.shape[1:3]
        if min(height, width) < self.spec.crop:
            raise MeauError(f"{name}: frames of {height} x {width} are smaller than the model's {self.spec.crop} crop")
        x = ClipBatcher([clip], self.device, self.normalisation, self.spec.crop).batch([0], train=False)
        with torch.no_grad():
            probabilities = torch.stack([torch.sigmoid(model(x).float())[0] for model in self.models]).mean(0)
        probabilities = probabilities.cpu().numpy()
        return probabilities, (probabilities >= 0.5).astype(int)


def load_predictor(source, device: str = "auto"):
    source = Path(source)
    if source.is_dir():
        config_path = source / "config.json"
        if not config_path.exists():
            raise MeauError(f"{source}: not a run folder (no config.json)")
        config = json.loads(config_path.read_text())
        if "descriptor" in config.get("parameters", {}):
            return HandcraftedPredictor(source)
        if "model" in config.get("parameters", {}):
            return DeepPredictor(source, device)
        raise MeauError(f"{source}: a {config.get('method', 'this')} run cannot predict new clips")
    if source.is_file():
        return DeepPredictor(source, device)
    raise MeauError(f"{source}: no such run folder or checkpoint")


def predict_inputs(source, inputs, *, onset=None, offset=None, device: str = "auto", echo=print):
    """Predict every input; return a DataFrame (failed inputs carry their error in ``status``)."""
    import pandas as pd

    predictor = load_predictor(source, device)
    color = isinstance(predictor, DeepPredictor)
    rows = []
    for item in inputs:
        row = {"input": str(item), "status": "ok", "model": predictor.label, "threshold": predictor.threshold}
        try:
            from .video import frames_of_input

            frames = frames_of_input(item, onset, offset, color=color)
            probabilities, decisions = predictor(frames, str(item))
            for column, probability, decision in zip(predictor.au_columns, probabilities, decisions):
                row[f"{column}_p"] = round(float(probability), 6)
                row[f"{column}_c"] = int(decision)
        except MeauError as error:
            row["status"] = f"error: {error}"
            echo(f"{item}: {error}")
        rows.append(row)
    columns = ["input", "status", "model", "threshold"]
    for column in predictor.au_columns:
        columns += [f"{column}_p", f"{column}_c"]
    return pd.DataFrame(rows, columns=columns)
