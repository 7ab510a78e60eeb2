#include "combine.hpp"

namespace moe {

void combineSlotsInRegion(const Routing& r, const SlotRows& slotOut, const Mat* shared, Mat& out) {
    const int T = r.tokens;
#pragma omp for schedule(static)
    for (int t = 0; t < T; ++t) {
        auto row = out.row(t);
        if (shared)
            row = shared->row(t);
        else
            row.setZero();
        for (int s = r.slotBegin[t]; s < r.slotBegin[t + 1]; ++s)
            if (r.slotKept[s]) row += r.slotWeight[s] * slotOut.row(s);
    }
}

}  // namespace moe
