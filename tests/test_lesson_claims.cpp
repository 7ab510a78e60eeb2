// The built-in lesson's questions are about what the screen shows. For each chapter whose
// question (or goal) makes a checkable claim, the layer is run at that chapter's settings,
// set up as the app sets them up (chapterSettings over the app's opening state), and the
// claim is checked on the routing it computes, never on a printed string. The balance and
// sentiment chapters' claims are checked by tests/test_train.cpp and test_sentiment.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "backends/eigen_backend.hpp"
#include "data_dir.hpp"
#include "embedding.hpp"
#include "layer.hpp"
#include "lesson.hpp"
#include "presets.hpp"
#include "tokenizer.hpp"

namespace {

using namespace moe;

const Lesson& builtin() {
    static const Lesson lesson = loadLesson(dataPath("lessons/moe-basics.lesson"));
    return lesson;
}

int chapterTitled(const std::string& title) {
    for (size_t c = 0; c < builtin().chapters.size(); ++c)
        if (builtin().chapters[c].title.en == title) return int(c);
    ADD_FAILURE() << "no chapter titled '" << title << "'";
    return 0;
}

int tryLabelled(int chapter, const std::string& label) {
    const auto& tries = builtin().chapters[chapter].tries;
    for (size_t t = 0; t < tries.size(); ++t)
        if (tries[t].label.en == label) return int(t);
    ADD_FAILURE() << "no try '" << label << "' in chapter " << chapter + 1;
    return -1;
}

struct ChapterRun {
    Settings settings;
    std::vector<ByteToken> tokens;
    LayerResult result;
};

// The layer at a settings, with outputs, as the app computes it.
ChapterRun runSettings(Settings s) {
    ChapterRun run;
    const ModelWeights w = buildWeights(s);
    EigenBackend backend;
    runLayer(backend, w, s.router, s.text, embedBytes(w, s.text), true, run.result);
    run.tokens = tokenize(s.text);
    run.settings = std::move(s);
    return run;
}

// A chapter (and a try on top, or none) over the app's opening state.
ChapterRun runChapter(int chapter, int tryIndex = -1) {
    return runSettings(chapterSettings(builtin(), chapter, tryIndex, Settings{}));
}

// The token indices of every occurrence of character `ch`, byte by byte.
std::vector<std::vector<int>> bytesOf(const ChapterRun& run, const std::string& ch) {
    std::vector<std::vector<int>> out;
    for (size_t t = 0; t < run.tokens.size(); ++t) {
        if (run.tokens[t].text != ch) continue;
        if (run.tokens[t].byteInChar == 0) out.emplace_back();
        out.back().push_back(int(t));
    }
    return out;
}

std::set<int> keptExperts(const Routing& r, int t) {
    std::set<int> out;
    for (int s = r.slotBegin[t]; s < r.slotBegin[t + 1]; ++s)
        if (r.slotKept[s]) out.insert(r.slotExpert[s]);
    return out;
}

std::vector<int> choices(const Routing& r, int t) {
    return {r.slotChoice.begin() + r.slotBegin[t], r.slotChoice.begin() + r.slotBegin[t + 1]};
}

// Chapter 1: "MoE是很强大的机制！ has 11 characters. How many tokens? 27 = 3 + 8 x 3."
TEST(LessonClaims, TheSentenceIs27Tokens) {
    const ChapterRun run = runChapter(chapterTitled("A sentence becomes bytes"));
    EXPECT_EQ(run.settings.text, "MoE是很强大的机制！");
    EXPECT_EQ(countCharacters(run.settings.text), 11);
    EXPECT_EQ(run.result.routing.tokens, 27);
    int oneByte = 0, threeBytes = 0;
    for (const ByteToken& t : run.tokens) {
        oneByte += t.charBytes == 1;
        threeBytes += t.charBytes == 3 && t.byteInChar == 0;
    }
    EXPECT_EQ(oneByte, 3);
    EXPECT_EQ(threeBytes, 8);
}

// Chapter 2: the byte 88 of 很 (3rd byte) and of 制 (2nd byte) picks one row but goes to
// different experts, E2+E3 and E5+E2; the lead bytes E5 of 很 强 大 制 all choose E7+E0;
// without the mixer (random weights) equal bytes get equal logits.
TEST(LessonClaims, OneByteOneRowYetDifferentExperts) {
    const ChapterRun run = runChapter(chapterTitled("Each byte picks a row of the embedding"));
    const Routing& r = run.result.routing;
    const auto hen = bytesOf(run, "很"), zhi = bytesOf(run, "制");
    ASSERT_EQ(hen.size(), 1u);
    ASSERT_EQ(zhi.size(), 1u);
    const int a = hen[0][2], b = zhi[0][1];
    EXPECT_EQ(run.tokens[a].byte, 0x88);
    EXPECT_EQ(run.tokens[b].byte, 0x88);
    EXPECT_EQ(choices(r, a), (std::vector<int>{2, 3}));
    EXPECT_EQ(choices(r, b), (std::vector<int>{5, 2}));
    EXPECT_EQ(keptExperts(r, a), (std::set<int>{2, 3}));  // both kept: the tags are not struck through
    EXPECT_EQ(keptExperts(r, b), (std::set<int>{5, 2}));
    for (const char* ch : {"很", "强", "大", "制"}) {
        const int lead = bytesOf(run, ch).at(0).at(0);
        EXPECT_EQ(run.tokens[lead].byte, 0xE5) << ch;
        EXPECT_EQ(choices(r, lead), (std::vector<int>{7, 0})) << ch;
    }
    Settings noMixer = run.settings;
    noMixer.weightsPath.clear();  // random weights from the seed: no mixer
    const ChapterRun plain = runSettings(noMixer);
    EXPECT_TRUE(plain.result.routing.logits.row(a) == plain.result.routing.logits.row(b));
    EXPECT_EQ(keptExperts(plain.result.routing, a), keptExperts(plain.result.routing, b));
}

// Chapter 3: the gate map shows logits; they are not probabilities; 16 experts, 16 each.
TEST(LessonClaims, LogitsOnePerExpertNotProbabilities) {
    const int chapter = chapterTitled("The router scores every expert");
    EXPECT_EQ(builtin().chapters[chapter].heatmap, "logits");
    const Mat& z = runChapter(chapter).result.routing.logits;
    EXPECT_LT(z.minCoeff(), 0.0f);  // "they can be negative"
    int notOne = 0;
    for (Eigen::Index t = 0; t < z.rows(); ++t) notOne += std::abs(z.row(t).sum() - 1.0f) > 0.01f;
    EXPECT_GT(notOne, 0);  // "and need not sum to 1"
    const ChapterRun sixteen = runChapter(chapter, tryLabelled(chapter, "16 experts"));
    EXPECT_EQ(sixteen.result.routing.logits.cols(), 16);
    EXPECT_EQ(sixteen.result.routing.logits.rows(), sixteen.result.routing.tokens);
    EXPECT_TRUE(sixteen.result.routing.logits.allFinite());
}

// Chapter 4: at T = 0.1 and T = 5 the chosen (outlined) cells are those at T = 1; only
// the colours change: the top score is larger at lower T.
TEST(LessonClaims, TemperatureKeepsTheChosenExperts) {
    const int chapter = chapterTitled("Softmax and temperature");
    const Routing one = runChapter(chapter, tryLabelled(chapter, "T = 1")).result.routing;
    const Routing cold = runChapter(chapter, tryLabelled(chapter, "T = 0.1")).result.routing;
    const Routing hot = runChapter(chapter, tryLabelled(chapter, "T = 5")).result.routing;
    ASSERT_EQ(one.tokens, cold.tokens);
    for (int t = 0; t < one.tokens; ++t) {
        EXPECT_EQ(choices(cold, t), choices(one, t)) << "token " << t;
        EXPECT_EQ(choices(hot, t), choices(one, t)) << "token " << t;
        EXPECT_EQ(keptExperts(cold, t), keptExperts(one, t)) << "token " << t;
        EXPECT_GE(cold.scores.row(t).maxCoeff(), one.scores.row(t).maxCoeff() - 1e-6f) << "token " << t;
        EXPECT_GE(one.scores.row(t).maxCoeff(), hot.scores.row(t).maxCoeff() - 1e-6f) << "token " << t;
    }
    EXPECT_GT(cold.scores.maxCoeff() - cold.scores.minCoeff(), hot.scores.maxCoeff() - hot.scores.minCoeff());
}

// Chapter 5: with k = 2 and renormalisation a token's two weights add up to 1; raw, to
// s1 + s2 < 1.
TEST(LessonClaims, RenormalisedWeightsAddUpToOne) {
    const int chapter = chapterTitled("Top-k and the combine weights");
    const Routing norm = runChapter(chapter, tryLabelled(chapter, "k = 2")).result.routing;
    const Routing raw = runChapter(chapter, tryLabelled(chapter, "raw scores")).result.routing;
    ASSERT_EQ(norm.k, 2);
    ASSERT_EQ(raw.k, 2);
    for (int t = 0; t < norm.tokens; ++t) {
        double sum = 0, rawSum = 0, scores = 0;
        for (int s = norm.slotBegin[t]; s < norm.slotBegin[t + 1]; ++s) sum += norm.slotWeight[s];
        for (int s = raw.slotBegin[t]; s < raw.slotBegin[t + 1]; ++s) {
            rawSum += raw.slotWeight[s];
            scores += raw.scores(t, raw.slotChoice[s]);
        }
        EXPECT_NEAR(sum, 1.0, 1e-6) << "token " << t;
        EXPECT_NEAR(rawSum, scores, 1e-6) << "token " << t;
        EXPECT_LT(rawSum, 1.0) << "token " << t;
    }
}

// Whether some expert kept a second choice while turning away a first choice.
bool secondKeptWhereFirstDropped(const Routing& r) {
    for (int e = 0; e < r.experts; ++e) {
        bool firstDropped = false, secondKept = false;
        for (int t = 0; t < r.tokens; ++t) {
            const int first = r.slotBegin[t], second = first + 1;
            firstDropped |= r.slotChoice[first] == e && !r.slotKept[first];
            secondKept |= second < r.slotBegin[t + 1] && r.slotExpert[second] == e && r.slotKept[second];
        }
        if (firstDropped && secondKept) return true;
    }
    return false;
}

int droppedAtRank(const Routing& r, int rank) {
    int n = 0;
    for (int t = 0; t < r.tokens; ++t) n += !r.slotKept[r.slotBegin[t] + rank];
    return n;
}

// Chapter 6: at capacity factor 0.5 second choices are dropped first: no expert keeps a
// second choice while it turns a first one away, and more second choices are dropped.
// The challenge (drop nothing with a capacity factor of at most 1.25) can be met.
TEST(LessonClaims, SecondChoicesAreDroppedFirst) {
    const int chapter = chapterTitled("Capacity and dropped tokens");
    for (const char* label : {"capacity factor 0.5", "capacity factor 1"}) {
        SCOPED_TRACE(label);
        const ChapterRun run = runChapter(chapter, tryLabelled(chapter, label));
        const Routing& r = run.result.routing;
        ASSERT_EQ(r.k, 2);
        EXPECT_FALSE(secondKeptWhereFirstDropped(r));
        EXPECT_GT(droppedAtRank(r, 1), droppedAtRank(r, 0));
    }
    const ChapterRun half = runChapter(chapter, tryLabelled(chapter, "capacity factor 0.5"));
    EXPECT_GT(droppedAtRank(half.result.routing, 0), 0);  // at 0.5 even some first choices go
    const ChapterRun reroute = runChapter(chapter, tryLabelled(chapter, "reroute"));
    const LessonChapter& ch = builtin().chapters[chapter];
    ASSERT_FALSE(ch.goals.empty());
    for (const LessonGoal& g : ch.goals)
        EXPECT_TRUE(goalMet(g, reroute.settings, reroute.result.metrics, reroute.result.routing.capacity))
            << goalText(g);
}

// Chapter 7: at capacity factor 0.5 the first two bytes of 机 and of 制 lose both
// assignments, and the layer's output for them is zero; every other byte's is not.
TEST(LessonClaims, BothAssignmentsDroppedGivesZero) {
    const ChapterRun run = runChapter(chapterTitled("The weighted sum of the experts"));
    const Routing& r = run.result.routing;
    std::set<int> expected;
    for (const char* ch : {"机", "制"}) {
        const auto occurrences = bytesOf(run, ch);
        ASSERT_EQ(occurrences.size(), 1u) << ch;
        expected.insert(occurrences[0][0]);
        expected.insert(occurrences[0][1]);
    }
    std::set<int> bothDropped;
    for (int t = 0; t < r.tokens; ++t)
        if (keptExperts(r, t).empty()) bothDropped.insert(t);
    EXPECT_EQ(bothDropped, expected);
    for (int t = 0; t < r.tokens; ++t) {
        const float largest = run.result.outputs.row(t).cwiseAbs().maxCoeff();
        if (expected.count(t))
            EXPECT_EQ(largest, 0.0f) << "token " << t;
        else
            EXPECT_GT(largest, 0.0f) << "token " << t;
    }
}

// Chapter 11: the dense-vs-MoE view it shows lists Mixtral at 46.7B stored, 12.9B used.
TEST(LessonClaims, MixtralsParametersAreOnScreen) {
    const LessonChapter& ch = builtin().chapters[chapterTitled("The systems compared")];
    EXPECT_NE(std::find(ch.show.begin(), ch.show.end(), "dense"), ch.show.end());
    int found = 0;
    for (const PublishedModel& m : publishedModels())
        if (std::string(m.name) == "Mixtral 8x7B") {
            ++found;
            EXPECT_DOUBLE_EQ(m.totalParamsB, 46.7);
            EXPECT_DOUBLE_EQ(m.activeParamsB, 12.9);
        }
    EXPECT_EQ(found, 1);
}

}  // namespace
