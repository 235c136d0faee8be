#!/bin/sh
# The exact command that trained models/starter-style.safetensors (run from the repository root).
D=../shared/data/images
node --import tsx src/cli/main.ts train style --backend wasm \
  --style $D/reiinakano/style-images/wave.jpg --style-size 256 \
  --data $D/kodak --data $D/reiinakano/content-images --data $D/pytorch-examples/content-images --data $D/ml5/tests \
  --loss-network ../shared/data/darknet/darknettiny \
  --content-layers leaky_re_lu_2 --style-layers leaky_re_lu_1,leaky_re_lu_2,leaky_re_lu_4,leaky_re_lu_8 \
  --layer-weights models/starter-style.layer-weights.json --content-weight 1 --style-weight 1 --tv-weight 10 \
  --width 0.5 --image-size 96 --batch-size 1 --lr 1e-3 --iterations 3500 --seed 1 \
  --checkpoint-every 50 --preview-every 100 \
  --out models/starter-style.safetensors --run-dir runs/starter-style
