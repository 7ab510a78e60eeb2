// The language model's row ops (core/lm/lm_ops.hpp): RMSNorm, a bias-free linear
// layer x·wᵀ and rotary position embedding. Rows are positions; every matrix is row-major.

// out[t] = x[t] / sqrt(mean(x[t]^2) + eps) * gain: one work-group of RN work-items per row,
// each summing a strided share of the squares, then a tree reduction in local memory.
#define RN 64
__kernel __attribute__((reqd_work_group_size(RN, 1, 1)))
void rms_norm(__global const float* x, __global const float* gain, float eps, __global float* out, int D) {
    __local float part[RN];
    const int t = get_group_id(0), l = get_local_id(0);
    __global const float* xr = x + (size_t)t * D;
    float s = 0.0f;
    for (int j = l; j < D; j += RN) s += xr[j] * xr[j];
    part[l] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int w = RN / 2; w > 0; w >>= 1) {
        if (l < w) part[l] += part[l + w];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float inv = 1.0f / sqrt(part[0] / (float)D + eps);
    __global float* o = out + (size_t)t * D;
    for (int j = l; j < D; j += RN) o[j] = xr[j] * inv * gain[j];
}

// out = x · wᵀ on the CPU micro-kernel of expert_ffn.cl (BLOCK_GEMM): RM rows x 32
// outputs per work-item. wt is w transposed, [K][Np], Np = N padded to 32 with zeros.
// Rows past T repeat the last row and are not stored; outputs past N are not stored.
__kernel void linear_blocked(__global const float* x, __global const float* wt, __global float* out, int T, int K,
                             int N, int Np) {
    const int n0 = get_global_id(0) * 32, row0 = get_global_id(1) * RM;
    if (n0 >= Np || row0 >= T) return;
    const int rows = min(RM, T - row0), cols = min(32, N - n0);
    __global const float* xr[RM];
    _Pragma("unroll") for (int i = 0; i < RM; ++i) xr[i] = x + (size_t)(row0 + min(i, rows - 1)) * K;
    float16 acc[RM], acc2[RM];
    BLOCK_GEMM(acc, acc2, xr, wt + n0, Np, K);
    for (int i = 0; i < rows; ++i) {
        __global float* o = out + (size_t)(row0 + i) * N + n0;
        if (cols == 32) {
            vstore16(acc[i], 0, o);
            vstore16(acc2[i], 1, o);
        } else {  // the last, partial block of columns
            float r[32];
            vstore16(acc[i], 0, r);
            vstore16(acc2[i], 1, r);
            for (int c = 0; c < cols; ++c) o[c] = r[c];
        }
    }
}

// The same product for GPUs on expert_ffn_tiled.cl's scheme (STAGE, TILE_STEP): a 16 x 16
// work-group computes 64 rows x 64 outputs, staging 16 of the inner dimension per step.
__kernel __attribute__((reqd_work_group_size(16, 16, 1)))
void linear_tiled(__global const float* x, __global const float* wt, __global float* out, int T, int K, int N,
                  int Np) {
    __local float xs[TT][TKK + 1];  // +1: rows fall in different banks
    __local float ws[TKK][TT];
    const int lx = get_local_id(0), ly = get_local_id(1), tid = ly * 16 + lx;
    const int n0 = get_group_id(0) * TT, row0 = get_group_id(1) * TT;
    const int rows = min(TT, T - row0);
    __global const float* xb = x + (size_t)row0 * K;
    float acc[WPT][WPT];
    for (int i = 0; i < WPT; ++i)
        for (int j = 0; j < WPT; ++j) acc[i][j] = 0.0f;
    for (int k0 = 0; k0 < K; k0 += TKK) {
        STAGE(xs, xb, K, rows, ws, wt, Np, K, N);
        barrier(CLK_LOCAL_MEM_FENCE);
        TILE_STEP(acc, xs, ws);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int i = 0; i < WPT; ++i) {
        const int r = ly + 16 * i;
        if (r >= rows) continue;
        for (int j = 0; j < WPT; ++j) {
            const int c = n0 + lx + 16 * j;
            if (c < N) out[(size_t)(row0 + r) * N + c] = acc[i][j];
        }
    }
}

// Rotary embedding in place, rotate-half convention: for i < hd/2,
// x[i] = x1·cos[i] - x2·sin[i], x[i + hd/2] = x2·cos[i + hd/2] + x1·sin[i + hd/2].
// cos_rows and sin_rows hold the table's rows of this call's positions, [n][hd].
// One work-item per (pair i, head, row).
__kernel void rope(__global float* qk, __global const float* cos_rows, __global const float* sin_rows, int hd,
                   int row_stride) {
    const int i = get_global_id(0), h = get_global_id(1), r = get_global_id(2), mid = hd / 2;
    __global float* x = qk + (size_t)r * row_stride + h * hd;
    __global const float* c = cos_rows + (size_t)r * hd;
    __global const float* s = sin_rows + (size_t)r * hd;
    const float x1 = x[i], x2 = x[i + mid];
    x[i] = x1 * c[i] - x2 * s[i];
    x[i + mid] = x2 * c[i + mid] + x1 * s[i + mid];
}
