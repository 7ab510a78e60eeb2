// Causal grouped-KV attention (core/lm/lm_ops.hpp). q, out: [n][heads*hd], rows are
// positions first_pos..first_pos+n-1; k, v: [first_pos+n][kv_heads*hd], positions 0..
// (a KV cache plus the new rows). Query head h reads KV head h / (heads / kv_heads).
// Online softmax (flash-attention style): keys are taken ATT_BK at a time; each block's
// scores live in private memory, the running maximum m, sum l and the weighted sum acc
// are rescaled by exp(m_old - m_new) once per block, so no T-long row of scores is kept
// and every exp has an argument <= 0 (the max subtraction of a stable softmax).
#define ATT_MAX_HD 128  // the host runs larger heads on the reference
#define ATT_BK 32       // keys per block
#define ATT_BQ 64       // query rows per work-group in causal_attention_tiled

// Folds the scores s[0..cnt) of keys whose v rows are V(jj) into (m, l, acc).
#define ATT_FOLD(s, cnt, V)                                            \
    {                                                                  \
        float bm = s[0];                                               \
        for (int jj = 1; jj < (cnt); ++jj) bm = fmax(bm, s[jj]);       \
        const float mn = fmax(m, bm);                                  \
        const float corr = exp(m - mn); /* 0 on the first block */     \
        l *= corr;                                                     \
        for (int d = 0; d < hd; ++d) acc[d] *= corr;                   \
        for (int jj = 0; jj < (cnt); ++jj) {                           \
            const float p = exp(s[jj] - mn);                           \
            l += p;                                                    \
            for (int d = 0; d < hd; ++d) acc[d] = fma(p, V(jj)[d], acc[d]); \
        }                                                              \
        m = mn;                                                        \
    }

// One work-item per (query row, head), reading k and v from global memory (the CPU
// kernel: its caches do what local memory does on a GPU).
__kernel void causal_attention(__global const float* q, __global const float* k, __global const float* v,
                               __global float* out, int n, int first_pos, int heads, int kv_heads, int hd,
                               float scale) {
    const int i = get_global_id(0), h = get_global_id(1);
    if (i >= n) return;
    const int qs = heads * hd, kvs = kv_heads * hd, kvh = h / (heads / kv_heads);
    __global const float* qr = q + (size_t)i * qs + h * hd;
    __global const float* kb = k + kvh * hd;
    __global const float* vb = v + kvh * hd;
    float qv[ATT_MAX_HD], acc[ATT_MAX_HD], s[ATT_BK];
    for (int d = 0; d < hd; ++d) qv[d] = qr[d] * scale, acc[d] = 0.0f;
    float m = -INFINITY, l = 0.0f;
    const int visible = first_pos + i + 1;
    for (int j0 = 0; j0 < visible; j0 += ATT_BK) {
        const int cnt = min(ATT_BK, visible - j0);
        for (int jj = 0; jj < cnt; ++jj) {
            __global const float* kr = kb + (size_t)(j0 + jj) * kvs;
            float dot = 0.0f;
            for (int d = 0; d < hd; ++d) dot = fma(qv[d], kr[d], dot);
            s[jj] = dot;
        }
#define ATT_GLOBAL_V(jj) (vb + (size_t)(j0 + (jj)) * kvs)
        ATT_FOLD(s, cnt, ATT_GLOBAL_V);
#undef ATT_GLOBAL_V
    }
    __global float* o = out + (size_t)i * qs + h * hd;
    const float inv = 1.0f / l;
    for (int d = 0; d < hd; ++d) o[d] = acc[d] * inv;
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
#define ATT_LOCAL_V(jj) (vs + (jj) * hd)
            ATT_FOLD(s, mine, ATT_LOCAL_V);
#undef ATT_LOCAL_V
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (!active) return;
    __global float* o = out + (size_t)i * qs + h * hd;
    const float inv = 1.0f / l;
    for (int d = 0; d < hd; ++d) o[d] = acc[d] * inv;
}
