// Selection keys (score + bias, or z + bias at T = 0), group-limited masking
// (DeepSeek-V2/V3) and top-k with ties to the lower index, then the combine weights.
// One work-item per token.
__kernel void topk(__global const float* z, __global const float* scores, __global const float* bias,
                   float temperature, int groups, int topk_groups, int group_top2, int renormalize,
                   __global float* keys, __global int* choices, __global float* weights, __global float* norms,
                   int T, int E, int k) {
    const int t = get_global_id(0);
    if (t >= T) return;
    __global const float* s = scores + (size_t)t * E;
    __global const float* zr = z + (size_t)t * E;
    __global float* key = keys + (size_t)t * E;
    for (int e = 0; e < E; ++e) key[e] = (temperature == 0.0f ? zr[e] : s[e]) + bias[e];

    if (groups > 1 && topk_groups < groups) {
        const int per = E / groups;
        // Mask groups one at a time: the worst remaining group (ties: the higher index loses),
        // until topk_groups remain; equal to keeping the best M with ties to the lower index.
        for (int removed = 0; removed < groups - topk_groups; ++removed) {
            int worst = -1;
            float worst_score = 0.0f;
            for (int g = 0; g < groups; ++g) {
                if (key[g * per] == -INFINITY && per > 0) {
                    int all_masked = 1;
                    for (int i = 0; i < per; ++i) all_masked &= key[g * per + i] == -INFINITY;
                    if (all_masked) continue;
                }
                float a = -INFINITY, b = -INFINITY;
                for (int i = 0; i < per; ++i) {
                    const float v = key[g * per + i];
                    if (v > a) { b = a; a = v; }
                    else if (v > b) b = v;
                }
                const float gs = (group_top2 && per > 1) ? a + b : a;
                if (worst < 0 || gs <= worst_score) { worst = g; worst_score = gs; }
            }
            for (int i = 0; i < per; ++i) key[worst * per + i] = -INFINITY;
        }
    }

    __global int* c = choices + (size_t)t * k;
    float sum = 0.0f;
    for (int j = 0; j < k; ++j) {
        int best = -1;
        for (int e = 0; e < E; ++e) {
            int taken = 0;
            for (int i = 0; i < j; ++i) taken |= c[i] == e;
            if (taken) continue;
            if (best < 0 || key[e] > key[best]) best = e;
        }
        c[j] = best;
        sum += s[best];
    }
    const float norm = renormalize ? (sum > 0.0f ? correctly_rounded_inverse(sum) : 0.0f) : 1.0f;
    norms[t] = norm;
    for (int j = 0; j < k; ++j) weights[(size_t)t * k + j] = s[c[j]] * norm;
}
