#pragma once
// What the app shows, owned in one place: the settings, the weights, the backend
// and the last forward pass; beside them the lesson in progress and the training runs.
// Views read it and change settings; update() runs the engine once per change, never
// per frame.
#include <deque>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/factory.hpp"
#include "layer.hpp"
#include "lm/lm_forward.hpp"
#include "lesson.hpp"
#include "settings.hpp"
#include "settings_schema.hpp"
#include "tokenizer.hpp"
#include "astra_log.hpp"
#include "trace.hpp"
#include "traffic.hpp"
#include "training_lab.hpp"

namespace moe::gui {

// One computed state, kept aside: the "A" of an A/B comparison.
struct PinnedState {
    Settings settings;
    LayerResult result;
    std::vector<ByteToken> tokens;
};

// A lesson in progress: which chapter, which try button, whether the answer shows.
struct LessonProgress {
    Lesson lesson;
    int chapter = 0;
    int activeTry = -1;
    bool revealed = false;
};

struct MetricSample {
    float cv, auxLoss, dropRate, zLoss;
};

class AppState {
public:
    explicit AppState(Settings settings);

    // Views change fields of settings() and then say what changed.
    Settings& settings() { return m_settings; }
    const Settings& settings() const { return m_settings; }
    const ModelWeights& weights() const { return m_weights; }
    const LayerResult& result() const { return m_result; }
    const Traffic& traffic() const { return m_traffic; }
    const std::vector<ByteToken>& tokens() const { return m_tokens; }
    const Mat& inputs() const { return m_x; }  // the layer's input rows x_t
    // Counts recomputations, so a view can cache what it derives from the result.
    uint64_t resultVersion() const { return m_resultVersion; }
    const std::deque<MetricSample>& history() const { return m_history; }
    const std::string& error() const { return m_error; }
    // What computes what is shown: with the language model, Auto uses Eigen when the OpenCL
    // device is the CPU itself (PoCL ran the model 5x slower there: README).
    std::string backendName() const;
    std::string deviceName() const;
    bool lmOnEigenInstead() const;
    const std::string& fallbackReason() const { return m_fallback; }
    // OpenCL compiles its kernels on a worker (a second or more on PoCL); meanwhile
    // Eigen computes what is shown, and update() switches when the device is ready.
    bool compilingBackend() const { return m_pendingBackend.valid(); }
    void waitForBackend();
    bool weightsFromFile() const { return !m_settings.weightsPath.empty(); }
    // Weights not from the seed: a file, or live weights from the training view.
    bool customWeights() const { return weightsFromFile() || m_liveWeights; }
    // Shows these weights (the training view's, as it trains); shape follows them.
    void useWeights(ModelWeights w);
    double lastComputeMs() const { return m_computeMs; }
    // A recompute that took longer than a frame (a big text on a big model) makes the
    // next ones run on a worker: the views keep the last result until the new one is in.
    bool computing() const { return m_pendingResult.valid(); }
    // Screenshots and tests: every recompute on the calling thread, as soon as asked.
    void computeInline(bool on) { m_inline = on; }
    // Waits for a recompute running on the worker and takes its result.
    void waitForResult();

    // Mark what changed; the next update() does the work once.
    void changed(SettingEffect effect);
    // Sets one setting from a control: derived settings follow, ranges narrow.
    void set(const SettingSpec& spec, const nlohmann::json& value);
    // Replaces every setting at once (a session file, a lesson step). The weights are
    // built and every setting checked first (or, with clamp, brought into range): when
    // that fails nothing changes and the message is returned.
    std::string replaceSettings(Settings next, bool clamp = false);
    // Recomputes if anything changed. Errors are kept for the views, never thrown.
    void update();

    // A/B: keeps the current state as A (the views then compare against it), or computes
    // A from other settings (a lesson code); clearA() ends the comparison.
    void pinA();
    std::string setA(Settings a);
    void clearA() { m_pinned.reset(); }
    const std::optional<PinnedState>& pinnedA() const { return m_pinned; }

    // The language model (issue 25): while one is on, every pass runs it on the text with
    // the routing settings applied to every layer, and result() is the chosen layer's.
    // useLm returns "" or why the file did not load (the one-layer mode then stays);
    // asTrained: the routing becomes the model's trained one (k=2, dropless).
    std::string useLm(const std::string& nameOrPath, bool asTrained = true);
    void leaveLm();
    const LmModel* lm() const { return m_lm.get(); }
    const std::string& lmName() const { return m_lmName; }
    const LmRun* lmRun() const { return m_lm || m_trace ? m_lmRun.get() : nullptr; }
    // Bits per byte of the text with the model's trained routing (beside the current one).
    double asTrainedBitsPerByte() const { return m_trainedBpb; }
    int layer() const { return m_layer; }
    void setLayer(int layer);  // clamped to the model's or the trace's layers; 0 without either
    // The layers the routing views step through: the model's, the trace's, else 0.
    int layerCount() const;
    // Per layer, the share of assignments each capacity factor of kSweepCapacityFactors
    // drops with the model's or trace's own choices (analyze's capacity_sweep); empty
    // for the one-layer model.
    const std::vector<std::vector<CapacityPoint>>& capacitySweeps() const { return m_trace ? m_traceSweeps : m_sweeps; }

    // ASTRA-sim's times from the log of running an export (gui --astra-log FILE), for the
    // GPUs page beside moelab's own; "" or why the log was refused (nothing changes then).
    std::string useAstraLog(const std::string& path);
    const std::optional<AstraTimes>& astraTimes() const { return m_astra; }

    // A router trace (issue 26): its layers replayed under the routing settings, shown as
    // the model's are (lmRun() holds them; lm() stays null). useTrace returns "" or why the
    // file did not load (what was shown stays); it leaves the language model.
    // asRecorded: the routing becomes the trace's own (its k and score, dropless).
    std::string useTrace(const std::string& path, bool asRecorded = true);
    // The same with the trace read already (gui --trace reads it for its rule first).
    std::string useTrace(std::shared_ptr<const RouterTrace> trace, const std::string& path, bool asRecorded = true);
    void leaveTrace();
    const RouterTrace* trace() const { return m_trace.get(); }
    const std::string& tracePath() const { return m_tracePath; }
    bool traceNamesTokens() const { return m_traceNamesTokens; }  // false: an engine's bare choices
    // The settings a choices-only trace cannot apply (flag names); empty otherwise.
    std::vector<std::string> traceIgnores() const;
    // The lesson in progress (none: the app's own pages), and the training page's runs.
    std::optional<LessonProgress>& lesson() { return m_lesson; }
    const std::optional<LessonProgress>& lesson() const { return m_lesson; }
    TrainingLab& training() { return m_training; }

    // Loads weights from a file (shape then comes from it), or back to seeded init.
    void loadWeights(const std::string& path);
    void unloadWeights();

private:
    // One forward pass and what the views derive from it, computed on either thread.
    struct Computed {
        std::vector<ByteToken> tokens;
        Mat x;
        LayerResult result;
        Traffic traffic;
        std::shared_ptr<const LmRun> lm;
        double trainedBpb = 0;
        std::vector<std::vector<CapacityPoint>> sweeps;  // the language model's, per layer, as capacitySweeps()
        int layer = 0;                                   // the layer result and traffic are of
        std::string text;                                // the language model's: the text trainedBpb is of
        double ms = 0;
    };
    static Computed compute(const Settings& s, const ModelWeights& w, Backend& backend,
                            std::shared_ptr<const LmModel> lm = nullptr, int layer = 0,
                            std::optional<double> knownTrainedBpb = std::nullopt,
                            std::shared_ptr<const RouterTrace> trace = nullptr);
    static void replayTrace(const Settings& s, const RouterTrace& trace, int layer, Computed& c);
    static std::vector<std::vector<CapacityPoint>> sweepLayers(const RouterTrace& trace);
    void keepShape();  // the model's or trace's shape over what the settings say
    std::optional<double> knownTrainedBpb() const;
    void showLayer();  // result, weights and traffic from the model's run at m_layer
    static double work(const Settings& s);
    void rebuildBackend();
    void installBackend(BackendChoice c);
    void recompute();
    Backend& computeBackend();
    void take(Computed c);
    bool takeFinished();  // true when a worker's result came in (or failed)

    Settings m_settings;
    ModelWeights m_weights;
    std::unique_ptr<Backend> m_backend;
    std::unique_ptr<Backend> m_lmCpu;  // Eigen for the language model where Auto found only a CPU device
    std::future<BackendChoice> m_pendingBackend;
    std::string m_backendName, m_deviceName, m_fallback;
    LayerResult m_result;
    Traffic m_traffic;
    std::vector<ByteToken> m_tokens;
    Mat m_x;
    std::deque<MetricSample> m_history;
    std::string m_error;
    double m_computeMs = 0;
    uint64_t m_resultVersion = 0;
    bool m_dirty = true, m_weightsDirty = true, m_backendDirty = true;
    bool m_liveWeights = false;
    std::optional<PinnedState> m_pinned;
    std::future<Computed> m_pendingResult;  // the worker's recompute, while one runs
    bool m_inline = false;
    double m_computedWork = 1;  // work() of the settings last computed
    std::shared_ptr<const LmModel> m_lm;
    std::string m_lmName;
    std::shared_ptr<const LmRun> m_lmRun;
    double m_trainedBpb = 0;
    std::string m_trainedBpbText;  // the text m_trainedBpb is of
    int m_layer = 0;
    std::shared_ptr<const RouterTrace> m_trace;
    std::vector<std::vector<CapacityPoint>> m_sweeps;       // the language model's run's
    std::vector<std::vector<CapacityPoint>> m_traceSweeps;  // the trace's: its own rule, whatever the settings
    std::optional<AstraTimes> m_astra;
    std::string m_tracePath;
    std::string m_traceText;  // the text box's, built once per trace (keepShape runs every update)
    bool m_traceNamesTokens = false;
    std::optional<Settings> m_beforeLm;  // the one-layer settings, back when the model or trace is left
    std::optional<LessonProgress> m_lesson;
    TrainingLab m_training;  // last: its runs' threads stop before the rest goes
};

}  // namespace moe::gui
