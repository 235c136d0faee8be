#!/bin/sh
# The exact commands that trained models/udnie.safetensors (run from the repository root).
# Run directory runs/udnie_w05: config, loss log, last checkpoint and model (training previews are
# not kept: they show training photos). The earlier width-0.25 udnie run stays in runs/udnie.
D=../shared/data
R=runs/udnie_w05
# Fine-tuned from the bundled width-0.5 rain_princess (models/rain_princess.safetensors at commit 3e4a22e),
# the darknettiny recipe with content weight 25, two data-parallel workers (as models/candy.command.sh).
node --import tsx src/cli/main.ts train style --backend wasm --workers 2 --style $D/images/reiinakano/style-images/udnie.jpg \
  --data $D/train/bsds500/train --loss-network $D/darknet/darknettiny \
  --width 0.5 --residual-blocks 3 --upsample resize --init models/rain_princess.safetensors --content-weight 25 \
  --image-size 128 --batch-size 4 --lr 1e-3 --iterations 1600 --seed 11 \
  --checkpoint-every 100 --keep-checkpoints 30 --preview-every 100 \
  --out $R/udnie.safetensors --run-dir $R
node --import tsx src/cli/main.ts train export $R --step 1600 --out models/udnie.safetensors
# The contact sheet (the width-0.25 model is models/udnie.safetensors at commit 3e4a22e, saved as
# udnie-width-0.25.safetensors):
node --import tsx scripts/contact-sheet.ts style --models udnie,udnie-width-0.25.safetensors --ml5 udnie --backend wasm -o models/udnie.contact.png
