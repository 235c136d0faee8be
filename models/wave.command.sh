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
# Since 2026-12-03 (evening) the bundled file is the faster student of runs/wave-fast: the step-4435
# model above with its first conv cut to 5x5 and its last to 3x3 (centre taps), fine-tuned 4228 steps
# against the same teacher (stopped with SIGTERM; --resume runs/wave-fast continues to 6000):
node --import tsx src/cli/main.ts train export runs/wave-rt --step 4435 --out out/wave-4435.safetensors
node --import tsx scripts/crop-kernels.ts out/wave-4435.safetensors --c1-kernel 5 --out-kernel 3 -o out/wave-c5o3.safetensors
node --import tsx src/cli/main.ts train distill --backend wasm --teacher $D/ml5-style/wave \
  --data $D/train/bsds500/train --width 0.25 --residual-blocks 3 --c1-kernel 5 --out-kernel 3 \
  --init out/wave-c5o3.safetensors --loss-network $D/darknet/darknettiny \
  --image-size 192 --batch-size 8 --lr 6e-4 --lr-decay 2e-4 --iterations 6000 --seed 2 \
  --checkpoint-every 250 --preview-every 500 --workers 2 \
  --out runs/wave-fast/wave-fast.safetensors --run-dir runs/wave-fast
node --import tsx src/cli/main.ts train export runs/wave-fast --step 4228 --out models/wave.safetensors
node --import tsx scripts/contact-sheet.ts style --models wave --ml5 wave --backend wasm -o models/wave.contact.png
