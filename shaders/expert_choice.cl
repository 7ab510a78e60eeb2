// Expert choice (Zhou et al. 2022): each expert takes its `capacity` highest-keyed
// tokens, ties to the lower position. One work-item per expert finds the
// capacity-th largest key exactly by a 32-step search over order-preserving bit
// patterns, then marks the tokens above it and the first tied ones.
uint ordered_bits(float f) {
    const uint u = as_uint(f);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

__kernel void expert_choice_select(__global const float* keys, int capacity, __global uchar* picked,
                                   int T, int E) {
    const int e = get_global_id(0);
    if (e >= E) return;
    for (int t = 0; t < T; ++t) picked[(size_t)t * E + e] = 0;
    if (capacity <= 0) return;
    uint threshold = 0;
    for (int bit = 31; bit >= 0; --bit) {
        const uint candidate = threshold | (1u << bit);
        int count = 0;
        for (int t = 0; t < T; ++t) count += ordered_bits(keys[(size_t)t * E + e]) >= candidate;
        if (count >= capacity) threshold = candidate;
    }
    int taken = 0;
    for (int t = 0; t < T; ++t)
        if (ordered_bits(keys[(size_t)t * E + e]) > threshold) { picked[(size_t)t * E + e] = 1; ++taken; }
    for (int t = 0; t < T && taken < capacity; ++t)
        if (ordered_bits(keys[(size_t)t * E + e]) == threshold) { picked[(size_t)t * E + e] = 1; ++taken; }
}

// A token's experts, best key first (ties to the lower index), with their weights:
// the raw score or the score over the sum of its experts' scores. Slots are dense,
// E per token; count[t] says how many are used. One work-item per token.
__kernel void expert_choice_gather(__global const uchar* picked, __global const float* keys,
                                   __global const float* scores, int renormalize, __global int* slot_expert,
                                   __global float* slot_weight, __global int* count, int T, int E) {
    const int t = get_global_id(0);
    if (t >= T) return;
    __global const uchar* p = picked + (size_t)t * E;
    __global const float* key = keys + (size_t)t * E;
    __global int* out = slot_expert + (size_t)t * E;
    int n = 0;
    float sum = 0.0f;
    for (int e = 0; e < E; ++e) {
        if (!p[e]) continue;
        // insertion by key, stable: equal keys keep index order
        int i = n++;
        while (i > 0 && key[out[i - 1]] < key[e]) { out[i] = out[i - 1]; --i; }
        out[i] = e;
    }
    for (int i = 0; i < n; ++i) sum += scores[(size_t)t * E + out[i]];
    const float norm = renormalize ? (sum > 0.0f ? correctly_rounded_inverse(sum) : 0.0f) : 1.0f;
    for (int i = 0; i < n; ++i) slot_weight[(size_t)t * E + i] = scores[(size_t)t * E + out[i]] * norm;
    count[t] = n;
}
