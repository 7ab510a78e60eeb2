// Capacity in the order of docs/contract.md: rank by rank, within a rank by position or score.

// Score priority: order[r*T + p] = the token at place p of rank r, where tokens are
// sorted by the score of their r-th choice, higher first, ties by position (a stable
// sort, computed by counting). One work-item per (token, rank).
__kernel void priority_order(__global const float* scores, __global const int* choices,
                             __global int* order, int T, int E, int k) {
    const int t = get_global_id(0), r = get_global_id(1);
    if (t >= T || r >= k) return;
    const float mine = scores[(size_t)t * E + choices[(size_t)t * k + r]];
    int place = 0;
    for (int u = 0; u < T; ++u) {
        const float other = scores[(size_t)u * E + choices[(size_t)u * k + r]];
        place += other > mine || (other == mine && u < t);
    }
    order[(size_t)r * T + place] = t;
}

// Drop policy: an expert's decisions depend only on its own assignments, so each
// expert scans the slots in priority order on its own. One work-item per expert.
// GShard random routing: token t's second choice is not dispatched unless 2*w2 > u[t].
int skipped_second(int random_routing, int r, __global const float* weights, __global const float* u, int t, size_t s) {
    return random_routing && r == 1 && !(2.0f * weights[s] > u[t]);
}

// GShard's group-local capacity: token t is in group t*G/T and competes for caps[group]
// (G = 1: one group, caps[0] the capacity, -1 when dropless). At most 64 groups.
#define MAX_CAPACITY_GROUPS 64
int capacity_group(int t, int T, int G) { return G > 1 ? (int)(((long)t * G) / T) : 0; }

__kernel void capacity_drop(__global const int* choices, __global const int* order, int use_order,
                            __global const int* caps, int G, __global uchar* kept, __global int* requested,
                            __global int* kept_count, __global int* overflow, int T, int E, int k,
                            __global const float* weights, __global const float* u, int random_routing,
                            __global uchar* skipped) {
    const int e = get_global_id(0);
    if (e >= E) return;
    int load[MAX_CAPACITY_GROUPS];
    for (int g = 0; g < G; ++g) load[g] = 0;
    int req = 0, over = 0;
    for (int r = 0; r < k; ++r) {
        for (int i = 0; i < T; ++i) {
            const int t = use_order ? order[(size_t)r * T + i] : i;
            const size_t s = (size_t)t * k + r;
            if (choices[s] != e) continue;
            if (skipped_second(random_routing, r, weights, u, t, s)) {
                skipped[s] = 1;
                kept[s] = 0;
                continue;
            }
            skipped[s] = 0;
            ++req;
            const int g = capacity_group(t, T, G), capacity = caps[g];
            if (capacity < 0 || load[g] < capacity) {
                ++load[g];
                kept[s] = 1;
            } else {
                ++over;
                kept[s] = 0;
            }
        }
    }
    int total = 0;
    for (int g = 0; g < G; ++g) total += load[g];
    requested[e] = req;
    kept_count[e] = total;
    overflow[e] = over;
}

// Reroute policy: a moved assignment takes room another expert's later tokens wanted,
// so the greedy order is sequential by nature. One work-item in all; `load` is
// scratch of G*E ints (per group, per expert), left holding each expert's total in its
// first E. choices are rewritten with the expert that serves each slot.
__kernel void capacity_reroute(__global int* choices, __global float* weights, __global const int* order,
                               int use_order, __global const int* caps, int G, __global const float* keys,
                               __global const float* scores, __global const float* norms, __global uchar* kept,
                               __global int* requested, __global int* all_load, __global int* overflow,
                               int T, int E, int k, __global const float* u, int random_routing,
                               __global uchar* skipped) {
    if (get_global_id(0) != 0) return;
    for (int e = 0; e < E; ++e) requested[e] = overflow[e] = 0;
    for (int i = 0; i < G * E; ++i) all_load[i] = 0;
    for (int r = 0; r < k; ++r) {
        for (int i = 0; i < T; ++i) {
            const int t = use_order ? order[(size_t)r * T + i] : i;
            const size_t s = (size_t)t * k + r;
            const int e = choices[s];
            const int g = capacity_group(t, T, G), capacity = caps[g];
            __global int* load = all_load + (size_t)g * E;
            skipped[s] = skipped_second(random_routing, r, weights, u, t, s);
            if (skipped[s]) {
                kept[s] = 0;
                continue;
            }
            ++requested[e];
            if (load[e] < capacity) {
                ++load[e];
                kept[s] = 1;
                continue;
            }
            ++overflow[e];
            kept[s] = 0;
            __global const float* key = keys + (size_t)t * E;
            int best = -1;
            for (int c = 0; c < E; ++c) {
                if (load[c] >= capacity || isinf(key[c])) continue;
                int has = 0;
                for (int j = 0; j < k; ++j) has |= choices[(size_t)t * k + j] == c;
                if (has) continue;
                if (best < 0 || key[c] > key[best]) best = c;
            }
            if (best < 0) continue;
            // Weights were fixed before capacity: the new expert's score times the token's
            // normaliser from its original k best (topk.cl).
            choices[s] = best;
            weights[s] = scores[(size_t)t * E + best] * norms[t];
            kept[s] = 1;
            ++load[best];
        }
    }
    for (int e = 0; e < E; ++e) {  // each expert's total over the groups, into the first E
        int total = 0;
        for (int g = 0; g < G; ++g) total += all_load[(size_t)g * E + e];
        all_load[e] = total;
    }
}
