// Reductions behind the load-balancing metrics. Per token: (logsumexp of logits)^2
// (ST-MoE z-loss), entropy of the scores normalised to sum 1, and those normalised
// scores; then per expert the column sums (Switch aux loss P_i). Fixed summation
// order: deterministic.
__kernel void token_stats(__global const float* logits, __global const float* scores, __global real* p,
                          __global real* z2, __global real* entropy, int T, int E) {
    const int t = get_global_id(0);
    if (t >= T) return;
    __global const float* l = logits + (size_t)t * E;
    __global const float* s = scores + (size_t)t * E;
    real m = l[0];
    for (int e = 1; e < E; ++e) m = fmax(m, (real)l[e]);
    real sum = 0;
    for (int e = 0; e < E; ++e) sum += exp((real)l[e] - m);
    const real lse = m + log(sum);
    z2[t] = lse * lse;
    real total = 0, h = 0;
    for (int e = 0; e < E; ++e) total += s[e];
    for (int e = 0; e < E; ++e) {
        const real q = total > 0 ? s[e] / total : 0;
        p[(size_t)t * E + e] = q;
        if (q > 0) h -= q * log(q);
    }
    entropy[t] = h;
}

// Work-items 0..E-1: column sums of p; E: sum of z2; E+1: sum of entropy.
__kernel void column_sums(__global const real* p, __global const real* z2, __global const real* entropy,
                          __global real* sums, int T, int E) {
    const int c = get_global_id(0);
    if (c > E + 1) return;
    real acc = 0;
    if (c < E) for (int t = 0; t < T; ++t) acc += p[(size_t)t * E + c];
    else if (c == E) for (int t = 0; t < T; ++t) acc += z2[t];
    else for (int t = 0; t < T; ++t) acc += entropy[t];
    sums[c] = acc;
}
