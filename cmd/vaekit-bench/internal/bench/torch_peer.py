#!/usr/bin/env python3
"""PyTorch peer of vaekit's benchmark (cmd/vaekit-bench/internal/bench): trains the same VAE on the same
MNIST training images, read from the same IDX .gz files, scores the 10,000 test images
after training (the held-out negative ELBO; for notebook 05's models the binarised test
images the Go driver wrote, --binary-test, and with --nll-images the IWAE estimate of
-log p(x) of each image and the active units), and prints one line "RESULT {json}" with
the fields of bench.Result.

Run by cmd/vaekit-bench (it is embedded in the Go binary); by hand:

  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OMP_NUM_THREADS=2 \\
    python3 torch_peer.py --model mlp-512-2-b128 --mnist-dir DIR --steps 1000
  ... --model burda-vae --epochs 10 --binary-test RUN/mnist-test-binarized.idx \\
    --nll-images 2000 --nll-k 5000   (the file: written by a vaekit-bench run of a burda model)

Only Debian's python3-torch (1.13) and numpy are needed: no torchvision, no download.
"""
import argparse
import ctypes
import gzip
import hashlib
import json
import math
import os
import sys
import tempfile
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

# The canonical MNIST files and their md5s.
TRAIN_IMAGES = ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873")
TEST_IMAGES = ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3")


def peak_rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024
    return 0.0


def load_mnist(directory, file):
    name, want_md5 = file
    path = os.path.join(directory, name)
    with open(path, "rb") as f:
        raw = f.read()
    md5 = hashlib.md5(raw).hexdigest()
    if md5 != want_md5:
        sys.exit(f"torch_peer: {path} has md5 {md5}, expected {want_md5}")
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
    """The conv VAE of cmd/vaekit-bench/internal/bench/convvae.go (there in NHWC, here in NCHW)."""

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


class PyTorchExamplesVAE(nn.Module):
    """pytorch/examples' vae/main.py, layer for layer (fc1, fc21, fc22, fc3, fc4: created
    in its order, so its initial weights too): 784-400-20, ReLU, a Bernoulli decoder. It
    returns the decoder's logits; main.py's sigmoid is applied in examples_loss."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def forward(self, x):
        h1 = F.relu(self.fc1(x))
        mu, logvar = self.fc21(h1), self.fc22(h1)
        std = torch.exp(0.5 * logvar)
        z = mu + torch.randn_like(std) * std
        return self.fc4(F.relu(self.fc3(z))), mu, logvar


def load_binary_images(path):
    """The binarised test images the Go driver wrote (bench.WriteBinaryImages): an
    uncompressed IDX file of bytes 0 and 1, [N, 28, 28]."""
    with open(path, "rb") as f:
        buf = f.read()
    magic, n, rows, cols = np.frombuffer(buf[:16], dtype=">i4")
    if magic != 2051 or rows != 28 or cols != 28 or len(buf) != 16 + n * rows * cols:
        sys.exit(f"torch_peer: {path}: not a file of binarised 28x28 images")
    images = np.frombuffer(buf, dtype=np.uint8, offset=16).reshape(n, rows * cols)
    if images.max() > 1:
        sys.exit(f"torch_peer: {path}: pixel values above 1")
    return images.astype(np.float32)


class BurdaVAE(nn.Module):
    """Notebook 05's network (bench.BurdaConfig: vaekit's hidden_dims=200,200,
    activation=tanh, latent_dim=50, reconstruction=bernoulli, initializer=keras), Burda,
    Grosse & Salakhutdinov's (2016) one-stochastic-layer MNIST model: encoder 784-200-200
    tanh, two 200x50 heads (mean and log-variance, as vaekit's); decoder 50-200-200 tanh,
    then 784 logits. Glorot-uniform weights (U(-a, a), a = sqrt(6 / (fan_in + fan_out))),
    zero biases: Keras's, which initializer=keras draws."""

    latent = 50

    def __init__(self):
        super().__init__()
        self.enc0 = nn.Linear(784, 200)
        self.enc1 = nn.Linear(200, 200)
        self.mean = nn.Linear(200, self.latent)
        self.log_var = nn.Linear(200, self.latent)
        self.dec0 = nn.Linear(self.latent, 200)
        self.dec1 = nn.Linear(200, 200)
        self.out = nn.Linear(200, 784)
        for layer in self.modules():
            if isinstance(layer, nn.Linear):
                nn.init.xavier_uniform_(layer.weight)
                nn.init.zeros_(layer.bias)

    def encode(self, x):
        h = torch.tanh(self.enc1(torch.tanh(self.enc0(x))))
        return self.mean(h), self.log_var(h)

    def decode(self, z):
        return self.out(torch.tanh(self.dec1(torch.tanh(self.dec0(z)))))

    def forward(self, x, eps=None):
        """eps: the standard-normal draws of z (given by --replay), else drawn here."""
        mean, log_var = self.encode(x)
        if eps is None:
            eps = torch.randn_like(mean)
        z = mean + torch.exp(0.5 * log_var) * eps
        return self.decode(z), mean, log_var

    # The layers under vaekit's variable names (its weights are [in, out], nn.Linear's [out, in]).
    vaekit_layers = {"encoder/hidden_0": "enc0", "encoder/hidden_1": "enc1", "encoder/mean": "mean",
                     "encoder/log_var": "log_var", "decoder/hidden_0": "dec0", "decoder/hidden_1": "dec1",
                     "decoder/logits": "out"}


def replay(directory):
    """Trains notebook 05's VAE (burda_spec(1): BurdaVAE, its loss and its Adam) from the
    weights, binarised batches and standard-normal draws a Go test wrote to directory
    (bench's TestBurdaStepIsPyTorchs), and prints the loss of each step: the same steps,
    taken by both frameworks, must give the same losses."""
    with open(os.path.join(directory, "replay.json")) as f:
        spec = json.load(f)
    read = lambda name, shape: torch.from_numpy(np.fromfile(os.path.join(directory, name), dtype="<f4").reshape(shape))
    net = BurdaVAE()
    with torch.no_grad():
        for name, attr in BurdaVAE.vaekit_layers.items():
            layer = getattr(net, attr)
            layer.weight.copy_(read(name.replace("/", ".") + ".weights", tuple(reversed(layer.weight.shape))).T)
            layer.bias.copy_(read(name.replace("/", ".") + ".biases", tuple(layer.bias.shape)))
    steps, batch = spec["steps"], spec["batch"]
    xs = read("x", (steps, batch, 784))
    eps = read("eps", (steps, batch, BurdaVAE.latent))
    burda = burda_spec(1)
    opt = torch.optim.Adam(net.parameters(), lr=burda.learning_rate(0), betas=(0.9, 0.999), eps=burda.adam_eps)
    losses = []
    for step in range(steps):
        logits, mean, log_var = net(xs[step], eps[step])
        loss = neg_elbo(logits, xs[step], mean, log_var)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    print("REPLAY " + json.dumps({"losses": losses}), flush=True)


def iwae_bound(net, x, eps):
    """The k-sample bound on log p(x) of Burda et al. (2016), eq. 8, per image [batch], for
    standard-normal draws eps [batch, k, latent], as vaekit's importanceWeighted computes it:
    log 1/k sum_i p(x|z_i) p(z_i) / q(z_i|x), z_i = mean + sigma * eps_i, the (2 pi)
    constants cancelled."""
    batch, k, latent = eps.shape
    mean, log_var = net.encode(x)
    z = mean.unsqueeze(1) + torch.exp(0.5 * log_var).unsqueeze(1) * eps
    logits = net.decode(z.reshape(batch * k, latent)).reshape(batch, k, -1)
    # -log p(x|z_i) = sum softplus(l) - x.l: the image is not repeated k times (as in
    # vaekit's samplesNLL), and binary_cross_entropy_with_logits with an expanded target is
    # 10-20x slower (0.25-0.6 s against 0.03 s for k = 5000).
    nll = F.softplus(logits).sum(-1) - torch.einsum("bkp,bp->bk", logits, x)
    log_pz = -0.5 * z.pow(2).sum(-1)
    log_qz = -0.5 * (eps.pow(2) + log_var.unsqueeze(1)).sum(-1)
    return torch.logsumexp(-nll + log_pz - log_qz, 1) - math.log(k)


def iwae_loss(k):
    """The IWAE's training loss: the batch mean of -(the k-sample bound)."""
    def loss(net, x):
        eps = torch.randn(x.shape[0], k, net.latent)
        return -iwae_bound(net, x, eps).mean()
    return loss


def burda_learning_rate(epoch, lr=1e-3):
    """Burda et al.'s (2016) schedule, as vaekit's Config.LearningRateAt: 3^i epochs at
    lr * 10^(-i/7), i = 0..7, the last rate after them; epoch counts from 0."""
    stage, end = 0, 1  # Stage i ends after epoch (3^(i+1) - 1)/2.
    while stage < 7 and epoch >= end:
        stage += 1
        end = 3 * end + 1
    return lr * 10 ** (-stage / 7)


def neg_elbo(logits, x, mean, log_var):
    """Batch mean of -log p(x|z) (Bernoulli, summed over pixels) + KL, as vaekit."""
    nll = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
    kl = -0.5 * (1 + log_var - mean.pow(2) - log_var.exp()).sum(1)
    return (nll + kl).mean()


def examples_loss(logits, x, mu, logvar):
    """pytorch/examples' loss_function: BCE of the sigmoid's output plus KL, both summed
    over the batch (not averaged)."""
    bce = F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def forward_loss(loss):
    """The training loss of a network whose forward gives (logits, mean, log_var)."""
    def step_loss(net, x):
        logits, mean, log_var = net(x)
        return loss(logits, x, mean, log_var)
    return step_loss


class Spec:
    """A benchmarked model: its network, batch size, loss (of a network and a batch),
    whether an epoch ends with the last, smaller batch (torch's DataLoader,
    drop_last=False) or drops it (vaekit), Adam's epsilon, the learning rate of each epoch,
    and whether each batch is binarised afresh (dynamic binarisation)."""

    def __init__(self, build, batch, loss=neg_elbo, partial_batches=False, step_loss=None,
                 adam_eps=1e-8, learning_rate=lambda epoch: 1e-3, binarize=False):
        self.build, self.batch, self.partial_batches = build, batch, partial_batches
        self.step_loss = step_loss or forward_loss(loss)
        self.adam_eps, self.learning_rate, self.binarize = adam_eps, learning_rate, binarize


def burda_spec(k):
    """Notebook 05's model with objective k (1: the VAE's ELBO, its KL in closed form, as
    vaekit trains k = 1; more: the IWAE bound): Adam (0.9, 0.999, epsilon 1e-4), batches
    of 20, Burda et al.'s learning-rate schedule, each batch binarised afresh."""
    loss = forward_loss(neg_elbo) if k == 1 else iwae_loss(k)
    return Spec(BurdaVAE, 20, step_loss=loss, adam_eps=1e-4, learning_rate=burda_learning_rate, binarize=True)


MODELS = {
    "mlp-512-2-b64": Spec(lambda: MLPVAE(512, 2), 64),
    "mlp-512-2-b128": Spec(lambda: MLPVAE(512, 2), 128),
    "mlp-400-20-b128": Spec(lambda: MLPVAE(400, 20), 128),
    "conv-b64": Spec(lambda: ConvBenchVAE(8), 64),
    "tutorial-conv-b64": Spec(lambda: TutorialConvVAE(8), 64),
    # pytorch/examples' vae/main.py: Adam 1e-3, batch 128 shuffled, 10 epochs (--epochs).
    "pytorch-examples": Spec(PyTorchExamplesVAE, 128, loss=examples_loss, partial_batches=True),
    # Notebook 05's VAE and IWAE (bench.BurdaConfig): speed (-b20) and likelihood parity.
    "burda-b20": burda_spec(1),
    "burda-iwae50-b20": burda_spec(50),
    "burda-vae": burda_spec(1),
    "burda-iwae5": burda_spec(5),
}


def held_out_terms(net, images, batch):
    """The held-out terms, per image in nats, as vaekit's Model.Evaluate computes them:
    one z per image, -log p(x|z) from the logits (Bernoulli, summed over pixels), the
    analytic KL."""
    net.eval()
    recon = kl = 0.0
    with torch.no_grad():
        for i in range(0, images.shape[0], batch):
            x = images[i:i + batch]
            logits, mean, log_var = net(x)
            recon += F.binary_cross_entropy_with_logits(logits, x, reduction="sum").double().item()
            kl += (-0.5 * (1 + log_var - mean.pow(2) - log_var.exp()).sum()).double().item()
    net.train()
    n = images.shape[0]
    return {"neg_elbo": (recon + kl) / n, "reconstruction": recon / n, "kl": kl / n, "images": n}


def likelihood(net, images, nll_images, k, seed):
    """The IWAE estimate of -log p(x), k samples, of each of the first nll_images images
    (their k draws from a generator seeded with the round's seed), their mean and its
    standard error; and the active units over all the images: Burda et al.'s rule,
    Var over x of E_q[z_u|x] > 0.01 (the population variance, as vaekit's UnitActivity)."""
    start = time.perf_counter()
    net.eval()
    gen = torch.Generator().manual_seed(seed)
    x = images[:nll_images]
    per = max(1, 4096 // k)  # Images per batch: as vaekit's, at most 4,096 decoded rows.
    image_nll = []
    with torch.no_grad():
        for i in range(0, x.shape[0], per):
            chunk = x[i:i + per]
            eps = torch.randn(chunk.shape[0], k, net.latent, generator=gen)
            image_nll.extend((-iwae_bound(net, chunk, eps)).double().tolist())
        means = torch.cat([net.encode(images[i:i + 1000])[0] for i in range(0, images.shape[0], 1000)])
        activity = means.double().var(0, unbiased=False)
    net.train()
    n = len(image_nll)
    nll = sum(image_nll) / n
    std_err = math.sqrt(sum((v - nll) ** 2 for v in image_nll) / (n - 1) / n) if n > 1 else 0.0
    return {"k": k, "images": n, "nll": nll, "std_err": std_err, "image_nll": image_nll,
            "active_units": int((activity > 0.01).sum()), "unit_images": int(means.shape[0]),
            "seconds": time.perf_counter() - start}


def kernels():
    """Which compute kernels this process runs: ATen's CPU capability (its own vectorised
    ops), OpenBLAS's core (matmuls: nn.Linear) and oneDNN's ISA with the implementation
    of a small convolution (nn.Conv2d)."""
    show = torch.__config__.show()
    aten = next((line.split(":", 1)[1].strip() for line in show.splitlines() if "CPU capability usage" in line), "?")
    parts = [f"ATen {aten}", openblas_core()]
    try:
        parts.append(onednn_kernels())
    except Exception as e:  # Diagnostics only: never fail the run for them.
        parts.append(f"oneDNN: {e}")
    return "; ".join(parts)


def openblas_core():
    """OpenBLAS's openblas_get_corename, from the OpenBLAS this process has loaded."""
    with open("/proc/self/maps") as f:
        paths = sorted({line.split()[-1] for line in f if "openblas" in line and ".so" in line})
    for path in paths:
        try:
            lib = ctypes.CDLL(path)  # Already loaded: the same library, not a second copy.
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return f"OpenBLAS core {lib.openblas_get_corename().decode()} ({os.path.basename(path)})"
        except (OSError, AttributeError):
            continue
    return "BLAS: not OpenBLAS (libblas.so.3 is another BLAS; install libopenblas0-openmp)"


def onednn_kernels():
    """oneDNN's ISA and the kernels of a small convolution, read from its verbose output
    (written by C code to file descriptor 1, so captured there)."""
    sys.stdout.flush()
    with tempfile.TemporaryFile(mode="w+") as capture:
        saved = os.dup(1)
        os.dup2(capture.fileno(), 1)
        try:
            with torch.backends.mkldnn.verbose(torch.backends.mkldnn.VERBOSE_ON):
                conv = nn.Conv2d(1, 8, 3, stride=2, padding=1)
                conv(torch.rand(2, 1, 28, 28)).sum().backward()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        capture.seek(0)
        lines = capture.read().splitlines()
    isa = next((line.split("isa:", 1)[1] for line in lines if "isa:" in line), "?")
    impls = sorted({line.split(",")[4] for line in lines
                    if line.startswith("onednn_verbose,exec,cpu,convolution") and len(line.split(",")) > 4})
    return f"oneDNN {isa} (convolution: {', '.join(impls) or '?'})"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", choices=sorted(MODELS))
    p.add_argument("--replay", default="", help="train notebook 05's VAE on the weights, batches and draws in this directory (a Go test's) and print its losses")
    p.add_argument("--mnist-dir", default="")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--epochs", type=int, default=0, help="train this many epochs (overrides --steps)")
    p.add_argument("--window", type=int, default=50)
    p.add_argument("--warmup", type=int, default=0)
    p.add_argument("--batch", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--held-out", type=int, default=0, help="test images scored after training (0: all; -1: none)")
    p.add_argument("--binary-test", default="", help="score these binarised test images (bench.WriteBinaryImages) instead of MNIST's")
    p.add_argument("--nll-images", type=int, default=0, help="IWAE estimate of -log p(x) of this many test images (0: none)")
    p.add_argument("--nll-k", type=int, default=5000, help="importance samples per image of that estimate")
    args = p.parse_args()
    if args.replay:
        torch.set_num_threads(1)
        replay(args.replay)
        return
    if not args.model or not args.mnist_dir:
        p.error("--model and --mnist-dir are required")

    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)  # Denormals otherwise slow long runs 2-3x.
    torch.manual_seed(args.seed)
    spec = MODELS[args.model]
    batch = args.batch or spec.batch

    images = load_mnist(args.mnist_dir, TRAIN_IMAGES)
    all_test = None
    if args.held_out >= 0 or args.nll_images > 0:
        all_test = torch.from_numpy(load_binary_images(args.binary_test) if args.binary_test
                                    else load_mnist(args.mnist_dir, TEST_IMAGES))
    test_images = None
    if args.held_out >= 0:
        test_images = all_test[:args.held_out] if args.held_out > 0 else all_test
    used_kernels = kernels()
    net = spec.build()
    params = sum(p.numel() for p in net.parameters())
    opt = torch.optim.Adam(net.parameters(), lr=spec.learning_rate(0), betas=(0.9, 0.999), eps=spec.adam_eps)
    data = torch.from_numpy(images)
    n = data.shape[0]
    batches_per_epoch = -(-n // batch) if spec.partial_batches else n // batch
    steps = args.epochs * batches_per_epoch if args.epochs > 0 else args.steps
    window = min(args.window, steps)
    warmup = args.warmup or window
    start = time.perf_counter()
    stamps = []
    step, seen, loss_value = 0, 0, float("nan")
    while step < steps:
        perm = torch.randperm(n)
        lr = spec.learning_rate(step // batches_per_epoch)  # The epoch's rate (vaekit sets it between steps).
        for group in opt.param_groups:
            group["lr"] = lr
        for i in range(batches_per_epoch):
            if step >= steps:
                break
            x = data[perm[i * batch:(i + 1) * batch]]
            if spec.binarize:
                x = torch.bernoulli(x)  # A fresh draw of every pixel at every step.
            loss = spec.step_loss(net, x)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_value = loss.item()  # vaekit's loop reads the loss every step too.
            step += 1
            seen += x.shape[0]
            if step == 1 or step % window == 0 or step == steps:
                stamps.append((step, seen, time.perf_counter() - start, time.process_time()))

    r = {"model": args.model, "framework": "pytorch", "batch": batch, "steps": step,
         "warmup": warmup, "window": window, "final_loss": loss_value, "params": params,
         "peak_rss_mb": peak_rss_mb(), "torch_version": torch.__version__,
         "threads": torch.get_num_threads(), "seed": args.seed, "kernels": used_kernels}
    epoch_images = n if spec.partial_batches else batches_per_epoch * batch
    r.update(summarize(stamps, warmup, batches_per_epoch, epoch_images))
    if test_images is not None:
        r["held_out"] = held_out_terms(net, test_images, batch)
    if args.nll_images > 0:
        r["likelihood"] = likelihood(net, all_test, args.nll_images, args.nll_k, args.seed)
    print("RESULT " + json.dumps(r), flush=True)


def summarize(stamps, warmup, steps_per_epoch, epoch_images):
    """The timing fields, computed as bench.Result.summarize does (which counts
    steps x batch images: the same, as vaekit's batches are all full)."""
    out = {"first_step_s": next((s for k, _, s, _ in stamps if k == 1), 0.0)}
    last_step, last_seen, last_s, last_cpu = stamps[-1]
    warm = next((i for i, (k, _, _, _) in enumerate(stamps) if k >= warmup), 0)
    if warm == len(stamps) - 1:
        warm = 0
    w_step, w_seen, w_s, w_cpu = stamps[warm]
    out["images_per_s"] = (last_seen - w_seen) / (last_s - w_s) if last_s > w_s else 0.0
    if last_step > w_step:
        out["cpu_per_image_ms"] = 1000 * (last_cpu - w_cpu) / (last_seen - w_seen)
    out["window_rates"] = [(b[1] - a[1]) / (b[2] - a[2])
                           for a, b in zip(stamps[warm:], stamps[warm + 1:]) if b[2] > a[2]]
    i = next((i for i, (k, _, _, _) in enumerate(stamps) if k >= steps_per_epoch), -1)
    if i > 0:
        (a_step, _, a_s, _), (b_step, _, b_s, _) = stamps[i - 1], stamps[i]
        out["epoch_s"] = a_s + (b_s - a_s) * (steps_per_epoch - a_step) / (b_step - a_step)
        out["epoch_measured"] = True
    else:
        rate = out["images_per_s"]
        out["epoch_s"] = last_s + (epoch_images - last_seen) / rate if rate else 0.0
        out["epoch_measured"] = False
    return out


if __name__ == "__main__":
    main()
