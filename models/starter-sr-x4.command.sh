#!/bin/sh
# The exact command that trained models/starter-sr-x4.safetensors (run from the repository root).
D=../shared/data/images
node --import tsx src/cli/main.ts train sr --backend wasm --scale 4 \
  --data $D/kodak --data $D/reiinakano/content-images --data $D/pytorch-examples/content-images --data $D/ml5/tests \
  --loss-network ../shared/data/darknet/darknettiny \
  --content-layers leaky_re_lu_2 --content-weight 1 --pixel-weight 50 --tv-weight 0.1 \
  --filters 32 --residual-blocks 4 --image-size 96 --batch-size 2 --lr 1e-3 --iterations 2400 --seed 1 \
  --checkpoint-every 50 --preview-every 200 \
  --out models/starter-sr-x4.safetensors --run-dir runs/starter-sr-x4
