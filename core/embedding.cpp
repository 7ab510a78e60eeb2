#include "embedding.hpp"

#include <algorithm>

namespace moe {

Mat embedBytes(const ModelWeights& w, std::string_view bytes) {
    Mat x(static_cast<Eigen::Index>(bytes.size()), w.embed.cols());
    for (size_t t = 0; t < bytes.size(); ++t) x.row(t) = w.embed.row(static_cast<uint8_t>(bytes[t]));
    if (w.mixer.size() == 0) return x;
    return causalMix(x, w.mixer, std::max<int>(1, static_cast<int>(bytes.size())));
}

}  // namespace moe
