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
        import torch

        from .deep.data import ClipSpec
        from .deep.model import build_model
        from .deep.train import resolve_device
        from .deep.weights import NORMALISATION

        files = sorted(source.glob("checkpoints/fold_*/best.pt")) if source.is_dir() else [source]
        if not files:
            raise MeauError(f"{source}: no checkpoints/fold_*/best.pt in the run folder")
        self.device = resolve_device(device)
        self.models = []
        for file in files:
            try:
                checkpoint = torch.load(file, map_location="cpu", weights_only=False)
                config = checkpoint["config"]
            except Exception as error:
                raise MeauError(f"{file}: not a meau checkpoint ({type(error).__name__})") from None
            model_config = config["model"]
            spec = ClipSpec(**model_config["clip"])
            shape = (spec.frames, spec.crop, spec.crop)
            model = build_model(model_config["backbone"], len(checkpoint["au_columns"]), fusion=model_config["fusion"],
                                input_shape=shape, reduced=model_config["reduced"], dropout=model_config["dropout"],
                                **config["architecture"])
            model.load_state_dict(checkpoint["model"])
            self.models.append(model.to(self.device).eval())
            self.au_columns = checkpoint["au_columns"]
            self.spec = spec
            self.normalisation = NORMALISATION[config["normalisation"]]
        fusion = model_config["fusion"]
        self.label = f"{model_config['backbone']} fusion={fusion} ({len(self.models)} checkpoint(s))"
        self.threshold = "probability >= 0.5"

    def __call__(self, frames: np.ndarray, name: str):
        import torch

        from .deep.data import sample_frames
        from .video import preprocess

        if frames.ndim != 4:
            frames = np.repeat(frames[..., None], 3, axis=3)
        clip = preprocess(frames, size=None, short_side=self.spec.short_side, tim_frames=self.spec.tim_frames, name=name)
        clip = sample_frames(clip, self.spec.frames, self.spec.sampling)
        height, width = clip.shape[1:3]
        if min(height, width) < self.spec.crop:
            raise MeauError(f"{name}: frames of {height} x {width} are smaller than the model's {self.spec.crop} crop")
        top, left = (height - self.spec.crop) // 2, (width - self.spec.crop) // 2
        x = torch.from_numpy(np.ascontiguousarray(clip[:, top : top + self.spec.crop, left : left + self.spec.crop]))
        x = x.permute(3, 0, 1, 2)[None].float().to(self.device)
        stats = self.normalisation
        mean = torch.tensor(stats["mean"], device=self.device).view(1, 3, 1, 1, 1)
        std = torch.tensor(stats["std"], device=self.device).view(1, 3, 1, 1, 1)
        x = (x * (stats["scale"] / 255.0) - mean) / std
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
