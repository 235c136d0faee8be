#!/bin/sh
# The exact command that trained models/sr-x4.safetensors (run from the repository root; the run
# directory runs/sr-x4 holds its config, loss log and last checkpoints).
D=../shared/data
node --import tsx src/cli/main.ts train sr --backend wasm --scale 4 --upsample shuffle --filters 32 --residual-blocks 4 \
  --degradation bicubic --data $D/train/bsds500/train --pixel-weight 1 --content-weight 0 --tv-weight 0 \
  --image-size 96 --batch-size 16 --lr 1e-3 --lr-decay 5e-4 --iterations 8000 --seed 1 \
  --checkpoint-every 250 --keep-checkpoints 2 --preview-every 1000 \
  --out runs/sr-x4/sr-x4.safetensors --run-dir runs/sr-x4
cp runs/sr-x4/sr-x4.safetensors models/sr-x4.safetensors
