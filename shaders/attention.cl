// Causal grouped-KV attention (core/lm/lm_ops.hpp). q, out: [n][heads*hd], rows are
// positions first_pos..first_pos+n-1; k, v: [first_pos+n][kv_heads*hd], positions 0..
// (a KV cache plus the new rows). Query head h reads KV head h / (heads / kv_heads).
// Online softmax (flash-attention style): keys are taken ATT_BK at a time; each block's
// scores live in private memory, the running maximum m, sum l and the weighted sum acc
// are rescaled by exp(m_old - m_new) once per block, so no T-long row of scores is kept
// and every exp has an argument <= 0 (the max subtraction of a stable softmax).
#define ATT_MAX_HD 128  // the host runs larger heads, and widths no multiple of 4, on the reference
#define ATT_BK 32       // keys per block
#define ATT_BQ 64       // query rows per work-group in causal_attention_tiled

// Folds the scores s[0..cnt) into (m, l, acc): acc has `dims` entries of type T (float or
// float4), VAL(jj, d) is entry d of key jj's v row in that type.
#define ATT_FOLD(s, cnt, dims, T, VAL)                                 \
    {                                                                  \
        float bm = s[0];                                               \
        for (int jj = 1; jj < (cnt); ++jj) bm = fmax(bm, s[jj]);       \
        const float mn = fmax(m, bm);                                  \
        const float corr = exp(m - mn); /* 0 on the first block */     \
        l *= corr;                                                     \
        for (int d = 0; d < (dims); ++d) acc[d] *= corr;               \
        for (int jj = 0; jj < (cnt); ++jj) {                           \
            const float p = exp(s[jj] - mn);                           \
            l += p;                                                    \
            for (int d = 0; d < (dims); ++d) acc[d] = fma((T)p, VAL(jj, d), acc[d]); \
        }                                                              \
        m = mn;                                                        \
    }

// The CPU kernel: one work-item per ATT_RQ consecutive query rows of one head, reading k
// and v from global memory (its caches do what local memory does on a GPU). Rows are
// float4 vectors; each k or v load feeds the ATT_RQ rows' independent multiply-adds, as
// the register-blocked GEMM of expert_ffn.cl does (PoCL does not vectorise across these
// work-items' unequal loops). Keys past a row's own position score -inf: weight 0.
#define ATT_RQ 4
__kernel void causal_attention(__global const float* q, __global const float* k, __global const float* v,
                               __global float* out, int n, int first_pos, int heads, int kv_heads, int hd,
                               float scale) {
    const int i0 = get_global_id(0) * ATT_RQ, h = get_global_id(1);
    if (i0 >= n) return;
    const int rows = min(ATT_RQ, n - i0);
    const int qs = heads * hd, kvs = kv_heads * hd, kvh = h / (heads / kv_heads), hd4 = hd / 4;
    __global const float* kb = k + kvh * hd;
    __global const float* vb = v + kvh * hd;
    float4 qv[ATT_RQ][ATT_MAX_HD / 4], acc[ATT_RQ][ATT_MAX_HD / 4];
    float s[ATT_RQ][ATT_BK], m[ATT_RQ], l[ATT_RQ];
    for (int r = 0; r < ATT_RQ; ++r) {  // rows past n repeat the last one and are not stored
        __global const float* qr = q + (size_t)(i0 + min(r, rows - 1)) * qs + h * hd;
        for (int d = 0; d < hd4; ++d) qv[r][d] = vload4(d, qr) * scale, acc[r][d] = (float4)0.0f;
        m[r] = -INFINITY, l[r] = 0.0f;
    }
    const int keys = first_pos + i0 + rows;  // what the last row sees
    for (int j0 = 0; j0 < keys; j0 += ATT_BK) {
        const int cnt = min(ATT_BK, keys - j0);
        for (int jj = 0; jj < cnt; ++jj) {
            __global const float* kr = kb + (size_t)(j0 + jj) * kvs;
            float4 a[ATT_RQ];
            for (int r = 0; r < ATT_RQ; ++r) a[r] = (float4)0.0f;
            for (int d = 0; d < hd4; ++d) {
                const float4 kv = vload4(d, kr);
                for (int r = 0; r < ATT_RQ; ++r) a[r] = fma(qv[r][d], kv, a[r]);
            }
            for (int r = 0; r < ATT_RQ; ++r)
                s[r][jj] = j0 + jj <= first_pos + i0 + r ? (a[r].x + a[r].y) + (a[r].z + a[r].w) : -INFINITY;
        }
        for (int r = 0; r < ATT_RQ; ++r) {  // key 0 is in every row's first block: m is finite after it
            float bm = -INFINITY;
            for (int jj = 0; jj < cnt; ++jj) bm = fmax(bm, s[r][jj]);
            const float mn = fmax(m[r], bm), corr = exp(m[r] - mn);  // 0 on the first block
            l[r] *= corr;
            for (int d = 0; d < hd4; ++d) acc[r][d] *= corr;
            m[r] = mn;
        }
        for (int jj = 0; jj < cnt; ++jj) {
            __global const float* vr = vb + (size_t)(j0 + jj) * kvs;
            float p[ATT_RQ];
            for (int r = 0; r < ATT_RQ; ++r) p[r] = exp(s[r][jj] - m[r]), l[r] += p[r];
            for (int d = 0; d < hd4; ++d) {
                const float4 vv = vload4(d, vr);
                for (int r = 0; r < ATT_RQ; ++r) acc[r][d] = fma((float4)p[r], vv, acc[r][d]);
            }
        }
    }
    for (int r = 0; r < rows; ++r) {
        __global float* o = out + (size_t)(i0 + r) * qs + h * hd;
        const float inv = 1.0f / l[r];
        for (int d = 0; d < hd4; ++d) vstore4(acc[r][d] * inv, d, o);
    }
}

// The GPU kernel: a work-group of ATT_BQ consecutive query rows of one head stages each
// block of ATT_BK keys and values in local memory (ks, vs: ATT_BK * hd floats each, set
// by the host), so a k or v row is read from global memory once per work-group instead
// of once per query row; every work-item then reads the same local word (a broadcast).
// The blocks run up to the group's last visible key; a row folds only the keys it sees.
__kernel __attribute__((reqd_work_group_size(ATT_BQ, 1, 1)))
void causal_attention_tiled(__global const float* q, __global const float* k, __global const float* v,
                            __global float* out, __local float* ks, __local float* vs, int n, int first_pos,
                            int heads, int kv_heads, int hd, float scale) {
    const int li = get_local_id(0), i = get_global_id(0), h = get_global_id(1);
    const int qs = heads * hd, kvs = kv_heads * hd, kvh = h / (heads / kv_heads);
    const bool active = i < n;
    float qv[ATT_MAX_HD], acc[ATT_MAX_HD], s[ATT_BK];
    for (int d = 0; d < hd; ++d) qv[d] = active ? q[(size_t)i * qs + h * hd + d] * scale : 0.0f, acc[d] = 0.0f;
    float m = -INFINITY, l = 0.0f;
    const int visible = first_pos + i + 1;
    const int group_visible = first_pos + min((int)get_group_id(0) * ATT_BQ + ATT_BQ, n);
    for (int j0 = 0; j0 < group_visible; j0 += ATT_BK) {
        const int cnt = min(ATT_BK, group_visible - j0);
        for (int e = li; e < cnt * hd; e += ATT_BQ) {
            const int r = e / hd, d = e % hd;
            const size_t at = (size_t)(j0 + r) * kvs + kvh * hd + d;
            ks[e] = k[at];
            vs[e] = v[at];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        const int mine = min(cnt, visible - j0);  // <= 0: this row sees none of the block
        if (active && mine > 0) {
            for (int jj = 0; jj < mine; ++jj) {
                float dot = 0.0f;
                for (int d = 0; d < hd; ++d) dot = fma(qv[d], ks[jj * hd + d], dot);
                s[jj] = dot;
            }
#define ATT_LOCAL_V(jj, d) vs[(jj) * hd + (d)]
            ATT_FOLD(s, mine, hd, float, ATT_LOCAL_V);
#undef ATT_LOCAL_V
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (!active) return;
    __global float* o = out + (size_t)i * qs + h * hd;
    const float inv = 1.0f / l;
    for (int d = 0; d < hd; ++d) o[d] = acc[d] * inv;
}
