#pragma once
#include <Eigen/Core>

namespace moe {
// Row-major like PyTorch, so a Linear weight [out, in] is stored as on disk.
using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vec = Eigen::VectorXf;
}  // namespace moe
