#!/usr/bin/env python3
"""PyTorch peer of vaekit's benchmark (internal/bench): trains the same VAE on the same
MNIST training images, read from the same IDX .gz files, and prints one line
"RESULT {json}" with the fields of bench.Result.

Run by cmd/vaekit-bench (it is embedded in the Go binary); by hand:

  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OMP_NUM_THREADS=2 \\
    python3 torch_peer.py --model mlp-512-2-b128 --mnist-dir DIR --steps 1000

Only Debian's python3-torch (1.13) and numpy are needed: no torchvision, no download.
"""
import argparse
import gzip
import hashlib
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_IMAGES_MD5 = "f68b3c2dcbeaaa9fbdd348bbdeb94873"  # The canonical MNIST file.


def peak_rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024
    return 0.0


def load_mnist(directory):
    path = os.path.join(directory, TRAIN_IMAGES)
    with open(path, "rb") as f:
        raw = f.read()
    md5 = hashlib.md5(raw).hexdigest()
    if md5 != TRAIN_IMAGES_MD5:
        sys.exit(f"torch_peer: {path} has md5 {md5}, expected {TRAIN_IMAGES_MD5}")
    buf = gzip.decompress(raw)
    magic, n, rows, cols = np.frombuffer(buf[:16], dtype=">i4")
    if magic != 2051 or rows != 28 or cols != 28:
        sys.exit(f"torch_peer: {path}: not a 28x28 IDX image file")
    images = np.frombuffer(buf, dtype=np.uint8, offset=16).reshape(n, rows * cols)
    return images.astype(np.float32) / np.float32(255)  # Same values as vaekit's data.Set.


class MLPVAE(nn.Module):
    """vaekit's architecture=mlp: 784-hidden-latent, ReLU, log-variance head."""

    def __init__(self, hidden, latent):
        super().__init__()
        self.enc = nn.Linear(784, hidden)
        self.mean = nn.Linear(hidden, latent)
        self.log_var = nn.Linear(hidden, latent)
        self.dec = nn.Linear(latent, hidden)
        self.out = nn.Linear(hidden, 784)

    def forward(self, x):
        h = F.relu(self.enc(x))
        mean, log_var = self.mean(h), self.log_var(h)
        z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        return self.out(F.relu(self.dec(z))), mean, log_var


class ConvBenchVAE(nn.Module):
    """The conv VAE of internal/bench/convvae.go (there in NHWC, here in NCHW)."""

    def __init__(self, latent):
        super().__init__()
        self.conv0 = nn.Conv2d(1, 32, 3, stride=2, padding=1)
        self.conv1 = nn.Conv2d(32, 64, 3, stride=2, padding=1)
        self.enc_dense = nn.Linear(7 * 7 * 64, 16)
        self.mean = nn.Linear(16, latent)
        self.log_var = nn.Linear(16, latent)
        self.dec0 = nn.Linear(latent, 16)
        self.dec1 = nn.Linear(16, 7 * 7 * 64)
        self.dconv0 = nn.Conv2d(64, 64, 3, padding=1)
        self.dconv1 = nn.Conv2d(64, 32, 3, padding=1)
        self.dconv2 = nn.Conv2d(32, 1, 3, padding=1)

    def forward(self, x):
        b = x.shape[0]
        h = x.view(b, 1, 28, 28)
        h = F.relu(self.conv1(F.relu(self.conv0(h))))
        h = F.relu(self.enc_dense(h.reshape(b, -1)))
        mean, log_var = self.mean(h), self.log_var(h)
        z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        h = F.relu(self.dec1(F.relu(self.dec0(z)))).view(b, 64, 7, 7)
        h = F.relu(self.dconv0(F.interpolate(h, scale_factor=2, mode="nearest")))
        h = F.relu(self.dconv1(F.interpolate(h, scale_factor=2, mode="nearest")))
        return self.dconv2(h).reshape(b, 784), mean, log_var


class TutorialConvVAE(nn.Module):
    """vaekit's architecture=conv with its defaults (the TensorFlow tutorial's network):
    encoder convs 4x4, 64 filters, strides 2, 2, 1, 'same' padding; decoder dense 24 and
    49, a 7x7x1 map, transposed convs 4x4 64 with strides 2, 1, 1 ('same'), then a dense
    layer from 14*14*64 to 784 logits. ReLU throughout (vaekit's default activation)."""

    def __init__(self, latent, filters=64):
        super().__init__()
        self.c0 = nn.Conv2d(1, filters, 4, stride=2, padding=1)  # 28 -> 14
        self.c1 = nn.Conv2d(filters, filters, 4, stride=2, padding=1)  # 14 -> 7
        self.c2 = nn.Conv2d(filters, filters, 4, stride=1)  # 7 -> 7 after padding (1, 2)
        self.mean = nn.Linear(7 * 7 * filters, latent)
        self.log_var = nn.Linear(7 * 7 * filters, latent)
        self.d0 = nn.Linear(latent, 24)
        self.d1 = nn.Linear(24, 49)
        self.t0 = nn.ConvTranspose2d(1, filters, 4, stride=2, padding=1)  # 7 -> 14
        self.t1 = nn.ConvTranspose2d(filters, filters, 4, stride=1, padding=1)  # 14 -> 15, cropped
        self.t2 = nn.ConvTranspose2d(filters, filters, 4, stride=1, padding=1)
        self.out = nn.Linear(14 * 14 * filters, 784)

    def forward(self, x):
        b = x.shape[0]
        h = x.view(b, 1, 28, 28)
        h = F.relu(self.c0(h))
        h = F.relu(self.c1(h))
        h = F.relu(self.c2(F.pad(h, (1, 2, 1, 2))))
        h = h.reshape(b, -1)
        mean, log_var = self.mean(h), self.log_var(h)
        z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        h = F.relu(self.d1(F.relu(self.d0(z)))).view(b, 1, 7, 7)
        h = F.relu(self.t0(h))
        h = F.relu(self.t1(h)[:, :, 1:, 1:])
        h = F.relu(self.t2(h)[:, :, 1:, 1:])
        return self.out(h.reshape(b, -1)), mean, log_var


MODELS = {
    "mlp-512-2-b64": (lambda: MLPVAE(512, 2), 64),
    "mlp-512-2-b128": (lambda: MLPVAE(512, 2), 128),
    "mlp-400-20-b128": (lambda: MLPVAE(400, 20), 128),
    "conv-b64": (lambda: ConvBenchVAE(8), 64),
    "tutorial-conv-b64": (lambda: TutorialConvVAE(8), 64),
}


def neg_elbo(logits, x, mean, log_var):
    """Batch mean of -log p(x|z) (Bernoulli, summed over pixels) + KL, as vaekit."""
    nll = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
    kl = -0.5 * (1 + log_var - mean.pow(2) - log_var.exp()).sum(1)
    return (nll + kl).mean()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True, choices=sorted(MODELS))
    p.add_argument("--mnist-dir", required=True)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--window", type=int, default=50)
    p.add_argument("--warmup", type=int, default=0)
    p.add_argument("--batch", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)  # Denormals otherwise slow long runs 2-3x.
    torch.manual_seed(1)
    build, batch = MODELS[args.model]
    batch = args.batch or batch
    window = min(args.window, args.steps)
    warmup = args.warmup or window

    images = load_mnist(args.mnist_dir)
    net = build()
    params = sum(p.numel() for p in net.parameters())
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    start = time.perf_counter()
    data = torch.from_numpy(images)
    n = data.shape[0]
    steps_per_epoch = n // batch
    stamps = []
    step, loss_value = 0, float("nan")
    while step < args.steps:
        perm = torch.randperm(n)
        for i in range(steps_per_epoch):
            if step >= args.steps:
                break
            x = data[perm[i * batch:(i + 1) * batch]]
            logits, mean, log_var = net(x)
            loss = neg_elbo(logits, x, mean, log_var)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_value = loss.item()  # vaekit's loop reads the loss every step too.
            step += 1
            if step == 1 or step % window == 0 or step == args.steps:
                stamps.append((step, time.perf_counter() - start, time.process_time()))

    r = {"model": args.model, "framework": "pytorch", "batch": batch, "steps": step,
         "warmup": warmup, "window": window, "final_loss": loss_value, "params": params,
         "peak_rss_mb": peak_rss_mb(), "torch_version": torch.__version__,
         "threads": torch.get_num_threads()}
    r.update(summarize(stamps, batch, warmup, n // batch))
    print("RESULT " + json.dumps(r), flush=True)


def summarize(stamps, batch, warmup, steps_per_epoch):
    """The timing fields, computed as bench.Result.summarize does."""
    out = {"first_step_s": next((s for k, s, _ in stamps if k == 1), 0.0)}
    last_step, last_s, last_cpu = stamps[-1]
    warm = next((i for i, (k, _, _) in enumerate(stamps) if k >= warmup), 0)
    if warm == len(stamps) - 1:
        warm = 0
    w_step, w_s, w_cpu = stamps[warm]
    out["images_per_s"] = (last_step - w_step) * batch / (last_s - w_s) if last_s > w_s else 0.0
    if last_step > w_step:
        out["cpu_per_image_ms"] = 1000 * (last_cpu - w_cpu) / ((last_step - w_step) * batch)
    out["window_rates"] = [(b[0] - a[0]) * batch / (b[1] - a[1])
                           for a, b in zip(stamps[warm:], stamps[warm + 1:]) if b[1] > a[1]]
    i = next((i for i, (k, _, _) in enumerate(stamps) if k >= steps_per_epoch), -1)
    if i > 0:
        (a_step, a_s, _), (b_step, b_s, _) = stamps[i - 1], stamps[i]
        out["epoch_s"] = a_s + (b_s - a_s) * (steps_per_epoch - a_step) / (b_step - a_step)
        out["epoch_measured"] = True
    else:
        rate = out["images_per_s"]
        out["epoch_s"] = last_s + (steps_per_epoch - last_step) * batch / rate if rate else 0.0
        out["epoch_measured"] = False
    return out


if __name__ == "__main__":
    main()
