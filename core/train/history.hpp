#pragma once
// Curves over training steps that stay bounded however long training runs: a Series
// keeps at most `capacity` points, halving its resolution when full.
#include <cstddef>
#include <vector>

namespace moe::train {

class Series {
public:
    // capacity is rounded down to an even count (at least 2), so compaction keeps the newest point.
    Series() : Series(1024) {}
    explicit Series(size_t capacity) : m_capacity(capacity < 2 ? 2 : capacity & ~size_t(1)) {}
    // Records (step, value); once full, every other point goes and later ones are
    // recorded half as often, so the curve still spans every step.
    void add(int step, float value) {
        if (m_seen++ % m_stride != 0) return;
        m_steps.push_back(step);
        m_values.push_back(value);
        if (m_steps.size() <= m_capacity) return;
        size_t j = 0;
        for (size_t i = 0; i < m_steps.size(); i += 2, ++j) {
            m_steps[j] = m_steps[i];
            m_values[j] = m_values[i];
        }
        m_steps.resize(j);
        m_values.resize(j);
        m_stride *= 2;
        m_seen = 1;  // the point just kept counts as the first of the new stride
    }
    const std::vector<int>& steps() const { return m_steps; }
    const std::vector<float>& values() const { return m_values; }
    bool empty() const { return m_values.empty(); }
    size_t size() const { return m_values.size(); }
    float last() const { return m_values.empty() ? 0.0f : m_values.back(); }

private:
    size_t m_capacity;
    size_t m_stride = 1, m_seen = 0;
    std::vector<int> m_steps;
    std::vector<float> m_values;
};

}  // namespace moe::train
