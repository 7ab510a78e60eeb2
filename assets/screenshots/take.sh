#!/usr/bin/env bash
# Retakes the README's lesson screenshots and the classroom set (chapters 3, 6, 8 and 10
# where a lecturer projects them: 1920x1080 at 200 % and 1280x800 fitted, English and
# Chinese) from build/bin/moelab under Xvfb. Run from the repository root.
set -euo pipefail
bin=build/bin/moelab
out=assets/screenshots
shot() {  # PNG WIDTH HEIGHT FLAGS...
    local png=$1 w=$2 h=$3
    shift 3
    xvfb-run -a -s "-screen 0 ${w}x${h}x24" "$bin" gui --width "$w" --height "$h" --screenshot "$png" "$@" >/dev/null
}
# The experiment chapters run their experiment on open: enough frames for it to finish.
frames() { case $1 in 8|9) echo 2500 ;; *) echo 10 ;; esac; }

for c in 3 6 8 10; do
    for lang in en zh; do
        shot "$out/classroom/chapter$c-$lang-1920x1080-200.png" 1920 1080 --lesson builtin --chapter "$c" \
            --lang "$lang" --scale 2 --frames "$(frames "$c")"
        shot "$out/classroom/chapter$c-$lang-1280x800-fit.png" 1280 800 --lesson builtin --chapter "$c" \
            --lang "$lang" --scale fit --frames "$(frames "$c")"
    done
done
shot "$out/lesson-embedding.png" 1280 800 --lesson builtin --chapter 2 --lang en
shot "$out/lesson-temperature.png" 1280 800 --lesson builtin --chapter 4 --lang en
shot "$out/lesson-topk-zh.png" 1280 800 --lesson builtin --chapter 5 --lang zh
shot "$out/lesson-capacity-200.png" 1920 1080 --lesson builtin --chapter 6 --lang en --scale 2
shot "$out/lesson-balance.png" 1280 800 --lesson builtin --chapter 8 --lang en --frames 2500
shot "$out/lesson-sentiment-zh.png" 1280 800 --lesson builtin --chapter 9 --lang zh --frames 2500
# The little MoE language model: the Layers view and its chapter (issue 25).
lmtext="床前明月光，疑是地上霜。举头望明月，低头思故乡。And God said, Let there be light: and there was light."
shot "$out/lm-layers.png" 1280 800 --model tiny-lm --text "$lmtext" --layer 2 --capacity-factor 1 --lang en
shot "$out/lm-layers-zh.png" 1280 800 --model tiny-lm --text "$lmtext" --layer 2 --capacity-factor 1 --lang zh
shot "$out/lesson-layers.png" 1280 800 --lesson builtin --chapter 12 --lang en
shot "$out/lesson-layers-zh.png" 1280 800 --lesson builtin --chapter 12 --lang zh
# The parallel page with EPLB placement and the four placements side by side (issue 26).
shot "$out/parallel-eplb.png" 1280 800 --page parallel --gpus 4 --gpus-per-node 2 --placement eplb --replicate 2 --lang en
# Router traces (issue 26): the shipped model's trace, and an engine's choices-only one
# (40 tokens, 3 layers, top-2 of 8, drawn with a fixed seed) replayed at capacity factor 1.
# The files sit in the working folder for the moment: the app shows the path it was given.
"$bin" route --model tiny-lm --text "$lmtext" --trace-out tiny-lm.trace >/dev/null
python3 -c 'import json, random; random.seed(1); print(json.dumps([[random.sample(range(8), 2) for l in range(3)] for t in range(40)]))' >vllm-routed.json
"$bin" import-trace --from vllm vllm-routed.json --out vllm.trace --model Mixtral-8x7B >/dev/null
shot "$out/trace.png" 1280 800 --trace tiny-lm.trace --layer 2 --capacity-factor 1 --hide heatmap,load --lang en
shot "$out/trace-zh.png" 1280 800 --trace vllm.trace --layer 1 --capacity-factor 1 --temperature 0.5 --lang zh --scale 2
rm tiny-lm.trace vllm-routed.json vllm.trace
