// moelab train: next-byte training of the embedding, mixer, router, experts and head.
#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "atomic_file.hpp"
#include "data_dir.hpp"
#include "commands.hpp"
#include "errors.hpp"
#include "settings_schema.hpp"
#include "safetensors.hpp"
#include "train/trainer.hpp"

namespace moe::cli {

std::string defaultCorpusPath() { return dataPath("corpus/lesson.txt"); }

train::TrainConfig parseTrainConfig(const Args& a, const Settings& o) {
    train::TrainConfig c;
    c.model.shape = o.shape;
    c.model.router = o.router;
    c.model.mixerTaps = static_cast<int>(a.integer("mixer-taps", 3, 1, 16));
    c.model.auxCoef = a.number("aux-coef", 0.01, 0, 100);
    c.model.zCoef = a.number("z-coef", 0.001, 0, 100);
    c.biasRate = a.number("bias-rate", 0, 0, 10);
    c.lr = a.number("lr", 3e-3, 1e-7, 1);
    c.clip = a.number("clip", 1.0, 1e-6, 1e6);
    c.batch = static_cast<int>(a.integer("batch", 16, 1, 4096));
    c.seqLen = static_cast<int>(a.integer("seq-len", 64, 2, 4096));
    c.seed = o.seed;
    return c;
}

int cmdTrain(const std::vector<std::string>& argv) {
    auto flags = settingFlags();
    flags.insert({"corpus", "steps", "batch", "seq-len", "lr", "aux-coef", "z-coef", "bias-rate", "mixer-taps", "clip",
                  "out", "log", "log-every"});
    const Args a(argv, flags, {"quiet"});
    if (a.str("weights")) throw InputError("--weights", "training starts from --seed's initialisation");
    Settings o = settingsFromFlags(a);
    const train::TrainConfig cfg = parseTrainConfig(a, o);
    const std::string corpusPath = a.str("corpus", defaultCorpusPath());
    std::string corpus;
    try {
        corpus = readFile(corpusPath);
    } catch (const InputError& e) {
        throw InputError("--corpus", e.what());
    }
    const int steps = static_cast<int>(a.integer("steps", 300, 0, 10000000));
    const int every = static_cast<int>(a.integer("log-every", 10, 1, 1000000));
    // Where the results go is checked before the training, not after it.
    if (const auto out = a.str("out")) {
        try {
            checkWritable(*out);
        } catch (const InputError& e) {
            throw InputError("--out", e.what());
        }
    }
    train::Trainer trainer(cfg, std::move(corpus));

    std::ofstream log;
    const std::string logPath = a.str("log", "");
    if (!logPath.empty()) {
        log.open(logPath, std::ios::trunc);
        if (!log) throw InputError("--log", "cannot write " + logPath + ": " + std::strerror(errno));
    }
    const bool quiet = a.has("quiet");
    const auto t0 = std::chrono::steady_clock::now();
    if (!quiet) std::fprintf(stderr, "held-out loss %.4f at step 0\n", trainer.heldOutLoss());
    for (int s = 0; s < steps; ++s) {
        const train::StepLog l = trainer.step();
        if (l.step % every == 0 || s + 1 == steps) {
            if (!logPath.empty() && !(log << train::logLine(l) << "\n" << std::flush))  // a full disk, /dev/full
                throw InputError("--log", "cannot write " + logPath + ": " + std::strerror(errno));
            if (!quiet)
                std::fprintf(stderr, "step %5d  loss %.4f  aux %.4f  z %.3f  cv %.3f  drop %.3f\n", l.step, l.loss,
                             l.aux, l.z, l.cv, l.dropRate);
        }
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double tokens = double(steps) * cfg.batch * cfg.seqLen;
    std::fprintf(stderr, "held-out loss %.4f after %d steps, %.1f s, %.0f tokens/s\n", trainer.heldOutLoss(), steps,
                 secs, secs > 0 ? tokens / secs : 0.0);
    if (const auto out = a.str("out")) {
        saveWeights(trainer.weights(), *out, o.router.noisyTopk);
        std::fprintf(stderr, "wrote %s\n", out->c_str());
    }
    return 0;
}

}  // namespace moe::cli
