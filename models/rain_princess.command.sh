#!/bin/sh
# The exact commands that trained models/rain_princess.safetensors (run from the repository root).
# Three stages, all `perceptual` commands; run directories in runs/rain_princess_w05 (config, loss log,
# and the model of each stage; training previews are not kept: they show training photos).
D=../shared/data
R=runs/rain_princess_w05
# 0. The start: the width-0.5 student that `perceptual train distill` made of ml5's wave (runs/wave-distill).
node --import tsx src/cli/main.ts train export runs/wave-distill --step 772 --out $R/phase1/wave-distill-step772.safetensors
# 1. The darknettiny style recipe, two data-parallel workers; stopped at step 968, its step-800
#    model kept as $R/phase1/step-800.safetensors (lamp-like glows at random places: see the card).
node --import tsx src/cli/main.ts train style --backend wasm --workers 2 --style $D/images/reiinakano/style-images/rain_princess.jpg \
  --data $D/train/bsds500/train --loss-network $D/darknet/darknettiny \
  --width 0.5 --residual-blocks 3 --upsample resize --init $R/phase1/wave-distill-step772.safetensors \
  --image-size 128 --batch-size 4 --lr 1e-3 --iterations 3000 --seed 1 \
  --checkpoint-every 100 --preview-every 100 \
  --out $R/phase1/rain_princess.safetensors --run-dir $R/phase1
node --import tsx src/cli/main.ts train export $R/phase1 --step 800 --out $R/phase1/step-800.safetensors
# 2. Content weight 25 (recipe: 15), 3000 steps to the end, from stage 1's step 800.
node --import tsx src/cli/main.ts train style --backend wasm --workers 2 --style $D/images/reiinakano/style-images/rain_princess.jpg \
  --data $D/train/bsds500/train --loss-network $D/darknet/darknettiny \
  --width 0.5 --residual-blocks 3 --upsample resize --init $R/phase1/step-800.safetensors --content-weight 25 \
  --image-size 128 --batch-size 4 --lr 1e-3 --iterations 3000 --seed 3 \
  --checkpoint-every 100 --preview-every 100 \
  --out $R/rain_princess.safetensors --run-dir $R
node --import tsx src/cli/main.ts train export $R --step 3000 --out models/rain_princess.safetensors
