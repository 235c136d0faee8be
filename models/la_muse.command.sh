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

# The width-0.5 attempt that was NOT bundled (models/la_muse.md, "A width-0.5 attempt"), run directory
# runs/la_muse_w05. Stage 1 was stopped at step 684 and its step-600 model exported; stage 2 stopped at 330.
R=runs/la_muse_w05
node --import tsx src/cli/main.ts train style --backend wasm --workers 2 --style $D/images/reiinakano/style-images/la_muse.jpg \
  --data $D/train/bsds500/train --loss-network $D/darknet/darknettiny \
  --width 0.5 --residual-blocks 3 --upsample resize --init models/rain_princess.safetensors --content-weight 25 \
  --image-size 128 --batch-size 4 --lr 1e-3 --iterations 1800 --seed 7 \
  --checkpoint-every 100 --preview-every 100 --out $R/phase1/la_muse.safetensors --run-dir $R/phase1
node --import tsx src/cli/main.ts train export $R/phase1 --step 600 --out $R/phase1/step-600.safetensors
node --import tsx src/cli/main.ts train style --backend wasm --workers 2 --style $D/images/reiinakano/style-images/la_muse.jpg \
  --data $D/train/bsds500/train --loss-network $D/darknet/darknettiny \
  --width 0.5 --residual-blocks 3 --upsample resize --init $R/phase1/step-600.safetensors --content-weight 12 \
  --image-size 128 --batch-size 4 --lr 1e-3 --iterations 1200 --seed 9 \
  --checkpoint-every 100 --preview-every 100 --out $R/la_muse.safetensors --run-dir $R
