#!/usr/bin/python3
"""White-box attacks for bench/guard, generated offline with the trainer's framework (Debian's python3-torch).

    /usr/bin/python3 bench/guard/attacks.py --models packages/guard/models --out DIR [--count 500 --seed 7]

Takes `count` Fashion-MNIST *test* images (a seeded permutation of the 10,000; with `--split holdout`, of the
trainer's 10,000 held-out training images instead, for design work that must not see test data) and writes, as raw little-endian
float32 [count, 784] files in [0, 1]:
  clean.f32                      the originals (labels in labels.u8, test indices in meta.json)
  fgsm-0.1.f32 ... pgd-0.3.f32   FGSM (Goodfellow et al. 2015) and PGD (Madry et al. 2018; 20 steps, step 2.5ε/20,
                                 random start), L∞ ε = 0.1, 0.2, 0.3, white-box on the CNN; the benchmark measures
                                 them on the CNN and transferred to the MLP
  adaptive-0.3.f32               PGD that also knows the guard's squeezers (2- and 4-bit depth), the second
                                 model, the energy score, the logit Mahalanobis stage of the guard file in --models
                                 and the dark-noise statistic (it leaves the dark background untouched): it
                                 maximises the CNN's loss while keeping the squeezed predictions equal to the
                                 unsqueezed one (BPDA through the rounding, Athalye et al. 2018), the MLP agreeing
                                 and the logits near a class mean, after He et al. 2017 and Tramèr 2022
"""

import argparse
import hashlib
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "packages", "guard", "scripts"))
from train import Cnn, Mlp, read_idx  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist"


def fgsm(model, x, y, eps):
    x = x.clone().requires_grad_(True)
    F.cross_entropy(model(x), y).backward()
    return (x + eps * x.grad.sign()).clamp(0, 1).detach()


def pgd(model, x, y, eps, steps, gen, loss_fn=None, mask=None):
    alpha = 2.5 * eps / steps
    m = torch.ones_like(x) if mask is None else mask
    adv = (x + m * (torch.rand(x.shape, generator=gen) * 2 - 1) * eps).clamp(0, 1)
    for _ in range(steps):
        adv.requires_grad_(True)
        loss = loss_fn(adv) if loss_fn else F.cross_entropy(model(adv), y)
        (grad,) = torch.autograd.grad(loss, adv)
        adv = adv.detach() + m * alpha * grad.sign()
        adv = torch.min(torch.max(adv, x - eps), x + eps).clamp(0, 1)
    return adv.detach()


def not_dark(x):
    """1 where the 3×3 median (edges repeated) is at least 5/255: the guard's dark-noise statistic looks elsewhere."""
    windows = F.pad(x, (1, 1, 1, 1), mode="replicate").unfold(2, 3, 1).unfold(3, 3, 1).reshape(*x.shape, 9)
    return (windows.median(dim=-1).values >= 5 / 255).float()


def bit_depth_bpda(x, bits):
    """Rounding forward, identity backward (BPDA)."""
    levels = 2**bits - 1
    return x + (torch.round(x * levels) / levels - x).detach()


def logit_mahalanobis(models_dir):
    """The guard file's Mahalanobis stage (class means, precision, threshold) as a differentiable score, or None."""
    import yaml

    with open(os.path.join(models_dir, "guard.yaml")) as f:
        stage = yaml.safe_load(f)["stages"].get("mahalanobis")
    if stage is None:
        return None
    means = torch.tensor(stage["means"], dtype=torch.float32)
    precision = torch.tensor(stage["precision"], dtype=torch.float32)

    def score(cnn_logits, mlp_logits):
        feats = torch.cat([cnn_logits, mlp_logits], 1) if stage["withSecond"] else cnn_logits
        diff = feats[:, None, :] - means[None, :, :]
        return torch.einsum("ncd,de,nce->nc", diff, precision, diff).min(1).values / stage["threshold"]

    return score


def adaptive_loss(cnn, mlp, y, lam, maha=None):
    def loss(adv):
        logits = cnn(adv)
        mlp_logits = mlp(adv)
        p = F.softmax(logits, 1)
        sq = sum((p - F.softmax(cnn(s), 1)).abs().sum(1) for s in (bit_depth_bpda(adv, 2), bit_depth_bpda(adv, 4)))
        agree = (p - F.softmax(mlp_logits, 1)).abs().sum(1)
        energy = -torch.logsumexp(logits, 1)
        # Above 0.8 of the Mahalanobis stage's threshold the attack pays for every step further out.
        far = 0 if maha is None else (maha(logits, mlp_logits) - 0.8).clamp(min=0)
        return (
            F.cross_entropy(logits, y, reduction="none") - lam * (sq + agree + far) - 0.1 * energy.clamp(min=-30)
        ).mean()

    return loss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--only-adaptive", action="store_true", help="regenerate only the adaptive set")
    ap.add_argument("--adaptive-steps", type=int, default=None, help="PGD steps of the adaptive attack (default --steps)")
    ap.add_argument("--adaptive-lam", type=float, default=2.0, help="weight of the adaptive attack's guard penalties")
    ap.add_argument(
        "--split",
        choices=("test", "holdout"),
        default="test",
        help="test: the 10,000 test images (what is reported); holdout: the trainer's held-out training images "
        "(split.json), for designing the detector without looking at test data",
    )
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    os.makedirs(args.out, exist_ok=True)
    kind = "t10k" if args.split == "test" else "train"
    images = read_idx(os.path.join(DATA, f"{kind}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(DATA, f"{kind}-labels-idx1-ubyte.gz"))
    pool = np.arange(len(images))
    if args.split == "holdout":
        with open(os.path.join(args.models, "split.json")) as f:
            pool = np.array(json.load(f)["holdout"])
    pick = pool[np.random.default_rng(args.seed).permutation(len(pool))[: args.count]]
    x = torch.from_numpy(images[pick].astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    y = torch.from_numpy(labels[pick].astype(np.int64))
    cnn, mlp = Cnn(), Mlp()
    cnn.load_state_dict(torch.load(os.path.join(args.models, "cnn.pt")))
    mlp.load_state_dict(torch.load(os.path.join(args.models, "mlp.pt")))
    cnn.eval(), mlp.eval()
    for p in list(cnn.parameters()) + list(mlp.parameters()):
        p.requires_grad_(False)
    gen = torch.Generator().manual_seed(args.seed)

    def save(name, t):
        t.reshape(len(t), -1).numpy().astype("<f4").tofile(os.path.join(args.out, f"{name}.f32"))
        with torch.no_grad():
            err = float((cnn(t).argmax(1) != y).float().mean())
        print(f"  {name}: CNN error {err:.3f}", file=sys.stderr)

    save("clean", x)
    labels[pick].astype(np.uint8).tofile(os.path.join(args.out, "labels.u8"))
    for eps in () if args.only_adaptive else (0.1, 0.2, 0.3):
        save(f"fgsm-{eps}", torch.cat([fgsm(cnn, x[i : i + 250], y[i : i + 250], eps) for i in range(0, len(x), 250)]))
        save(f"pgd-{eps}", torch.cat([pgd(cnn, x[i : i + 250], y[i : i + 250], eps, args.steps, gen) for i in range(0, len(x), 250)]))
    maha = logit_mahalanobis(args.models)
    for eps in (0.3,):
        adv = [
            pgd(
                cnn, x[i : i + 250], y[i : i + 250], eps, args.adaptive_steps or args.steps, gen,
                adaptive_loss(cnn, mlp, y[i : i + 250], args.adaptive_lam, maha), not_dark(x[i : i + 250]),
            )  # fmt: skip
            for i in range(0, len(x), 250)
        ]
        save(f"adaptive-{eps}", torch.cat(adv))
    with open(os.path.join(args.out, "meta.json"), "w") as f:
        json.dump(
            {
                "count": args.count,
                "seed": args.seed,
                "steps": args.steps,
                "adaptiveSteps": args.adaptive_steps or args.steps,
                "adaptiveLam": args.adaptive_lam,
                "split": args.split,
                # The adaptive set is made against this guard file; bench/guard regenerates when it changes.
                "guardSha256": hashlib.sha256(open(os.path.join(args.models, "guard.yaml"), "rb").read()).hexdigest(),
                ("testIndices" if args.split == "test" else "trainIndices"): pick.tolist(),
            },
            f,
        )


if __name__ == "__main__":
    main()
