#!/bin/sh
# The exact commands that trained models/candy.safetensors (run from the repository root).
# Run directory runs/candy_w05: config, loss log, last checkpoint and model (training previews are
# not kept: they show training photos). The earlier width-0.25 candy run stays in runs/candy.
D=../shared/data
R=runs/candy_w05
# Fine-tuned from the bundled width-0.5 rain_princess (models/rain_princess.safetensors at commit 3e4a22e),
# the darknettiny recipe with content weight 25, two data-parallel workers.
node --import tsx src/cli/main.ts train style --backend wasm --workers 2 --style $D/images/pytorch-examples/style-images/candy.jpg \
  --data $D/train/bsds500/train --loss-network $D/darknet/darknettiny \
  --width 0.5 --residual-blocks 3 --upsample resize --init models/rain_princess.safetensors --content-weight 25 \
  --image-size 128 --batch-size 4 --lr 1e-3 --iterations 2400 --seed 5 \
  --checkpoint-every 100 --preview-every 100 \
  --out $R/candy.safetensors --run-dir $R
node --import tsx src/cli/main.ts train export $R --step 2400 --out models/candy.safetensors
# The contact sheet (the width-0.25 model is models/candy.safetensors at commit 3e4a22e, saved as
# candy-width-0.25.safetensors):
node --import tsx scripts/contact-sheet.ts style --models candy,candy-width-0.25.safetensors --backend wasm -o models/candy.contact.png
