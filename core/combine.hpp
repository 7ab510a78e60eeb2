#pragma once
// The combine: each token's output is the weighted sum of its kept experts' outputs,
// plus the shared experts' (docs/contract.md, "outputs").
#include "routing.hpp"

namespace moe {

// out[t] = shared[t] (when given) + sum over kept slots s of weight[s] * slotOut[s], the
// slots summed in slot order so that the result does not depend on the thread count.
// slotOut may be a block of wider rows (the micro-kernel writes whole column blocks).
// out must already have r.tokens rows and slotOut's columns. Call it from every thread
// of a parallel region (an orphaned omp for): the expert runner combines in the region
// that ran the experts, saving a second start of the threads.
using SlotRows = Eigen::Ref<const Mat, 0, Eigen::OuterStride<>>;
void combineSlotsInRegion(const Routing& r, const SlotRows& slotOut, const Mat* shared, Mat& out);

}  // namespace moe
