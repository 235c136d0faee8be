#!/bin/sh
# The exact commands that trained models/scream.safetensors (run from the repository root).
# Run directory runs/scream_w05: config, loss log, last checkpoint and model (training previews are
# not kept: they show training photos).
D=../shared/data
R=runs/scream_w05
# Fine-tuned from the bundled width-0.5 rain_princess (models/rain_princess.safetensors at commit abc1675),
# the darknettiny recipe with content weight 25, two data-parallel workers (as models/udnie.command.sh).
node --import tsx src/cli/main.ts train style --backend wasm --workers 2 --style $D/images/reiinakano/style-images/scream.jpg \
  --data $D/train/bsds500/train --loss-network $D/darknet/darknettiny \
  --width 0.5 --residual-blocks 3 --upsample resize --init models/rain_princess.safetensors --content-weight 25 \
  --image-size 128 --batch-size 4 --lr 1e-3 --iterations 1600 --seed 13 \
  --checkpoint-every 100 --keep-checkpoints 30 --preview-every 100 \
  --out $R/scream.safetensors --run-dir $R
# Resumed after step 1600 with more iterations, stopped with SIGTERM at step 3612 (a checkpoint is written):
node --import tsx src/cli/main.ts train style --resume $R --iterations 4000 --workers 2
node --import tsx src/cli/main.ts train export $R --step 3612 --out models/scream.safetensors
node --import tsx scripts/contact-sheet.ts style --models scream --backend wasm -o models/scream.contact.png
