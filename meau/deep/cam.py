"""Class activation maps of a trained deep run: CAM_k = sum_c W_fc[k, c] F'_sc[c], per AU, on the apex frame.

For each clip the map comes from the checkpoint of the fold whose *test* set holds the clip, so the
model has never trained on it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import MeauError
from .data import ClipBatcher, ClipSpec, load_clips
from .train import load_checkpoint


def load_fold_model(run: Path, fold: int, device="cpu"):
    """(model, ClipSpec, normalisation name, AU columns) of the best checkpoint of one fold of a deep run."""
    path = run / "checkpoints" / f"fold_{fold}" / "best.pt"
    if not path.exists():
        raise MeauError(f"{path}: missing; explain needs a deep run with its checkpoints")
    loaded = load_checkpoint(path, device)
    if not hasattr(loaded[0], "class_activation_maps"):
        raise MeauError(f"{run}: a {type(loaded[0]).__name__} run has no class activation maps; explain takes "
                        "Res3D(+SCA) runs")
    return loaded


def _centre_crop(image: np.ndarray, crop: int) -> np.ndarray:
    """Centre crop of an H x W x C image: the same crop the model saw at test time."""
    height, width = image.shape[:2]
    top, left = (height - crop) // 2, (width - crop) // 2
    return image[top : top + crop, left : left + crop]


def clip_cams(model, spec: ClipSpec, normalisation: str, frames, apex_index: int | None, cache=None):
    """(maps M x crop x crop, apex image crop x crop x 3 uint8) for one sample's frame files."""
    from ..video import read_frames, resize_short_side

    clip = load_clips([frames], spec, cache=cache)[0]  # T x H x W x 3, sampled
    device = next(model.parameters()).device
    x = ClipBatcher([clip], device, normalisation, spec).batch([0], train=False)
    maps = model.class_activation_maps(x)[0].cpu().numpy()
    index = apex_index if apex_index is not None and 0 <= apex_index < len(frames) else len(frames) // 2
    apex = resize_short_side(read_frames([frames[index]], color=True), spec.short_side)[0]
    return maps, _centre_crop(apex, spec.crop)


def find_samples(table, keys) -> list[int]:
    """Row indices for keys 'database/subject/clip/onset', 'subject/clip' or 'clip'."""
    import pandas as pd

    from ..databases import sample_keys

    full = pd.Series(sample_keys(table))
    short = table["subject"].astype(str) + "/" + table["clip"].astype(str)
    found = []
    for key in keys:
        for candidates in (full, short, table["clip"].astype(str)):
            matches = np.flatnonzero(candidates.to_numpy() == key)
            if len(matches):
                found.append(int(matches[0]))
                break
        else:
            examples = [name for name in short.iloc[:3] if name != key][:2]
            raise MeauError(f"clip {key!r} is not among the run's {len(table)} samples (give subject/clip, such as "
                            f"{' or '.join(examples)})")
    return found


def _test_probabilities(run: Path) -> dict:
    """sample key -> {AU column: (probability, decision)} from the test predictions of a run's finished folds."""
    import pandas as pd

    paths = sorted((run / "folds").glob("fold_*.csv"))
    if not paths:
        return {}
    table = pd.concat([pd.read_csv(path, dtype={"database": str, "subject": str, "clip": str}) for path in paths])
    columns = [c[:-2] for c in table.columns if c.endswith("_p") and f"{c[:-2]}_c" in table.columns]
    return {(r["database"], r["subject"], r["clip"], int(r["onset"])): {c: (r[f"{c}_p"], r[f"{c}_c"]) for c in columns}
            for r in table.to_dict("records")}


def figure_stem(row) -> str:
    return f"cam_{row['database']}_{row['subject']}_{row['clip']}_{row['onset']}"


def explain(runs, keys, out, *, cache=None, echo=print, overwrite: bool = False) -> list[Path]:
    """One figure per clip: rows = runs (methods), columns = AUs, CAM over the apex frame (the paper's Fig. 6).

    Each panel's title gives the run's test probability of the AU for the clip (``p``, with ``+`` where
    it decided the AU present) and whether the sheet codes it; one colour bar reads the maps, each
    scaled to its own range. Existing figures are kept unless ``overwrite``: every name is checked
    before the first is drawn.
    """
    import pandas as pd

    from ..figures import pyplot, save_figure
    from ..flow import apex_position

    runs = [Path(run) for run in runs]
    config = _config_of(runs[0])
    dataset = _dataset_of(config)
    indices = find_samples(dataset.table, keys)
    stems = [figure_stem(dataset.table.iloc[index]) for index in indices]
    existing = [Path(out) / f"{stem}.{suffix}" for stem in stems for suffix in ("png", "pdf")
                if (Path(out) / f"{stem}.{suffix}").exists()]
    if existing and not overwrite:
        raise MeauError(f"{existing[0]}: exists; use --overwrite to replace it")
    plt = pyplot()
    written = []
    per_run = []
    for run in runs:
        run_config = _config_of(run)
        splits = pd.read_csv(run / "splits.csv", dtype={"subject": str, "clip": str})
        fold_of = {(r.database, r.subject, r.clip, int(r.onset)): int(r.fold) for r in splits.itertuples()}
        per_run.append((run, run_config.get("method", run.name), fold_of, _test_probabilities(run)))
    for index in indices:
        row = dataset.table.iloc[index]
        key = (row["database"], row["subject"], row["clip"], int(row["onset"]))
        apex_index = apex_position(row["onset"], row["apex"], row.get("frame_numbers"))
        panels = []
        for run, method, fold_of, tested in per_run:
            if key not in fold_of:
                raise MeauError(f"{run}: sample {'/'.join(map(str, key))} is not in its splits")
            model, spec, normalisation, au_columns = load_fold_model(run, fold_of[key])
            maps, apex = clip_cams(model, spec, normalisation, list(row["frames"]), apex_index, cache)
            panels.append((method, maps, apex, au_columns, tested.get(key, {})))
        columns = max(len(p[3]) for p in panels)
        figure, axes = plt.subplots(len(panels), columns, figsize=(1.6 * columns + 0.8, 1.9 * len(panels)),
                                    squeeze=False)
        image = None
        for r, (method, maps, apex, au_columns, probabilities) in enumerate(panels):
            for c, column in enumerate(au_columns):
                axis = axes[r, c]
                axis.imshow(apex)
                heat = maps[c] - maps[c].min()
                heat = heat / heat.max() if heat.max() > 0 else heat
                image = axis.imshow(heat, cmap="jet", alpha=0.45, vmin=0, vmax=1)
                present = column in row.index and int(row[column]) == 1
                title = column.replace("AU0", "AU") + (" coded" if present else "")
                if column in probabilities:
                    probability, decided = probabilities[column]
                    title += f"\np={probability:.2f}{' +' if int(decided) else ''}"
                axis.set_title(title, fontsize=7)
                axis.set_xticks([]), axis.set_yticks([])
            for c in range(len(au_columns), columns):
                axes[r, c].axis("off")
            axes[r, 0].set_ylabel(method, fontsize=8)
        if image is not None:
            bar = figure.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8, pad=0.02)
            bar.set_label("activation (each map scaled to its range)", fontsize=7)
            bar.ax.tick_params(labelsize=6)
        figure.suptitle(f"{row['subject']}/{row['clip']} (onset {row['onset']}); p: test probability, "
                        "+ decided present", fontsize=8)
        stem = figure_stem(row)
        written.append(save_figure(figure, Path(out) / f"{stem}.png", close=False))
        written.append(save_figure(figure, Path(out) / f"{stem}.pdf"))
        echo(f"figure: {written[-2]}")
    return written


def _config_of(run: Path) -> dict:
    try:
        return json.loads((run / "config.json").read_text())
    except FileNotFoundError:
        raise MeauError(f"{run}: not a run folder (no config.json)") from None


def _dataset_of(config: dict):
    from ..databases import load_from_parameters

    parameters = config.get("parameters", {})
    if not parameters.get("data_root") and not parameters.get("datasets"):
        raise MeauError("the run's config.json does not name its database (data_root)")
    return load_from_parameters(parameters)
