"""Spotting on synthetic long recordings: F1 (micro, macro, overall), STRS and speed of the spotters
(``meau spot flow``, ``mdmd``, ``diff``, ``softnet``), side by side.

    python benchmarks/spotting.py [--subjects 6] [--videos 2] [--seconds 30] [--n-jobs 2] [--workdir DIR]
                                  [--spotters flow,mdmd,mdmd-median,diff,diff-eyes,softnet,mean,flow-emotions]

Two databases in each preset: SAMM Long Videos' format (200 fps) and CAS(ME)^2's (30 fps), ``classic``
(expressions at 6 px, still faces but for blinks and a slow drift) and ``subtle`` (1.4-2.7 px micro,
twice that macro, more drift, noise and JPEG). Building them is not timed; spotting is timed cold (no
trace cache) with leave-one-subject-out, every setting chosen on the training subjects. Frames per
second count every frame of every recording; "x real time" divides the recordings' duration by the
time taken. ``mdmd-median`` is ``meau spot mdmd --head-motion median`` (each flow's median vector, the
head's translation, subtracted first; not the organisers' method), ``diff-eyes`` is ``meau spot diff
--mask-eyes`` (the eyes' pixels left out of the histograms; not the paper's). ``softnet`` is the learned
spotter, ``mean`` the same with ``--recognize`` (MEAN's emotion head), ``flow-emotions`` is ``meau spot flow
--emotions-from RUN`` with an emotion run (flow + SVM, ``megc`` classes) trained on a synthetic database of
clips (CASME II's format, the same generator's faces); STRS (megc classes, as the STR code) where emotions
are given. "train s/fold" is a learned spotter's training time per fold (both types), from its fold records.
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

VARIANTS = {"mdmd-median": ["mdmd", "--head-motion", "median"], "diff-eyes": ["diff", "--mask-eyes"],
            "mean": ["softnet", "--recognize"], "flow-emotions": ["flow"]}


def emotion_run(workdir: Path) -> Path:
    """A finished emotion run (flow + SVM, megc classes) on a synthetic database of clips, built once."""
    from click.testing import CliRunner

    from meau.cli import cli

    run = workdir / "emotion-run"
    if not (run / "model.json").exists():
        for arguments in (["synth", str(workdir / "clips"), "--subjects", "8", "--samples", "96", "--intensity", "8"],
                          ["baseline", "flow", str(workdir / "clips"), "--target", "emotion", "--overwrite",
                           "-o", str(run)]):
            result = CliRunner().invoke(cli, arguments, obj={})
            assert result.exit_code == 0, result.output
    return run


def inference(run: Path, root: Path, name: str, fps: float, workdir: Path) -> None:
    """A learned spotter's networks for new recordings on one of the database's recordings (its frames as they
    are, landmarks from dlib as for any new recording): features and networks, crop excluded, no cache."""
    from click.testing import CliRunner

    from meau.cli import cli
    from meau.databases.recordings import load_recordings
    from meau.databases.selection import DatasetSelection

    recording = load_recordings(DatasetSelection(database=name, root=root)).recordings[0]
    folder = recording.frames[0].parent
    start = time.perf_counter()
    result = CliRunner().invoke(cli, ["spot", "softnet", "--run", str(run), str(folder), "--fps", str(fps),
                                      "--no-figures", "--overwrite", "-o", str(workdir / "inference")], obj={})
    seconds = time.perf_counter() - start
    assert result.exit_code == 0, result.output
    frames = len(recording.frames)
    print(f"  inference on {folder.name}: {frames} frames in {seconds:.1f} s, {frames / fps / seconds:.1f}x real time",
          flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=6)
    parser.add_argument("--videos", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--databases", default="sammlv,casmesq")
    parser.add_argument("--presets", default="classic,subtle")
    parser.add_argument("--spotters", default="flow,mdmd,mdmd-median,diff,diff-eyes,softnet,mean,flow-emotions")
    args = parser.parse_args()

    from click.testing import CliRunner

    from meau.cli import cli
    from meau.databases import get
    from meau.databases.synth import PRESETS, generate_long

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="meau-spotting-"))
    print(f"{'database':<10}{'preset':<9}{'spotter':<15}{'frames':>8}{'seconds':>9}{'frames/s':>10}{'x real time':>13}"
          f"{'F1 micro':>10}{'F1 macro':>10}{'F1 overall':>12}{'STRS':>8}{'train s/fold':>14}")
    for name in args.databases.split(","):
        fps = get(name).synth.frame_rate
        for preset in args.presets.split(","):
            root = workdir / f"{name}-{preset}"
            if not (root / "synth.json").exists():
                generate_long(root, like=name, subjects=args.subjects, videos=args.videos, seconds=args.seconds,
                              intensity=6.0, seed=0, n_jobs=2, nuisance=PRESETS[preset])
            for spotter in args.spotters.split(","):
                run = workdir / f"run-{name}-{preset}-{spotter}"
                start = time.perf_counter()
                extra = ["--emotions-from", str(emotion_run(workdir))] if spotter == "flow-emotions" else []
                if name == "sammlv" and spotter in ("mean", "flow-emotions"):
                    extra += ["--emotions-sheet", str(root / "SAMM_Micro_FACS_Codes_v2.xlsx")]
                start = time.perf_counter()
                result = CliRunner().invoke(cli, ["spot", *VARIANTS.get(spotter, [spotter]), str(root), "--database", name, "--n-jobs",
                                                  str(args.n_jobs), "--no-cache", "--no-figures", "--overwrite",
                                                  *extra, "-o", str(run)], obj={})
                seconds = time.perf_counter() - start
                assert result.exit_code == 0, result.output
                metrics = json.loads((run / "metrics.json").read_text())
                frames = args.subjects * args.videos * round(args.seconds * fps)
                strs = f"{metrics['strs']:.4f}" if "strs" in metrics else "-"
                folds = [json.loads(path.read_text())["settings"] for path in sorted((run / "folds").glob("fold_*.json"))]
                training = [sum(kind.get("training_s", 0) for kind in fold.values()) for fold in folds]
                per_fold = f"{sum(training) / len(training):.1f}" if any(training) else "-"
                print(f"{name:<10}{preset:<9}{spotter:<15}{frames:>8}{seconds:>9.1f}{frames / seconds:>10.0f}"
                      f"{frames / fps / seconds:>13.1f}{metrics['micro']['f1']:>10.4f}{metrics['macro']['f1']:>10.4f}"
                      f"{metrics['overall']['f1']:>12.4f}{strs:>8}{per_fold:>14}", flush=True)
                if spotter in ("softnet", "mean"):
                    inference(run, root, name, fps, workdir)


if __name__ == "__main__":
    main()
