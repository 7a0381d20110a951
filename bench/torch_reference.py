#!/usr/bin/env python3
"""The PyTorch reference of bench/train-epoch.ts: seed-model-3 trained the way Layerlab trains it.

Same model (Flatten, Dense 64-128-256-128-64 relu, Dense 10 softmax; Glorot-uniform
kernels and zero biases as Keras initialises them), same settings (Adam lr 0.001,
Keras's epsilon 1e-7, batch 64, a fresh shuffle every epoch), same data (the first
48,000 Fashion-MNIST training images to train on, the last 12,000 to validate on, as
Keras's validation_split takes them, pixels / 255), and the same epoch: every training
step reads its loss and outputs back (running loss and accuracy), then a validation
pass without gradients, inside the timed epoch.

Reads the IDX gz files with gzip + numpy; needs nothing beyond Debian's python3-torch.
Prints one JSON object on its last line (what bench/train-epoch.ts reads); with
--table it also prints a line per epoch.

    python3 bench/torch_reference.py [--data DIR] [--epochs 3] [--warmup 1] [--threads 0|N] [--table]

--threads 0 leaves torch's default (its count of physical cores as it detects them; 1 on
some 2-core machines). For the best setup on Debian, run with
LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread and --threads 1: torch then
steps on one thread while the pthread OpenBLAS spreads each product over the cores.
"""

import argparse
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import torch
from torch import nn

HIDDEN_UNITS = [64, 128, 256, 128, 64]
NUM_CLASSES = 10
EVAL_CHUNK = 2048


def read_idx(path):
    """An IDX file (gzip or plain) as a numpy uint8 array of its dimensions."""
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        raw = f.read()
    zero, dtype, ndim = struct.unpack('>HBB', raw[:4])
    if zero != 0 or dtype != 0x08:
        sys.exit(f'{path} is not an IDX file of unsigned bytes')
    dims = struct.unpack('>' + 'I' * ndim, raw[4 : 4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(folder, stem):
    for name in (stem + '.gz', stem):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            return path
    sys.exit(f'{folder} has no {stem}(.gz)')


def blas_library():
    """The BLAS shared library this process actually loaded (tells the pthread OpenBLAS from the default one)."""
    try:
        with open('/proc/self/maps') as maps:
            paths = {line.split()[-1] for line in maps if 'blas' in line.lower() and '/' in line}
        return ', '.join(sorted(paths)) or None
    except OSError:
        return None


def build_model(seed):
    torch.manual_seed(seed)
    layers = [nn.Flatten()]
    width = 28 * 28
    for units in HIDDEN_UNITS:
        layers += [nn.Linear(width, units), nn.ReLU()]
        width = units
    # Softmax is folded into the loss (CrossEntropyLoss takes logits): the same arithmetic as softmax + cross-entropy.
    layers.append(nn.Linear(width, NUM_CLASSES))
    model = nn.Sequential(*layers)
    for layer in model:
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', default='/usr/share/datasets/fashion-mnist')
    parser.add_argument('--epochs', type=int, default=3, help='timed epochs (after the warm-up)')
    parser.add_argument('--warmup', type=int, default=1, help='untimed epochs first')
    parser.add_argument('--threads', type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--seed', type=int, default=42)
    parser.add_argument(
        '--budget',
        type=float,
        default=0,
        help='seconds of training after which no epoch starts and a running one stops (0: no limit); '
        "overBudget tells; 'cut' holds the stopped epoch, extrapolated, when no epoch completed",
    )
    parser.add_argument('--table', action='store_true', help='print a line per epoch too')
    args = parser.parse_args()

    if args.threads > 0:
        torch.set_num_threads(args.threads)

    began = time.perf_counter()
    images = read_idx(find(args.data, 'train-images-idx3-ubyte'))
    labels = read_idx(find(args.data, 'train-labels-idx1-ubyte'))
    x = torch.from_numpy(images.astype(np.float32) / 255.0)
    y = torch.from_numpy(labels.astype(np.int64))
    split = int(len(x) * (1 - 0.2))  # Keras's validation_split 0.2: the last fifth
    x_train, y_train, x_val, y_val = x[:split], y[:split], x[split:], y[split:]
    load_seconds = time.perf_counter() - began

    model = build_model(args.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001, betas=(0.9, 0.999), eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(args.seed)

    # On a loaded machine an oversubscribed setup (torch's threads and the BLAS's both spinning) can
    # take well over a minute an epoch instead of a few seconds: the budget keeps the bench to a few
    # minutes. No epoch starts past it, and an epoch running past it stops at the next batch and
    # is extrapolated from the batches done (reported as 'cut' only when no epoch completed).
    training_began = time.perf_counter()
    deadline = training_began + args.budget if args.budget > 0 else None
    batches = (len(x_train) + args.batch - 1) // args.batch

    def over():
        return deadline is not None and time.perf_counter() > deadline

    def epoch():
        started = time.perf_counter()
        cpu_started = time.process_time()
        model.train()
        order = torch.randperm(len(x_train), generator=generator)
        loss_sum, correct, done = 0.0, 0, 0
        for start in range(0, len(order), args.batch):
            if over():
                elapsed = time.perf_counter() - started
                return {
                    'seconds': elapsed * batches / max(done, 1),
                    'cpuSeconds': (time.process_time() - cpu_started) * batches / max(done, 1),
                    'valAccuracy': None,
                    'extrapolatedFrom': done,
                    'batches': batches,
                }
            index = order[start : start + args.batch]
            xb, yb = x_train[index], y_train[index]
            optimizer.zero_grad(set_to_none=True)
            logits = model(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(index)
            correct += (logits.argmax(1) == yb).sum().item()
            done += 1
        trained = time.perf_counter()
        model.eval()
        val_loss, val_correct = 0.0, 0
        with torch.no_grad():
            for start in range(0, len(x_val), EVAL_CHUNK):
                xb, yb = x_val[start : start + EVAL_CHUNK], y_val[start : start + EVAL_CHUNK]
                logits = model(xb)
                val_loss += nn.functional.cross_entropy(logits, yb, reduction='sum').item()
                val_correct += (logits.argmax(1) == yb).sum().item()
        ended = time.perf_counter()
        return {
            'seconds': ended - started,
            'trainingSeconds': trained - started,
            'cpuSeconds': time.process_time() - cpu_started,
            'loss': loss_sum / len(x_train),
            'accuracy': correct / len(x_train),
            'valLoss': val_loss / len(x_val),
            'valAccuracy': val_correct / len(x_val),
        }

    warmup, timed, cut = [], [], None
    for i in range(args.warmup + args.epochs):
        if over():
            break
        e = epoch()
        if 'extrapolatedFrom' in e:
            cut = e
            break
        (warmup if i < args.warmup else timed).append(e)
    if args.table:
        for i, e in enumerate(warmup + timed, start=1):
            tag = ' (warm-up)' if i <= len(warmup) else ''
            print(f"epoch {i}: {e['seconds']:.2f} s, val accuracy {e['valAccuracy']:.4f}{tag}")
        if cut:
            print(f"stopped by the budget after {cut['extrapolatedFrom']} of {cut['batches']} batches: ≈ {cut['seconds']:.2f} s an epoch")
    print(
        json.dumps(
            {
                'torch': torch.__version__,
                'threads': torch.get_num_threads(),
                'blas': blas_library(),
                'trainCount': len(x_train),
                'validationCount': len(x_val),
                'loadSeconds': load_seconds,
                'warmup': warmup,
                'epochs': timed,
                'overBudget': len(warmup) < args.warmup or len(timed) < args.epochs,
                'cut': None if warmup or timed else cut,
            }
        )
    )


if __name__ == '__main__':
    main()
