"""Seconds per training step and peak memory of Res3D-18/50/101 + SCA; parameters and forward GFLOPs per clip.

    python benchmarks/train_step.py --device cuda --batch-size 64            # the paper's setting
    python benchmarks/train_step.py --device cpu --batch-size 4 --steps 3    # a quick CPU look

fp32 and bf16 autocast (covariances stay float32), SGD step included, input 10 x 112 x 112.
Achieved TFLOP/s counts a training step as 3 x the forward FLOPs (forward + backward); its share
is of the GPU's dense bf16 peak (``--peak-tflops``, known for a few GPUs).
"""

import argparse
import resource
import time

# dense bf16 tensor-core peaks (TFLOP/s), by a substring of torch.cuda.get_device_name()
BF16_PEAK_TFLOPS = {"H200": 989.4, "H100 PCIe": 756.0, "H100": 989.4, "A100": 312.0, "L40S": 362.0, "A10": 125.0}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbones", default="res3d18,res3d50,res3d101")
    parser.add_argument("--fusion", default="learn")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--precisions", default="fp32,bf16")
    parser.add_argument("--widen-factor", type=float, default=1.0)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--peak-tflops", type=float, help="The device's dense bf16 peak (default: known GPUs).")
    args = parser.parse_args()

    import torch
    from torch.nn import functional as F
    from torch.utils.flop_counter import FlopCounterMode

    from meau.deep.model import build_model, count_parameters
    from meau.deep.train import resolve_device

    device = resolve_device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    rows = []
    for backbone in args.backbones.split(","):
        model = build_model(backbone, 8, fusion=args.fusion, widen_factor=args.widen_factor)
        parameters = count_parameters(model)
        with FlopCounterMode(display=False) as counter:
            model.eval()(torch.randn(1, 3, 10, 112, 112))
        gflops = counter.get_total_flops() / 1e9
        model = model.to(device).train()
        if device.type == "cuda":
            model = model.to(memory_format=torch.channels_last_3d)
        network = torch.compile(model) if args.compile else model
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-3)
        clips = torch.randn(args.batch_size, 3, 10, 112, 112, device=device)
        if device.type == "cuda":
            clips = clips.contiguous(memory_format=torch.channels_last_3d)
        targets = (torch.rand(args.batch_size, 8, device=device) < 0.3).float()
        for precision in args.precisions.split(","):
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)

            def step():
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
                    logits = network(clips)
                loss = F.binary_cross_entropy_with_logits(logits.float(), targets, reduction="none").sum(1).mean()
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()

            for _ in range(args.warmup):
                step()
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            start = time.perf_counter()
            for _ in range(args.steps):
                step()
            if device.type == "cuda":
                torch.cuda.synchronize(device)
                peak = torch.cuda.max_memory_allocated(device) / 2**30
            else:
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # process peak RSS
            rows.append((backbone, precision, (time.perf_counter() - start) / args.steps, peak, parameters / 1e6, gflops))
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    peak_tflops = args.peak_tflops or next((v for k, v in BF16_PEAK_TFLOPS.items() if k in name), None)
    print(f"device: {name}, batch {args.batch_size}, input 10 x 112 x 112, fusion {args.fusion}, "
          f"widen_factor {args.widen_factor}{', compiled' if args.compile else ''}"
          f"{f', bf16 peak {peak_tflops:g} TFLOP/s' if peak_tflops else ''}")
    print(f"{'model':<12}{'precision':>10}{'s / step':>10}{'peak GiB':>10}{'clips/s':>9}{'TFLOP/s':>9}"
          f"{'of peak':>9}{'params M':>10}{'GFLOPs/clip':>13}")
    for backbone, precision, seconds, peak, millions, gflops in rows:
        achieved = 3 * gflops * args.batch_size / seconds / 1e3
        share = f"{100 * achieved / peak_tflops:8.1f}%" if peak_tflops else f"{'-':>9}"
        print(f"{backbone:<12}{precision:>10}{seconds:>10.3f}{peak:>10.2f}{args.batch_size / seconds:>9.1f}"
              f"{achieved:>9.2f}{share}{millions:>10.2f}{gflops:>13.1f}")


if __name__ == "__main__":
    main()
