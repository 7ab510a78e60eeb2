#pragma once
// Helpers for hand-computed routing cases, for errors that must name their field, and
// the one way tests run the moelab binary.
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "errors.hpp"
#include "capacity.hpp"
#include "router.hpp"

namespace moe::test {

// Logits whose softmax (T=1) is exactly the given probabilities: z = ln p.
inline Mat logitsFromProbs(const std::vector<std::vector<float>>& probs) {
    Mat z(probs.size(), probs[0].size());
    for (size_t t = 0; t < probs.size(); ++t)
        for (size_t e = 0; e < probs[t].size(); ++e) z(t, e) = std::log(probs[t][e]);
    return z;
}

inline Routing routeProbs(const std::vector<std::vector<float>>& probs, const RouterConfig& cfg) {
    RouterLogits in;
    in.logits = logitsFromProbs(probs);
    return decideRouting(in, cfg, Vec::Zero(in.logits.cols()));
}

// The field (or the whole message) of the InputError f throws, or "(no error)".
template <typename F>
std::string inputErrorPart(F&& f, bool wholeMessage) {
    try {
        f();
    } catch (const InputError& e) {
        return wholeMessage ? std::string(e.what()) : e.field();
    }
    return "(no error)";
}
template <typename F>
std::string inputErrorField(F&& f) {
    return inputErrorPart(std::forward<F>(f), false);
}
template <typename F>
std::string inputErrorText(F&& f) {
    return inputErrorPart(std::forward<F>(f), true);
}

// A shell word: s in single quotes, each embedded ' written as '\''.
std::string shellQuote(const std::string& s);

struct RunResult {
    int code;  // the exit status, or 128 + the signal that ended it
    std::string out, err;
};

struct RunOptions {
    std::string env;         // shell text before the command: "OMP_NUM_THREADS=3 ..."
    std::string wrapper;     // shell text the binary runs under: "xvfb-run -a ..."
    std::string stdoutFile;  // write stdout there (out stays empty) rather than read it back
};

// Runs MOELAB_BIN with args, each quoted, stdin from /dev/null; stdout and stderr
// are read back (stderr always, stdout unless o.stdoutFile takes it).
RunResult runMoelab(const std::vector<std::string>& args, const RunOptions& o = {});

// Whether xvfb-run is on PATH (the app's tests skip without it).
bool haveXvfb();

// Runs the app headless at 1280x800 (3 frames, a screenshot to a temporary file) with
// --layout-report and `flags` (shell text); the exit status and the report's last line.
std::pair<int, nlohmann::json> runAppLayoutReport(const std::string& flags);

}  // namespace moe::test

// Expects `call` to throw an InputError naming `field` (a flag, a file or a tensor).
#define EXPECT_INPUT_ERROR(call, field) EXPECT_EQ(::moe::test::inputErrorField([&] { call; }), field)
