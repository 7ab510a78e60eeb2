#pragma once
// A sort whose order of equal keys is the same on every platform: the algorithm of
// libstdc++'s std::sort (introsort: median-of-three quicksort down to 16 elements, heap
// sort past the depth limit, then one insertion sort), written out. EPLB (eplb.cpp)
// follows eplb.py, whose torch.sort on the CPU is that std::sort; libc++ (the browser's
// build) orders ties differently, and so would place experts differently.
#include <utility>
#include <vector>

namespace moe {

// (weight, index) pairs, heaviest first; equal weights in libstdc++'s std::sort order.
void sortHeaviestFirst(std::vector<std::pair<float, int>>& items);
// The same with another depth limit than std::sort's 2·floor(log2 n): 0 heap-sorts at
// once (for the tests: libstdc++'s fallback is std::partial_sort(first, last, last)).
void sortHeaviestFirst(std::vector<std::pair<float, int>>& items, int depthLimit);

}  // namespace moe
