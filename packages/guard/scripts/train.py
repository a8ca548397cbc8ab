#!/usr/bin/python3
"""Trains the guard's two Fashion-MNIST classifiers (an MLP and a small CNN) and exports them to ONNX.

Run with Debian's python3-torch (apt-get install python3-torch dataset-fashion-mnist), from the repository root:

    /usr/bin/python3 packages/guard/scripts/train.py --out packages/guard/models --seed 1

Data: the standard Fashion-MNIST split (60,000 training, 10,000 test images). The training set is split by a
seeded permutation into 50,000 images to train on and 10,000 held out for calibration (indices written to
models/split.json); the test set is never seen here. Both models take float32 [N, 1, 28, 28] pixels in [0, 1] and
return float32 [N, 10] logits. For each model the script writes MODEL.onnx and MODEL.reference.json: the first
eight held-out images and the logits PyTorch gives for them, so a test can check that the ONNX file computes what
the trainer computed. provenance.json records the command, the seed, the data digests and the accuracies.
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

DATA_DIR = "/usr/share/datasets/fashion-mnist"
FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
HOLDOUT = 10_000


def read_idx(path):
    """Reads an IDX file (big-endian dims after a magic of 0x00 0x00 dtype ndim), gzip or not."""
    raw = open(path, "rb").read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    assert raw[0] == 0 and raw[1] == 0 and raw[2] == 0x08, "unsigned-byte IDX expected"
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    return data.reshape(dims)


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)
        )

    def forward(self, x):
        return self.net(x)


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10),
        )  # fmt: skip

    def forward(self, x):
        return self.net(x)


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        correct = sum(int((model(x[i : i + 1000]).argmax(1) == y[i : i + 1000]).sum()) for i in range(0, len(x), 1000))
    return correct / len(x)


def train(model, x, y, epochs, seed):
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(x), generator=gen)
        total = 0.0
        for i in range(0, len(x), 128):
            idx = order[i : i + 128]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        print(f"  epoch {epoch + 1}/{epochs} loss {total / len(x):.4f}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", default=DATA_DIR)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--epochs-mlp", type=int, default=8)
    ap.add_argument("--epochs-cnn", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)

    digests = {}
    arrays = {}
    for key, name in FILES.items():
        path = os.path.join(args.data, name)
        digests[name] = hashlib.sha256(open(path, "rb").read()).hexdigest()
        arrays[key] = read_idx(path)
    perm = np.random.default_rng(args.seed).permutation(len(arrays["train_images"]))
    holdout, train_idx = perm[:HOLDOUT], perm[HOLDOUT:]
    to_x = lambda a: torch.from_numpy(a.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    x_train = to_x(arrays["train_images"][train_idx])
    y_train = torch.from_numpy(arrays["train_labels"][train_idx].astype(np.int64))
    x_hold = to_x(arrays["train_images"][holdout])
    y_hold = torch.from_numpy(arrays["train_labels"][holdout].astype(np.int64))
    x_test = to_x(arrays["test_images"])
    y_test = torch.from_numpy(arrays["test_labels"].astype(np.int64))
    with open(os.path.join(args.out, "split.json"), "w") as f:
        json.dump({"seed": args.seed, "holdout": sorted(int(i) for i in holdout)}, f)

    results = {}
    for name, cls, epochs in (("mlp", Mlp, args.epochs_mlp), ("cnn", Cnn, args.epochs_cnn)):
        print(f"training {name}", file=sys.stderr)
        torch.manual_seed(args.seed)
        model = cls()
        t0 = time.time()
        train(model, x_train, y_train, epochs, args.seed)
        seconds = time.time() - t0
        results[name] = {
            "epochs": epochs,
            "trainSeconds": round(seconds, 1),
            "holdoutAccuracy": accuracy(model, x_hold, y_hold),
            "testAccuracy": accuracy(model, x_test, y_test),
        }
        print(f"  {results[name]}", file=sys.stderr)
        model.eval()
        onnx_path = os.path.join(args.out, f"{name}.onnx")
        torch.onnx.export(
            model, x_hold[:1], onnx_path, input_names=["input"], output_names=["logits"],
            dynamic_axes={"input": {0: "n"}, "logits": {0: "n"}}, opset_version=13,
        )  # fmt: skip
        torch.save(model.state_dict(), os.path.join(args.out, f"{name}.pt"))
        with torch.no_grad():
            ref = model(x_hold[:8])
        with open(os.path.join(args.out, f"{name}.reference.json"), "w") as f:
            json.dump({"input": x_hold[:8].reshape(8, 784).tolist(), "logits": ref.tolist()}, f)
        results[name]["sha256"] = hashlib.sha256(open(onnx_path, "rb").read()).hexdigest()

    provenance = {
        "command": "/usr/bin/python3 " + " ".join(sys.argv),
        "seed": args.seed,
        "torch": torch.__version__,
        "data": {"dir": args.data, "sha256": digests},
        "split": {"train": len(train_idx), "holdout": HOLDOUT, "test": len(x_test), "holdoutFile": "split.json"},
        "models": results,
    }
    with open(os.path.join(args.out, "provenance.json"), "w") as f:
        json.dump(provenance, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
