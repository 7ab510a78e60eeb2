// Score function per token: z = logits (+ eps * softplus(noise_logits) for noisy top-k),
// scores = softmax(z/T) or sigmoid(z/T); T = 0 gives one-hot argmax / a step.
// Writes z too (the keys at T = 0). One work-item per token.
float softplus_f(float x) { return x > 20.0f ? x : log1p(exp(x)); }

__kernel void scores(__global const float* logits, __global const float* noise_logits,
                     __global const float* eps, int noisy, float temperature, int sigmoid_fn,
                     __global float* z, __global float* scores, int T, int E) {
    const int t = get_global_id(0);
    if (t >= T) return;
    __global const float* l = logits + (size_t)t * E;
    __global float* zr = z + (size_t)t * E;
    __global float* s = scores + (size_t)t * E;
    for (int e = 0; e < E; ++e) {
        float v = l[e];
        if (noisy) v += eps[(size_t)t * E + e] * softplus_f(noise_logits[(size_t)t * E + e]);
        zr[e] = v;
    }
    if (temperature == 0.0f) {
        if (!sigmoid_fn) {
            int best = 0;
            for (int e = 1; e < E; ++e)
                if (zr[e] > zr[best]) best = e;
            for (int e = 0; e < E; ++e) s[e] = e == best ? 1.0f : 0.0f;
        } else {
            for (int e = 0; e < E; ++e) s[e] = zr[e] > 0.0f ? 1.0f : (zr[e] < 0.0f ? 0.0f : 0.5f);
        }
        return;
    }
    const real invT = (real)1.0 / (real)temperature;
    if (!sigmoid_fn) {
        real m = -INFINITY;
        for (int e = 0; e < E; ++e) m = fmax(m, (real)zr[e] * invT);
        real sum = 0;
        for (int e = 0; e < E; ++e) sum += exp((real)zr[e] * invT - m);
        for (int e = 0; e < E; ++e) s[e] = (float)(exp((real)zr[e] * invT - m) / sum);
    } else {
        for (int e = 0; e < E; ++e) s[e] = (float)((real)1.0 / ((real)1.0 + exp(-((real)zr[e] * invT))));
    }
}
