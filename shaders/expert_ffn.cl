// Expert FFN as grouped, register-blocked GEMMs. Rows are grouped by expert into
// tiles of up to RM rows (tile_expert, tile_row, tile_rows). Each work-item computes
// an RM x 32 block with two float16 accumulators per row: two 16-wide weight loads
// feed 2 x RM fused multiply-adds (a CPU micro-kernel). Weights are stored transposed,
// [in][out], with the out dimension padded to a multiple of 32 with zeros, so no
// column guard is needed and padded outputs are 0.
#ifndef RM
#define RM 8
#endif

// act: 0 relu, 1 gelu (erf), 2 silu, 3 swiglu (silu(gate) * up). One formula for the
// float16 rows here and the single outputs of expert_ffn_tiled.cl.
#define DEFINE_ACTIVATE(T, name)                                         \
    T name(T v, int act) {                                               \
        if (act == 0) return fmax(v, (T)0.0f);                           \
        if (act == 1) return 0.5f * v * (1.0f + erf(v * 0.70710678f));   \
        return v / (1.0f + exp(-v));                                     \
    }
DEFINE_ACTIVATE(float16, activate16)
DEFINE_ACTIVATE(float, activate1)

// acc[i] = sum_j xr[i][j] * w[j][n0..n0+31] as two float16 halves (a, b), xr[i] the
// address of row i (worked out once by the caller, outside the inner loop). Two
// weight loads feed 2 x RM fused multiply-adds.
#define BLOCK_GEMM(a, b, xr, w, ldw, K)                                           \
    {                                                                             \
        _Pragma("unroll") for (int i = 0; i < RM; ++i) a[i] = b[i] = (float16)0.0f; \
        __global const float* wp = (w);                                           \
        for (int j = 0; j < (K); ++j, wp += (ldw)) {                              \
            const float16 wa = vload16(0, wp), wb = vload16(1, wp);               \
            _Pragma("unroll") for (int i = 0; i < RM; ++i) {                      \
                const float16 xv = (float16)xr[i][j];                             \
                a[i] = fma(xv, wa, a[i]);                                         \
                b[i] = fma(xv, wb, b[i]);                                         \
            }                                                                     \
        }                                                                         \
    }

// h[row][n] = act(x[token of row]·W1[e][:, n] + b1[e][n]); SwiGLU multiplies by the up
// projection. The token rows are read in place through row_token (no gathered copy);
// rows past the tile's end repeat its last row. 32 outputs per work-item: Hp is a
// multiple of 32.
__kernel void ffn_up(__global const float* x, __global const int* row_token, __global const float* w1t,
                     __global const float* b1, __global const float* wgt, __global const float* bg,
                     __global const int* tile_expert, __global const int* tile_row, __global const int* tile_rows,
                     __global float* h, int D, int Hp, int act) {
    const int n0 = get_global_id(0) * 32, tile = get_global_id(1);
    if (n0 >= Hp) return;
    const int e = tile_expert[tile], row0 = tile_row[tile], rows = tile_rows[tile];
    __global const float* xr[RM];
    _Pragma("unroll") for (int i = 0; i < RM; ++i) xr[i] = x + (size_t)row_token[row0 + min(i, rows - 1)] * D;
    float16 acc[RM], acc2[RM];
    BLOCK_GEMM(acc, acc2, xr, w1t + (size_t)e * D * Hp + n0, Hp, D);
    __global const float* bp = b1 + (size_t)e * Hp + n0;
    const float16 bias = vload16(0, bp), bias2 = vload16(1, bp);
    if (act == 3) {
        float16 gacc[RM], gacc2[RM];
        BLOCK_GEMM(gacc, gacc2, xr, wgt + (size_t)e * D * Hp + n0, Hp, D);
        __global const float* gp = bg + (size_t)e * Hp + n0;
        const float16 gb = vload16(0, gp), gb2 = vload16(1, gp);
        for (int i = 0; i < rows; ++i) {
            __global float* hr = h + (size_t)(row0 + i) * Hp + n0;
            vstore16((acc[i] + bias) * activate16(gacc[i] + gb, 2), 0, hr);
            vstore16((acc2[i] + bias2) * activate16(gacc2[i] + gb2, 2), 1, hr);
        }
    } else {
        for (int i = 0; i < rows; ++i) {
            __global float* hr = h + (size_t)(row0 + i) * Hp + n0;
            vstore16(activate16(acc[i] + bias, act), 0, hr);
            vstore16(activate16(acc2[i] + bias2, act), 1, hr);
        }
    }
}

// y[row][d] = h[row]·W2[e][:, d] + b2[e][d], over the padded hidden width (its pad is 0).
// 32 outputs per work-item: Dp is a multiple of 32.
__kernel void ffn_down(__global const float* h, __global const float* w2t, __global const float* b2,
                       __global const int* tile_expert, __global const int* tile_row, __global const int* tile_rows,
                       __global float* y, int Dp, int Hp) {
    const int d0 = get_global_id(0) * 32, tile = get_global_id(1);
    if (d0 >= Dp) return;
    const int e = tile_expert[tile], row0 = tile_row[tile], rows = tile_rows[tile];
    __global const float* hr[RM];
    _Pragma("unroll") for (int i = 0; i < RM; ++i) hr[i] = h + (size_t)(row0 + min(i, rows - 1)) * Hp;
    float16 acc[RM], acc2[RM];
    BLOCK_GEMM(acc, acc2, hr, w2t + (size_t)e * Hp * Dp + d0, Dp, Hp);
    __global const float* bp = b2 + (size_t)e * Dp + d0;
    const float16 bias = vload16(0, bp), bias2 = vload16(1, bp);
    for (int i = 0; i < rows; ++i) {
        __global float* yr = y + (size_t)(row0 + i) * Dp + d0;
        vstore16(acc[i] + bias, 0, yr);
        vstore16(acc2[i] + bias2, 1, yr);
    }
}
