// moelab route: one forward pass, printed as a table or as the JSON of docs/contract.md.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <omp.h>
#include <string>
#include <vector>

#include "backends/factory.hpp"
#include "commands.hpp"
#include "embedding.hpp"
#include "errors.hpp"
#include "json_text.hpp"
#include "layer.hpp"
#include "lesson_code.hpp"
#include "route_stream.hpp"
#include "settings_schema.hpp"
#include "sentences.hpp"
#include "route_report.hpp"
#include "lm_commands.hpp"
#include "metrics_json.hpp"
#include "tokenizer.hpp"
#include "trace_commands.hpp"

namespace moe::cli {
namespace {

class Flusher {
public:
    explicit Flusher(std::string& buf) : m_buf(buf) {}
    void maybe() {
        if (m_buf.size() > (1 << 20)) flush();
    }
    void flush() {
        std::fwrite(m_buf.data(), 1, m_buf.size(), stdout);
        m_buf.clear();
    }

private:
    std::string& m_buf;
};

// Rows [t0, t1) formatted by one(buffer, t) on every thread, each a contiguous share
// into a buffer of its own, then written in order: the text is byte for byte what one
// thread writes, in about half the time on two cores (10 MB of input is 3.6 GB of JSON).
// The buffers are the caller's, kept from chunk to chunk so their pages are reused.
template <class Format>
void formatRowsInParallel(int t0, int t1, Flusher& fl, std::vector<std::string>& text, Format&& one) {
    const int parts = std::max(1, std::min(omp_get_max_threads(), (t1 - t0) / 1024));
    text.resize(std::max<size_t>(text.size(), parts));
#pragma omp parallel for schedule(static, 1) num_threads(parts)
    for (int p = 0; p < parts; ++p) {
        // Filled as a local: the strings side by side in `text` share a cache line, and
        // every append writes a size, so two threads appending there ran slower than one.
        std::string mine = std::move(text[p]);
        mine.clear();
        for (int t = t0 + int(int64_t(t1 - t0) * p / parts); t < t0 + int(int64_t(t1 - t0) * (p + 1) / parts); ++t)
            one(mine, t);
        text[p] = std::move(mine);
    }
    fl.flush();
    for (int p = 0; p < parts; ++p) std::fwrite(text[p].data(), 1, text[p].size(), stdout);
}

// Rows are printed a chunk at a time, so that a long text never holds a ByteToken, a
// logit row and an output row for every byte at once.
constexpr int kDefaultChunkRows = 1 << 16;

int chunkRows() {
    // MOELAB_STREAM_ROWS: smaller chunks, for tests that compare the streamed result with the one-shot one.
    if (const char* v = std::getenv("MOELAB_STREAM_ROWS"); v && std::atoi(v) > 0) return std::atoi(v);
    return kDefaultChunkRows;
}

// What a writer prints per token, for rows [t0, t1) at a time and in order: tokens from a
// running tokenizer, logits from the routing or computed again (a streamed routing keeps
// none), outputs from the result or computed for the chunk by the backend.
class RowSource {
public:
    RowSource(const Settings& o, const ModelWeights& w, const LayerResult& res, Backend& backend)
        : m_o(o), m_w(w), m_res(res), m_backend(backend), m_stream(o.text) {}
    void tokens(int t0, int t1) {
        m_t0 = t0;
        m_tokens = m_stream.take(t1 - t0);
        if (m_res.routing.logits.rows() < t1) m_logits = logitRows(m_w, m_o.router, m_o.text, t0, t1).logits;
    }
    void outputs(int t0, int t1) {
        m_t0 = t0;
        if (m_res.outputs.rows() >= t1) return;
        m_backend.experts(m_w, embedRows(m_w, m_o.text, t0, t1), routingRows(m_res.routing, t0, t1), m_outputs);
    }
    const ByteToken& token(int t) const { return m_tokens[t - m_t0]; }
    const float* logits(int t) const {
        return m_res.routing.logits.rows() > t ? m_res.routing.logits.row(t).data() : m_logits.row(t - m_t0).data();
    }
    const float* output(int t) const {
        return m_res.outputs.rows() > t ? m_res.outputs.row(t).data() : m_outputs.row(t - m_t0).data();
    }

private:
    const Settings& m_o;
    const ModelWeights& m_w;
    const LayerResult& m_res;
    Backend& m_backend;
    ByteTokenStream m_stream;
    int m_t0 = 0;
    std::vector<ByteToken> m_tokens;
    Mat m_logits, m_outputs;
};

void appendFloats(std::string& out, const float* v, int n) {
    out += '[';
    for (int i = 0; i < n; ++i) {
        if (i) out += ',';
        appendFloat(out, v[i]);
    }
    out += ']';
}

// A unit's slots: experts, weights, kept and the choices before capacity moved any.
// GShard's undispatched second choices are left out.
void appendSlots(std::string& out, const Routing& r, int t) {
    const auto list = [&](const char* name, auto value) {
        out += ",\"";
        out += name;
        out += "\":[";
        bool first = true;
        for (int s = r.slotBegin[t]; s < r.slotBegin[t + 1]; ++s) {
            if (r.skipped(s)) continue;
            if (!first) out += ',';
            first = false;
            value(s);
        }
        out += ']';
    };
    list("experts", [&](int s) { appendInt(out, r.slotExpert[s]); });
    list("weights", [&](int s) { appendFloat(out, r.slotWeight[s]); });
    list("kept", [&](int s) { out += r.slotKept[s] ? "true" : "false"; });
    list("choices", [&](int s) { appendInt(out, r.slotChoice[s]); });
}

// The routed sentences (sentence-level routing): their span, text, logits, scores and slots.
void appendSentences(std::string& out, const Settings& o, const LayerResult& res) {
    const Routing& u = res.unitRouting;
    out += "],\"sentences\":[";
    for (int s = 0; s < u.tokens; ++s) {
        const Sentence& sen = res.sentences[s];
        out += s ? ",{" : "{";
        out += "\"index\":";
        appendInt(out, s);
        out += ",\"start\":";
        appendInt(out, sen.start);
        out += ",\"end\":";
        appendInt(out, sen.end);
        out += ",\"text\":";
        appendString(out, std::string_view(o.text).substr(sen.start, sen.end - sen.start));
        out += ",\"logits\":";
        appendFloats(out, u.logits.row(s).data(), u.experts);
        out += ",\"scores\":";
        appendFloats(out, u.scores.row(s).data(), u.experts);
        appendSlots(out, u, s);
        out += '}';
    }
}

void appendExperts(std::string& out, const Routing& r) {
    out += "],\"experts\":[";
    for (int e = 0; e < r.experts; ++e) {
        out += e ? ",{" : "{";
        out += "\"index\":";
        appendInt(out, e);
        out += ",\"requested\":";
        appendInt(out, r.requested[e]);
        out += ",\"kept\":";
        appendInt(out, r.kept[e]);
        out += ",\"dropped\":";
        appendInt(out, r.overflow[e]);
        out += '}';
    }
}

// Every token's row, a chunk at a time, formatted on every thread.
void appendTokens(Flusher& fl, std::vector<std::string>& parts, RowSource& rows, const LayerResult& res) {
    const Routing& r = res.routing;
    std::vector<int> sentenceOf;
    for (size_t s = 0; s < res.sentences.size(); ++s)
        for (int t = res.sentences[s].start; t < res.sentences[s].end; ++t) sentenceOf.push_back(int(s));
    const auto token = [&](std::string& out, int t) {
        const ByteToken& tok = rows.token(t);
        out += t ? ",{" : "{";
        out += "\"index\":";
        appendInt(out, t);
        out += ",\"byte\":";
        appendInt(out, tok.byte);
        out += ",\"char\":";
        appendString(out, tok.text);
        out += ",\"char_index\":";
        appendInt(out, tok.charIndex);
        out += ",\"logits\":";
        appendFloats(out, rows.logits(t), r.experts);
        out += ",\"scores\":";
        appendFloats(out, r.scores.row(t).data(), r.experts);
        appendSlots(out, r, t);
        if (sentenceOf.size()) {
            out += ",\"sentence\":";
            appendInt(out, sentenceOf[t]);
        }
        out += '}';
    };
    const int chunk = chunkRows();
    for (int t = 0; t < r.tokens; t += chunk) {
        const int end = std::min(r.tokens, t + chunk);
        rows.tokens(t, end);
        formatRowsInParallel(t, end, fl, parts, token);
    }
}

// --outputs: every token's output row y_t.
void appendOutputs(std::string& out, Flusher& fl, std::vector<std::string>& parts, RowSource& rows,
                   const LayerResult& res) {
    const int tokens = res.routing.tokens, D = static_cast<int>(res.outputs.cols());
    out += ",\"outputs\":[";
    const int chunk = chunkRows();
    for (int t = 0; t < tokens; t += chunk) {
        const int end = std::min(tokens, t + chunk);
        rows.outputs(t, end);
        formatRowsInParallel(t, end, fl, parts, [&](std::string& row, int u) {
            if (u) row += ',';
            appendFloats(row, rows.output(u), D);
        });
    }
    out += ']';
}

void writeJson(const Settings& o, RowSource& rows, const LayerResult& res, const nlohmann::json& config,
               bool withOutputs, std::string_view extraFields = {}, const AstraTimes* astra = nullptr) {
    const Routing& r = res.routing;
    const Traffic traffic = simulateTraffic(r, o.cluster, deviceLimit(o));
    std::string out;
    Flusher fl(out);
    out += "{\"config\":";
    out += config.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out += ",\"capacity\":";
    if (r.capacity < 0)
        out += "null";
    else
        appendInt(out, r.capacity);
    out += ",\"tokens\":[";
    std::vector<std::string> parts;  // one text buffer per thread
    appendTokens(fl, parts, rows, res);
    if (!res.sentences.empty() || o.router.level == RouteLevel::Sentence) appendSentences(out, o, res);
    appendExperts(out, r);
    out += "],\"metrics\":";
    out += metricsJson(r, res.metrics, traffic).dump();
    out += ",\"traffic\":";
    out += routeTrafficJson(r, o.cluster, deviceLimit(o), traffic, astra).dump();
    if (withOutputs) appendOutputs(out, fl, parts, rows, res);
    out += extraFields;
    out += "}\n";
    fl.flush();
}

// A CSV field: quoted when it holds a comma, a quote or a line break; control bytes as \xNN.
std::string csvField(const ByteToken& tok) {
    std::string s;
    if (tok.text.size() == 1 && (uint8_t(tok.text[0]) < 0x20 || tok.text[0] == 0x7F)) {
        char esc[8];
        std::snprintf(esc, sizeof esc, "\\x%02X", tok.byte);
        s = esc;
    } else {
        s = tok.text;
    }
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

// One row per byte token for spreadsheets: its byte and character, every expert's score,
// then per assignment slot its expert, combine weight and whether capacity kept it.
void writeCsv(RowSource& rows, const Routing& r) {
    int slots = 0;
    for (int t = 0; t < r.tokens; ++t) {
        int n = 0;
        for (int s = r.slotBegin[t]; s < r.slotBegin[t + 1]; ++s) n += !r.skipped(s);
        slots = std::max(slots, n);
    }
    std::string out = "index,byte,char,char_index";
    for (int e = 0; e < r.experts; ++e) out += ",score_e" + std::to_string(e);
    for (int j = 1; j <= slots; ++j) {
        const std::string n = std::to_string(j);
        out += ",expert_" + n + ",weight_" + n + ",kept_" + n;
    }
    out += '\n';
    Flusher fl(out);
    char buf[32];
    const int chunk = chunkRows();
    for (int t = 0; t < r.tokens; ++t) {
        if (t % chunk == 0) rows.tokens(t, std::min(r.tokens, t + chunk));
        const ByteToken& tok = rows.token(t);
        std::snprintf(buf, sizeof buf, "%d,0x%02X,", t, tok.byte);
        out += buf;
        out += csvField(tok);
        out += ',';
        appendInt(out, tok.charIndex);
        for (int e = 0; e < r.experts; ++e) {
            out += ',';
            appendFloat(out, r.scores(t, e));
        }
        int n = 0;
        for (int s = r.slotBegin[t]; s < r.slotBegin[t + 1]; ++s) {
            if (r.skipped(s)) continue;  // GShard's undispatched second choice: not an assignment
            out += ',';
            appendInt(out, r.slotExpert[s]);
            out += ',';
            appendFloat(out, r.slotWeight[s]);
            out += r.slotKept[s] ? ",1" : ",0";
            ++n;
        }
        for (; n < slots; ++n) out += ",,,";
        out += '\n';
        fl.maybe();
    }
    fl.flush();
}

bool namesALesson(const Args& a) { return a.has("lesson") || a.has("chapter") || a.has("code"); }

}  // namespace

void writeRouteJson(const Settings& o, const ModelWeights& w, const LayerResult& res, Backend& backend,
                    const nlohmann::json& config, bool withOutputs, std::string_view extraFields) {
    RowSource rows(o, w, res, backend);
    writeJson(o, rows, res, config, withOutputs, extraFields);
}

int cmdRoute(const std::vector<std::string>& argv) {
    auto flags = settingFlags();
    flags.insert({"max-rows", "lesson", "chapter", "code", "model", "trace", "layer", "trace-out", "astra-log"});
    const Args a(argv, flags, {"json", "outputs", "csv", "logprobs"});
    if (a.has("json") && a.has("csv")) throw InputError("--csv", "cannot be combined with --json");
    if (a.has("astra-log") && (!a.has("json") || a.has("model") || a.has("trace")))
        throw InputError("--astra-log", "goes with --json, for one layer's traffic (not --model or --trace)");
    if (a.has("trace")) return routeTrace(a);  // a router trace's layer replayed (cmd_trace.cpp)
    if (a.has("layer")) throw InputError("--layer", "needs --trace FILE (the trace's layer to replay)");
    if (a.has("model")) return routeModel(a, *a.str("model"));  // the language model: every layer (cmd_lm.cpp)
    // The flags alone, or by the layering rule when a lesson chapter or a lesson code is named;
    // a chapter or code of the language model runs it.
    std::optional<LessonRequest> request;
    std::optional<Lesson> lesson;
    if (namesALesson(a)) {
        request = lessonRequest(a);
        if (!request->lesson.empty()) lesson = loadLesson(lessonFile(request->lesson));
        const Lesson* l = lesson ? &*lesson : nullptr;
        if (const std::string model = requestedModel(*request, l); !model.empty())
            return routeModel(a, model, {&*request, l});
    }
    if (a.has("logprobs")) throw InputError("--logprobs", "needs --model (the language model's next-byte predictions)");
    if (a.has("trace-out"))
        throw InputError("--trace-out", "needs --model (the language model whose routing it writes)");
    Settings o =
        request ? layeredSettings(*request, lesson ? &*lesson : nullptr, nullptr, a, Settings{}) : settingsFromFlags(a);
    const int maxRows = static_cast<int>(a.integer("max-rows", 64, 0, 1 << 30));
    std::optional<AstraTimes> astra;  // read first: a bad log fails before any work
    if (a.has("astra-log")) astra = readAstraLog(a.str("astra-log", ""), o.cluster.gpus);
    const ModelWeights w = buildWeights(o);
    BackendChoice bc = makeBackend(o.backend, o.device);  // --backend opencl without a device: exit 2

    LayerResult res;
    const bool withOutputs = a.has("outputs");
    // A long text streams (core/route_stream.hpp): its routing is the same, its embeddings,
    // logits and outputs exist a chunk at a time. Decisions are the reference's on every
    // backend (tests/test_opencl_parity.cpp); outputs come from the chosen one.
    const int chunk = chunkRows();
    if (streamable(o.router) && static_cast<int64_t>(o.text.size()) > chunk) {
        res = routeInChunks(w, o.router, o.text, chunk);
    } else {
        const Mat x = embedBytes(w, o.text);
        runLayer(*bc.backend, w, o.router, o.text, x, withOutputs, res);
    }
    if (!res.fallback.empty()) std::cerr << "moelab: " << res.fallback << "\n";
    const nlohmann::json config =
        configJson(o, bc.backend->name(), bc.backend->device(), bc.fallbackReason, res.fallback);
    RowSource rows(o, w, res, *bc.backend);
    if (a.has("json")) {
        writeJson(o, rows, res, config, withOutputs, {}, astra ? &*astra : nullptr);
    } else if (a.has("csv")) {
        writeCsv(rows, res.routing);
    } else {
        // The first rows' tokens: a prefix holding every character that starts among them.
        const size_t prefix = std::min(o.text.size(), size_t(maxRows) + 3);
        const std::vector<ByteToken> first = tokenize(std::string_view(o.text).substr(0, prefix));
        printRouteReport(std::cout, o, first, countCharacters(o.text), res, maxRows);
    }
    return 0;
}

}  // namespace moe::cli
