// Router GEMM: out[t][e] = sum_j x[t][j] * w[e][j] (+ bias[e]), summed in j order with a
// separate multiply and add, exactly as core/router.cpp's routerLinear, so routing is
// bit-identical with the reference. Vectorised across 16 experts: wt is the weight
// transposed, [D][Ep], Ep = E padded to 16. jitter (optional) multiplies x first.
// One work-item per (16 experts, token).
__kernel void router_linear(__global const float* x, __global const float* jitter, int use_jitter,
                            __global const float* wt, __global const float* bias, int use_bias,
                            __global float* out, int T, int D, int E, int Ep) {
    const int e0 = get_global_id(0) * 16, t = get_global_id(1);
    if (e0 >= E || t >= T) return;
    __global const float* xr = x + (size_t)t * D;
    __global const float* jr = jitter + (size_t)t * D;
    float16 acc = (float16)0.0f;
    for (int j = 0; j < D; ++j) {
        const float xv = use_jitter ? xr[j] * jr[j] : xr[j];
        const float16 prod = (float16)xv * vload16(0, wt + (size_t)j * Ep + e0);
        acc = acc + prod;
    }
    if (use_bias) acc = acc + vload16(0, bias + e0);
    float r[16];
    vstore16(acc, 0, r);
    const int n = min(16, E - e0);
    for (int i = 0; i < n; ++i) out[(size_t)t * E + e0 + i] = r[i];
}

// The same GEMM for GPUs: a 16 x 16 work-group computes 64 tokens x 16 experts, each
// work-item 4 tokens (16 apart) of one expert. Each step stages 16 of the inner
// dimension of the 64 rows (jitter applied on the way in) and of the 16 experts'
// weights in local memory, with neighbouring work-items loading neighbouring words;
// every output is still summed in j order with a separate multiply and add, so the
// logits are the reference's bit for bit.
#define RT_TOK 64
#define RT_K 16
__kernel __attribute__((reqd_work_group_size(16, 16, 1)))
void router_linear_tiled(__global const float* x, __global const float* jitter, int use_jitter,
                         __global const float* wt, __global const float* bias, int use_bias,
                         __global float* out, int T, int D, int E, int Ep) {
    __local float xs[RT_TOK][RT_K + 1];  // +1: rows fall in different banks
    __local float ws[RT_K][16];
    const int lx = get_local_id(0), ly = get_local_id(1), tid = ly * 16 + lx;
    const int e0 = get_group_id(0) * 16, t0 = get_group_id(1) * RT_TOK;
    float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int k0 = 0; k0 < D; k0 += RT_K) {
        for (int l = tid; l < RT_TOK * RT_K; l += 256) {
            const int r = l / RT_K, kk = l % RT_K, t = t0 + r, j = k0 + kk;
            float xv = 0.0f;
            if (t < T && j < D) {
                xv = x[(size_t)t * D + j];
                if (use_jitter) xv = xv * jitter[(size_t)t * D + j];
            }
            xs[r][kk] = xv;
        }
        {
            const int kk = tid / 16, c = tid % 16;  // 256 work-items, 16 x 16 weights
            ws[kk][c] = k0 + kk < D ? wt[(size_t)(k0 + kk) * Ep + e0 + c] : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        const int steps = min(RT_K, D - k0);  // past D nothing is added, not even a zero
        for (int kk = 0; kk < steps; ++kk) {
            const float w = ws[kk][lx];
            for (int i = 0; i < 4; ++i) {
                const float prod = xs[ly + 16 * i][kk] * w;
                acc[i] = acc[i] + prod;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const int e = e0 + lx;
    if (e >= E) return;
    for (int i = 0; i < 4; ++i) {
        const int t = t0 + ly + 16 * i;
        if (t < T) out[(size_t)t * E + e] = use_bias ? acc[i] + bias[e] : acc[i];
    }
}
