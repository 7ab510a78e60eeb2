#include "tie_sort.hpp"

#include <bit>

namespace moe {
namespace {

using Item = std::pair<float, int>;
using It = std::vector<Item>::iterator;

constexpr long kInsertionThreshold = 16;  // libstdc++'s _S_threshold

bool before(const Item& a, const Item& b) { return a.first > b.first; }

void moveMedianToFirst(It result, It a, It b, It c) {
    if (before(*a, *b)) {
        if (before(*b, *c))
            std::iter_swap(result, b);
        else if (before(*a, *c))
            std::iter_swap(result, c);
        else
            std::iter_swap(result, a);
    } else if (before(*a, *c)) {
        std::iter_swap(result, a);
    } else if (before(*b, *c)) {
        std::iter_swap(result, c);
    } else {
        std::iter_swap(result, b);
    }
}

It unguardedPartition(It first, It last, It pivot) {
    while (true) {
        while (before(*first, *pivot)) ++first;
        --last;
        while (before(*pivot, *last)) --last;
        if (!(first < last)) return first;
        std::iter_swap(first, last);
        ++first;
    }
}

void pushHeap(It first, long hole, long top, Item value) {
    long parent = (hole - 1) / 2;
    while (hole > top && before(first[parent], value)) {
        first[hole] = first[parent];
        hole = parent;
        parent = (hole - 1) / 2;
    }
    first[hole] = value;
}

void adjustHeap(It first, long hole, long len, Item value) {
    const long top = hole;
    long child = hole;
    while (child < (len - 1) / 2) {
        child = 2 * (child + 1);
        if (before(first[child], first[child - 1])) child--;
        first[hole] = first[child];
        hole = child;
    }
    if ((len & 1) == 0 && child == (len - 2) / 2) {
        child = 2 * (child + 1);
        first[hole] = first[child - 1];
        hole = child - 1;
    }
    pushHeap(first, hole, top, value);
}

// std::__partial_sort(first, last, last): make_heap, then sort_heap.
void heapSort(It first, It last) {
    const long len = last - first;
    if (len < 2) return;
    for (long parent = (len - 2) / 2;; --parent) {
        adjustHeap(first, parent, len, first[parent]);
        if (parent == 0) break;
    }
    while (last - first > 1) {
        --last;
        const Item value = *last;
        *last = *first;
        adjustHeap(first, 0, last - first, value);
    }
}

void introsortLoop(It first, It last, int depthLimit) {
    while (last - first > kInsertionThreshold) {
        if (depthLimit == 0) {
            heapSort(first, last);
            return;
        }
        --depthLimit;
        const It mid = first + (last - first) / 2;
        moveMedianToFirst(first, first + 1, mid, last - 1);
        const It cut = unguardedPartition(first + 1, last, first);
        introsortLoop(cut, last, depthLimit);
        last = cut;
    }
}

// Insertion sort keeps equal items in the order it finds them (libstdc++'s final pass:
// guarded for the first 16, unguarded after, the same result).
void insertionSort(It first, It last) {
    for (It i = first + 1; i < last; ++i) {
        const Item value = *i;
        It hole = i;
        for (; hole != first && before(value, *(hole - 1)); --hole) *hole = *(hole - 1);
        *hole = value;
    }
}

}  // namespace

void sortHeaviestFirst(std::vector<Item>& items, int depthLimit) {
    if (items.size() < 2) return;
    introsortLoop(items.begin(), items.end(), depthLimit);
    insertionSort(items.begin(), items.end());
}

void sortHeaviestFirst(std::vector<Item>& items) {
    const int lg = std::bit_width(items.size()) - 1;  // std::__lg
    sortHeaviestFirst(items, 2 * lg);
}

}  // namespace moe
