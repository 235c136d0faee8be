#!/bin/sh
# The exact command that trained models/sr-x4-feature.safetensors (run from the repository root; the run
# directory runs/sr-x4-feature holds its config, loss log and last checkpoints). It fine-tunes the
# pixel-loss model models/sr-x4.safetensors with darknettiny's feature loss at leaky_re_lu_1.
D=../shared/data
node --import tsx src/cli/main.ts train sr --backend wasm --scale 4 --upsample shuffle --filters 32 --residual-blocks 4 \
  --init models/sr-x4.safetensors --loss-network $D/darknet/darknettiny --content-layers leaky_re_lu_1 \
  --degradation bicubic --data $D/train/bsds500/train \
  --image-size 96 --batch-size 8 --lr 2e-4 --iterations 1500 --seed 2 \
  --checkpoint-every 250 --preview-every 500 \
  --out runs/sr-x4-feature/sr-x4-feature.safetensors --run-dir runs/sr-x4-feature
cp runs/sr-x4-feature/sr-x4-feature.safetensors models/sr-x4-feature.safetensors
