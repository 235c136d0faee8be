#!/bin/sh
# The exact commands that trained models/la_muse.safetensors (run from the repository root).
# Run directory runs/la_muse_rt: config, loss log, last checkpoint and model (training previews are
# not kept: they show training photos). The earlier width-0.25 la_muse run stays in runs/la_muse.
D=../shared/data
R=runs/la_muse_rt
# Steps 1-2001: distilled from ml5's la_muse on bare crops (the run predates --teacher-margin; 0 is
# what it did), from the bundled width-0.5 rain_princess (models/rain_princess.safetensors at commit
# 3e4a22e). Steps 1-1847 ran with one worker, 1848-2001 with two (the same sums, bench/RESULTS.md).
node --import tsx src/cli/main.ts train distill --backend wasm --teacher $D/ml5-style/la_muse --teacher-margin 0 \
  --data $D/train/bsds500/train --loss-network $D/darknet/darknettiny \
  --width 0.5 --residual-blocks 3 --upsample resize --init models/rain_princess.safetensors \
  --image-size 192 --batch-size 8 --lr 2e-3 --lr-decay 5e-4 --iterations 4000 --seed 3 \
  --checkpoint-every 100 --keep-checkpoints 30 --preview-every 100 \
  --out $R/la_muse.safetensors --run-dir $R
# (stopped at step 2001 with SIGTERM, as Ctrl-C does: the run writes checkpoint 2001 and exits)
# Steps 2002-4000: the teacher sees 32 px of reflected photo around each crop.
node -e "const f='$R/config.json', fs=require('fs'), c=JSON.parse(fs.readFileSync(f)); c.options.teacherMargin=32; fs.writeFileSync(f, JSON.stringify(c, null, 2) + '\n')"
node --import tsx src/cli/main.ts train distill --backend wasm --resume $R --workers 2
cp $R/la_muse.safetensors models/la_muse.safetensors
# Held-out measurement and the contact sheet (the width-0.25 model is models/la_muse.safetensors at
# commit 10a111b, saved as la_muse-width-0.25.safetensors):
node --import tsx src/cli/main.ts eval distill --images $D/images/kodak --teacher $D/ml5-style/la_muse \
  --model models/la_muse.safetensors --runs 2 --teacher-margin 32
node --import tsx scripts/contact-sheet.ts style --models la_muse,la_muse-width-0.25.safetensors --ml5 la_muse --backend wasm -o models/la_muse.contact.png
