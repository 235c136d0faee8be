#!/bin/sh
# The exact command that trained models/rain_princess.safetensors (run from the repository root; the
# run directory runs/rain_princess holds its config, loss log and the checkpoint of the bundled step).
# It was stopped at step 768 and the model written with `train export`.
D=../shared/data
node --import tsx src/cli/main.ts train style --backend wasm --style $D/images/reiinakano/style-images/rain_princess.jpg \
  --data $D/train/bsds500/train --loss-network $D/darknet/darknettiny \
  --width 0.25 --residual-blocks 3 --upsample resize --init models/wave.safetensors \
  --image-size 128 --batch-size 4 --lr 1e-3 --iterations 3000 --seed 1 \
  --checkpoint-every 100 --keep-checkpoints 30 --preview-every 100 \
  --out runs/rain_princess/rain_princess.safetensors --run-dir runs/rain_princess
node --import tsx src/cli/main.ts train export runs/rain_princess --step 768 --out models/rain_princess.safetensors
