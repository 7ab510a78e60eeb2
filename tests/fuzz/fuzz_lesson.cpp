// Lesson files (core/lesson_check.cpp): checkLesson never throws; when it reports no
// error, parseLesson must accept the text too and give the same chapters. There is no
// lesson writer. Slow (tens of inputs a second): every chapter's settings build weights.
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "lesson.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const moe::LessonCheck check = moe::checkLesson(text, "fuzz.lesson");
    if (check.hasErrors()) return 0;
    const moe::Lesson lesson = moe::parseLesson(text, "fuzz.lesson");  // must not throw
    moe::fuzz::require(lesson.chapters.size() == check.lesson.chapters.size(), "the chapter count");
    for (size_t c = 0; c < lesson.chapters.size(); ++c)
        moe::fuzz::require(lesson.chapters[c].flags == check.lesson.chapters[c].flags, "a chapter's settings");
    return 0;
}
