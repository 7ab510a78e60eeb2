// Expert FFN for GPUs: work-group tiled GEMMs (expert_ffn.cl stays the CPU kernel).
// A 16 x 16 work-group computes a 64 x 64 block of one expert tile's outputs (TR rows
// of the tile, 64 output columns): each step stages 16 of the inner dimension of the
// rows and of the weights in local memory, then every work-item accumulates its 4 x 4
// outputs from there (columns 16 apart, so neighbouring work-items read neighbouring
// local words). Tiles hold up to 64 rows of one expert; rows and columns past the end
// are zero on load and not stored.
#define TT 64  // outputs per work-group along rows and along columns
#define TKK 16 // inner-dimension step staged in local memory
#define WPT 4  // outputs per work-item along each axis (TT / 16)

// acc += xs · ws for one staged step.
#define TILE_STEP(acc, xs, ws)                                                   \
    for (int kk = 0; kk < TKK; ++kk) {                                           \
        float wv[WPT];                                                           \
        for (int j = 0; j < WPT; ++j) wv[j] = ws[kk][lx + 16 * j];                \
        for (int i = 0; i < WPT; ++i) {                                          \
            const float xv = xs[ly + 16 * i][kk];                                \
            for (int j = 0; j < WPT; ++j) acc[i][j] = fma(xv, wv[j], acc[i][j]);  \
        }                                                                        \
    }

// Stages x rows [row0, row0 + rows) x inner [k0, k0 + TKK) and the weight block
// [k0, k0 + TKK) x [n0, n0 + TT) of a [K][ldw] matrix.
#define STAGE(xs, x, ldx, rows, ws, w, ldw, K, N)                                             \
    for (int l = tid; l < TT * TKK; l += 256) {                                               \
        const int r = l / TKK, kk = l % TKK;                                                  \
        xs[r][kk] = (r < (rows) && k0 + kk < (K)) ? (x)[(size_t)r * (ldx) + k0 + kk] : 0.0f;   \
        const int kw = l / TT, c = l % TT;                                                    \
        ws[kw][c] = (k0 + kw < (K) && n0 + c < (N)) ? (w)[(size_t)(k0 + kw) * (ldw) + n0 + c] : 0.0f; \
    }

// h[row][n] = act(x[row]·W1[e][:, n] + b1[e][n]); SwiGLU multiplies by the up projection.
__kernel __attribute__((reqd_work_group_size(16, 16, 1)))
void ffn_up_tiled(__global const float* xg, __global const float* w1t, __global const float* b1,
                  __global const float* wgt, __global const float* bg,
                  __global const int* tile_expert, __global const int* tile_row, __global const int* tile_rows,
                  __global float* h, int D, int Hp, int act) {
    __local float xs[TT][TKK + 1];  // +1: rows fall in different banks
    __local float ws[TKK][TT];
    __local float gs[TKK][TT];
    const int lx = get_local_id(0), ly = get_local_id(1), tid = ly * 16 + lx;
    const int n0 = get_group_id(0) * TT, tile = get_group_id(1);
    const int e = tile_expert[tile], row0 = tile_row[tile], rows = tile_rows[tile];
    __global const float* x = xg + (size_t)row0 * D;
    __global const float* w = w1t + (size_t)e * D * Hp;
    __global const float* g = wgt + (size_t)e * D * Hp;
    float acc[WPT][WPT], gacc[WPT][WPT];
    for (int i = 0; i < WPT; ++i)
        for (int j = 0; j < WPT; ++j) acc[i][j] = gacc[i][j] = 0.0f;
    for (int k0 = 0; k0 < D; k0 += TKK) {
        STAGE(xs, x, D, rows, ws, w, Hp, D, Hp);
        if (act == 3)
            for (int l = tid; l < TT * TKK; l += 256) {
                const int kw = l / TT, c = l % TT;
                gs[kw][c] = (k0 + kw < D && n0 + c < Hp) ? g[(size_t)(k0 + kw) * Hp + n0 + c] : 0.0f;
            }
        barrier(CLK_LOCAL_MEM_FENCE);
        TILE_STEP(acc, xs, ws);
        if (act == 3) TILE_STEP(gacc, xs, gs);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int i = 0; i < WPT; ++i) {
        const int r = ly + 16 * i;
        if (r >= rows) continue;
        for (int j = 0; j < WPT; ++j) {
            const int c = n0 + lx + 16 * j;
            if (c >= Hp) continue;
            const float v = acc[i][j] + b1[(size_t)e * Hp + c];
            h[(size_t)(row0 + r) * Hp + c] =
                act == 3 ? v * activate1(gacc[i][j] + bg[(size_t)e * Hp + c], 2) : activate1(v, act);
        }
    }
}

// y[row][d] = h[row]·W2[e][:, d] + b2[e][d], over the padded hidden width (its pad is 0).
__kernel __attribute__((reqd_work_group_size(16, 16, 1)))
void ffn_down_tiled(__global const float* h, __global const float* w2t, __global const float* b2,
                    __global const int* tile_expert, __global const int* tile_row, __global const int* tile_rows,
                    __global float* y, int Dp, int Hp) {
    __local float xs[TT][TKK + 1];
    __local float ws[TKK][TT];
    const int lx = get_local_id(0), ly = get_local_id(1), tid = ly * 16 + lx;
    const int n0 = get_group_id(0) * TT, tile = get_group_id(1);
    const int e = tile_expert[tile], row0 = tile_row[tile], rows = tile_rows[tile];
    __global const float* x = h + (size_t)row0 * Hp;
    __global const float* w = w2t + (size_t)e * Hp * Dp;
    float acc[WPT][WPT];
    for (int i = 0; i < WPT; ++i)
        for (int j = 0; j < WPT; ++j) acc[i][j] = 0.0f;
    for (int k0 = 0; k0 < Hp; k0 += TKK) {
        STAGE(xs, x, Hp, rows, ws, w, Dp, Hp, Dp);
        barrier(CLK_LOCAL_MEM_FENCE);
        TILE_STEP(acc, xs, ws);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int i = 0; i < WPT; ++i) {
        const int r = ly + 16 * i;
        if (r >= rows) continue;
        for (int j = 0; j < WPT; ++j) {
            const int c = n0 + lx + 16 * j;
            if (c < Dp) y[(size_t)(row0 + r) * Dp + c] = acc[i][j] + b2[(size_t)e * Dp + c];
        }
    }
}
