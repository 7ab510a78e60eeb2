// Dispatch: bucket the kept assignments by expert (token order kept), then gather
// each bucket's token rows into one dense block per expert.
// Rows of expert e start at offsets[e]; shared experts follow the routed ones, with
// every token once. One work-item per (routed or shared) expert.
__kernel void bucket_slots(__global const int* slot_expert, __global const uchar* slot_kept,
                           __global const int* slot_token, int slots, __global const int* offsets,
                           __global int* row_token, __global int* slot_row, int E, int S, int T) {
    const int e = get_global_id(0);
    if (e >= E + S) return;
    int row = offsets[e];
    if (e >= E) {
        for (int t = 0; t < T; ++t) row_token[row + t] = t;
        return;
    }
    for (int s = 0; s < slots; ++s) {
        if (slot_expert[s] != e) continue;
        if (slot_kept[s]) {
            row_token[row] = slot_token[s];
            slot_row[s] = row++;
        } else {
            slot_row[s] = -1;
        }
    }
}

// xg[row][j] = x[row_token[row]][j]. One work-item per (j, row).
__kernel void gather_rows(__global const float* x, __global const int* row_token, __global float* xg,
                          int rows, int D) {
    const int j = get_global_id(0), row = get_global_id(1);
    if (j >= D || row >= rows) return;
    xg[(size_t)row * D + j] = x[(size_t)row_token[row] * D + j];
}
