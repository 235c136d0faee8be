"""PyTorch peer of bench/train-step.bench.ts: the same training step in PyTorch on the CPU.

The step is the one `trainStep` takes there: the style transform network
(SPEC section 4, johnson variant: reflection padding, instance norm eps 1e-5,
nearest x2 resize-conv upsampling, 0.5 + 0.5 tanh output) forward and
backward through a VGG-16 with random weights to relu4_3 (torchvision
preprocessing, zero padding, 2x2 max pools), the project's loss (feature MSE
at relu2_2 on precomputed content features; Gram F^T F / (C H W) style terms
at relu1_2, relu2_2, relu3_3, relu4_3 against one style image's Grams, summed
over entries and averaged over the batch; TV with p = 2 over C H W), and one
Adam update. The loss weights do not change the work, so they are 1 here.

It is a contestant of bench/contestant-process.ts: started with an IPC
channel (Node's line-delimited JSON on the file descriptor in NODE_CHANNEL_FD),
it sets up and takes one warm-up step, says `ready`, then answers each `run`
with one timed step and `close` with its peak RSS.

Run by the bench: node --import tsx bench/train-step.bench.ts --backends wasm,torch:1,torch:2
"""
import json
import os
import resource
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F


def option(name, default):
    flag = f"--{name}"
    return sys.argv[sys.argv.index(flag) + 1] if flag in sys.argv else default


SIZE = int(option("size", "256"))
BATCH = int(option("batch", "4"))
WIDTH = float(option("width", "1"))
BLOCKS = int(option("residual-blocks", "5"))
THREADS = int(option("threads", "1"))


class ConvNorm(nn.Module):
    """Reflection-padded conv (no bias), instance norm, optional ReLU; `up` doubles the size first (resize-conv)."""

    def __init__(self, cin, cout, kernel, stride=1, relu=True, up=False):
        super().__init__()
        self.pad = kernel // 2
        self.stride, self.relu, self.up = stride, relu, up
        self.conv = nn.Conv2d(cin, cout, kernel, stride, bias=False)
        self.norm = nn.InstanceNorm2d(cout, eps=1e-5, affine=True)

    def forward(self, x):
        if self.up:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        x = self.norm(self.conv(F.pad(x, [self.pad] * 4, mode="reflect")))
        return F.relu(x) if self.relu else x


class Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.a, self.b = ConvNorm(c, c, 3), ConvNorm(c, c, 3, relu=False)

    def forward(self, x):
        return x + self.b(self.a(x))


class StyleNet(nn.Module):
    def __init__(self, width, blocks):
        super().__init__()
        c32, c64, c128 = (max(1, round(c * width)) for c in (32, 64, 128))
        self.body = nn.Sequential(
            ConvNorm(3, c32, 9), ConvNorm(c32, c64, 3, 2), ConvNorm(c64, c128, 3, 2),
            *[Residual(c128) for _ in range(blocks)],
            ConvNorm(c128, c64, 3, up=True), ConvNorm(c64, c32, 3, up=True),
        )
        self.out = nn.Conv2d(c32, 3, 9)

    def forward(self, x):
        o = self.out(F.pad(self.body(x), [4] * 4, mode="reflect"))
        return 0.5 + 0.5 * torch.tanh(o)


# VGG-16's convolutions up to relu4_3, grouped by pool; the taps are the last ReLU of each group.
VGG16 = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512]]


class Vgg16(nn.Module):
    def __init__(self):
        super().__init__()
        convs, cin = [], 3
        for group in VGG16:
            for cout in group:
                convs.append(nn.Conv2d(cin, cout, 3, padding=1))
                cin = cout
        self.convs = nn.ModuleList(convs)
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def forward(self, x):
        x, taps, k = (x - self.mean) / self.std, [], 0
        for g, group in enumerate(VGG16):
            if g > 0:
                x = F.max_pool2d(x, 2)
            for _ in group:
                x = F.relu(self.convs[k](x))
                k += 1
            taps.append(x)
        return taps  # relu1_2, relu2_2, relu3_3, relu4_3


def gram(f):
    b, c, h, w = f.shape
    flat = f.reshape(b, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * h * w)


def setup():
    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    net, vgg = StyleNet(WIDTH, BLOCKS), Vgg16()
    for p in vgg.parameters():
        p.requires_grad_(False)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    content = torch.rand(BATCH, 3, SIZE, SIZE)
    with torch.no_grad():
        style_grams = [gram(t) for t in vgg(torch.rand(1, 3, SIZE, SIZE))]

    def step():
        with torch.no_grad():
            content_relu2_2 = vgg(content)[1]
        optimizer.zero_grad(set_to_none=True)
        out = net(content)
        taps = vgg(out)
        loss = F.mse_loss(taps[1], content_relu2_2)
        for t, g in zip(taps, style_grams):
            loss = loss + ((gram(t) - g) ** 2).sum() / BATCH
        tv = ((out[:, :, 1:, :] - out[:, :, :-1, :]) ** 2).sum() + ((out[:, :, :, 1:] - out[:, :, :, :-1]) ** 2).sum()
        loss = loss + tv / out[0].numel() / BATCH
        loss.backward()
        optimizer.step()
        return loss.item()

    step()
    return step


def main():
    channel = os.fdopen(int(os.environ["NODE_CHANNEL_FD"]), "r+b", buffering=0)

    def reply(message):
        channel.write((json.dumps(message) + "\n").encode())

    try:
        step = setup()
    except Exception as error:  # the parent reports the reason
        reply({"type": "error", "message": f"{type(error).__name__}: {error}"})
        return
    details = {"backend": f"torch {torch.__version__} cpu", "threads": torch.get_num_threads(), "mkldnn": torch.backends.mkldnn.is_available()}
    reply({"type": "ready", "details": details})
    buffer = b""
    while True:
        chunk = channel.read(65536)
        if not chunk:
            return
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            message = json.loads(line)
            if message.get("type") == "run":
                start = time.perf_counter()
                check = step()
                reply({"type": "sample", "sample": {"ms": (time.perf_counter() - start) * 1000, "check": check}})
            elif message.get("type") == "close":
                reply({"type": "closed", "maxRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
                return


if __name__ == "__main__":
    main()
