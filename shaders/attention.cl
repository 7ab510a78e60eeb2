// Causal grouped-KV attention (core/lm/lm_ops.hpp). q, out: [n][heads*hd], rows are
// positions first_pos..first_pos+n-1; k, v: [first_pos+n][kv_heads*hd], positions 0..
// (a KV cache plus the new rows). Query head h reads KV head h / (heads / kv_heads).
// Online softmax (flash-attention style): keys are taken a block at a time; each block's
// scores live in private memory, the running maximum m, sum l and the weighted sum acc
// are rescaled by exp(m_old - m_new) once per block, so no T-long row of scores is kept
// and every exp has an argument <= 0 (the max subtraction of a stable softmax).
#define ATT_MAX_HD 128  // the host runs larger heads, and widths no multiple of 16, on the reference
#define ATT_BK 32       // keys per block in causal_attention_tiled (16 in causal_attention)
#define ATT_BQ 64       // query rows per work-group in causal_attention_tiled

// Folds the scores s[0..cnt) into (m, l, acc): acc has `dims` entries of type T,
// VAL(jj, d) is entry d of key jj's v row in that type.
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

float hmax16(float16 v) {
    const float8 a = fmax(v.lo, v.hi);
    const float4 b = fmax(a.lo, a.hi);
    return fmax(fmax(b.x, b.y), fmax(b.z, b.w));
}
float hsum16(float16 v) {
    const float8 a = v.lo + v.hi;
    const float4 b = a.lo + a.hi;
    return (b.x + b.y) + (b.z + b.w);
}

// The CPU kernel, shaped as the register-blocked GEMMs of expert_ffn.cl: one work-item
// per ATT_RQ consecutive query rows of one head and 16 keys at a time. kt is k
// transposed per KV head, [kv_heads][hd][ldk] (ldk: keys padded to 16 with zeros), so the
// scores of 16 keys are one float16 per row, built from one 16-wide load per column that
// feeds every row; the softmax runs on those vectors, and p·v adds each key's v row
// (hd / 16 float16 loads) into every row's sum. Keys past a row's position score -inf.
#define ATT_RQ 4
__kernel void causal_attention(__global const float* q, __global const float* kt, __global const float* v,
                               __global float* out, int n, int first_pos, int heads, int kv_heads, int hd,
                               int ldk, float scale) {
    const int i0 = get_global_id(0) * ATT_RQ, h = get_global_id(1);
    if (i0 >= n) return;
    const int rows = min(ATT_RQ, n - i0);
    const int qs = heads * hd, kvs = kv_heads * hd, kvh = h / (heads / kv_heads), hd16 = hd / 16;
    __global const float* kth = kt + (size_t)kvh * hd * ldk;
    __global const float* vb = v + kvh * hd;
    float qv[ATT_RQ][ATT_MAX_HD], m[ATT_RQ], l[ATT_RQ], p[ATT_RQ][16];
    float16 acc[ATT_RQ][ATT_MAX_HD / 16];
    for (int r = 0; r < ATT_RQ; ++r) {  // rows past n repeat the last one and are not stored
        __global const float* qr = q + (size_t)(i0 + min(r, rows - 1)) * qs + h * hd;
        for (int d = 0; d < hd; ++d) qv[r][d] = qr[d] * scale;
        for (int c = 0; c < hd16; ++c) acc[r][c] = (float16)0.0f;
        m[r] = -INFINITY, l[r] = 0.0f;
    }
    const int keys = first_pos + i0 + rows;  // what the last row sees
    const int16 lane = (int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (int j0 = 0; j0 < keys; j0 += 16) {
        float16 sc[ATT_RQ];
        for (int r = 0; r < ATT_RQ; ++r) sc[r] = (float16)0.0f;
        for (int d = 0; d < hd; ++d) {
            const float16 kk = vload16(0, kth + (size_t)d * ldk + j0);
            for (int r = 0; r < ATT_RQ; ++r) sc[r] = fma((float16)qv[r][d], kk, sc[r]);
        }
        for (int r = 0; r < ATT_RQ; ++r) {  // key 0 is in every row's first block: m is finite after it
            const int16 seen = (int16)(j0) + lane <= (int16)(first_pos + i0 + r);
            const float16 sr = select((float16)(-INFINITY), sc[r], seen);
            const float mn = fmax(m[r], hmax16(sr)), corr = exp(m[r] - mn);  // 0 on the first block
            const float16 pr = exp(sr - (float16)mn);
            l[r] = l[r] * corr + hsum16(pr);
            for (int c = 0; c < hd16; ++c) acc[r][c] *= corr;
            vstore16(pr, 0, p[r]);
            m[r] = mn;
        }
        const int cnt = min(16, keys - j0);
        for (int jj = 0; jj < cnt; ++jj) {
            __global const float* vr = vb + (size_t)(j0 + jj) * kvs;
            for (int c = 0; c < hd16; ++c) {
                const float16 vv = vload16(c, vr);
                for (int r = 0; r < ATT_RQ; ++r) acc[r][c] = fma((float16)p[r][jj], vv, acc[r][c]);
            }
        }
    }
    for (int r = 0; r < rows; ++r) {
        __global float* o = out + (size_t)(i0 + r) * qs + h * hd;
        const float inv = 1.0f / l[r];
        for (int c = 0; c < hd16; ++c) vstore16(acc[r][c] * inv, c, o);
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
