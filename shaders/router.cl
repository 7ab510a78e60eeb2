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
