#!/bin/sh
# The exact command that trained models/wave.safetensors (run from the repository root; the run
# directory runs/wave-rt holds its config, loss log and last checkpoint). It was stopped with Ctrl-C
# at step 1503 and finished with `--resume runs/wave-rt --iterations 1503`, which writes the model.
D=../shared/data
node --import tsx src/cli/main.ts train distill --backend wasm --teacher $D/ml5-style/wave \
  --data $D/train/bsds500/train --width 0.25 --residual-blocks 3 \
  --loss-network $D/darknet/darknettiny \
  --image-size 192 --batch-size 8 --lr 2e-3 --lr-decay 5e-4 --iterations 6000 --seed 1 \
  --checkpoint-every 250 --preview-every 500 \
  --out runs/wave-rt/wave-rt.safetensors --run-dir runs/wave-rt
cp runs/wave-rt/wave-rt.safetensors models/wave.safetensors
# Since 2026-12-03 the bundled file is step 4435: runs/wave-rt/config.json was given "teacherMargin": 32
# by hand and the run resumed with two workers twice (each stopped with SIGTERM, which writes a checkpoint), then:
node --import tsx src/cli/main.ts train distill --resume runs/wave-rt --workers 2
node --import tsx src/cli/main.ts train export runs/wave-rt --step 4435 --out models/wave.safetensors
node --import tsx scripts/contact-sheet.ts style --models wave --ml5 wave --backend wasm -o models/wave.contact.png
