#!/bin/sh
# The exact command that trained models/la_muse.safetensors (run from the repository root; the
# run directory runs/la_muse holds its config, loss log and the checkpoint of the bundled step).
# It was stopped at step 1117 and the model written with `train export`.
D=../shared/data
node --import tsx src/cli/main.ts train style --backend wasm --style $D/images/reiinakano/style-images/la_muse.jpg \
  --data $D/train/bsds500/train --loss-network $D/darknet/darknettiny \
  --width 0.25 --residual-blocks 3 --upsample resize --init models/wave.safetensors \
  --image-size 128 --batch-size 4 --lr 1e-3 --iterations 3000 --seed 1 \
  --checkpoint-every 100 --preview-every 100 \
  --out runs/la_muse/la_muse.safetensors --run-dir runs/la_muse
node --import tsx src/cli/main.ts train export runs/la_muse --step 1117 --out models/la_muse.safetensors
