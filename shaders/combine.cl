// Combine: out[t] = sum of shared experts' rows + sum over the token's kept slots, in
// slot order, of weight * expert row. Each output element has one writer: no atomics,
// no races, the same bits every run. One work-item per (d, token).
__kernel void combine(__global const float* y, __global const int* slot_begin, __global const int* slot_row,
                      __global const float* slot_weight, __global const int* offsets, __global float* out,
                      int T, int D, int Dp, int E, int S) {
    // y rows are Dp wide (padded to 32 by expert_ffn.cl)
    const int d = get_global_id(0), t = get_global_id(1);
    if (d >= D || t >= T) return;
    float acc = 0.0f;
    for (int s = 0; s < S; ++s) acc += y[(size_t)(offsets[E + s] + t) * Dp + d];
    for (int s = slot_begin[t]; s < slot_begin[t + 1]; ++s) {
        const int row = slot_row[s];
        if (row >= 0) acc += slot_weight[s] * y[(size_t)row * Dp + d];
    }
    out[(size_t)t * D + d] = acc;
}
