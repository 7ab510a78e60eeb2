#pragma once
#include <algorithm>
#include <chrono>
#include <vector>

namespace moe {

template <typename Fn>
double medianMs(Fn&& fn, double minSeconds) {
    using Clock = std::chrono::steady_clock;
    fn();  // warm-up: first-touch allocations, caches, kernel compilation
    std::vector<double> ms;
    const auto start = Clock::now();
    while (ms.size() < 3 ||
           (ms.size() < 1000 && std::chrono::duration<double>(Clock::now() - start).count() < minSeconds)) {
        const auto t0 = Clock::now();
        fn();
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
    return ms[ms.size() / 2];
}

}  // namespace moe
