#include "i18n.hpp"

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>

namespace moe::gui {
namespace {

Language g_language = Language::English;

const std::unordered_map<std::string_view, const char*>& chinese() {
    static const std::unordered_map<std::string_view, const char*> t = {
        {"File", "文件"},
        {"View", "视图"},
        {"Presets", "预设"},
        {"Language", "语言"},
        {"Load text file...", "载入文本文件..."},
        {"Load weights...", "载入权重..."},
        {"Back to random weights", "恢复随机权重"},
        {"Save session...", "保存会话..."},
        {"Load session...", "载入会话..."},
        {"Export PNG...", "导出 PNG..."},
        {"Quit", "退出"},
        {"Reset layout", "重置布局"},
        {"Dark theme", "深色主题"},
        {"Light theme", "浅色主题"},
        {"UI scale", "界面缩放"},
        {"Text", "文本"},
        {"Token strip", "字节词元"},
        {"Gate scores", "门控分数"},
        {"Expert load", "专家负载"},
        {"Dense vs MoE", "稠密 vs MoE"},
        {"Controls", "控制"},
        {"Type or paste a sentence. Every UTF-8 byte becomes one token.", "输入或粘贴句子，每个 UTF-8 字节是一个词元。"},
        {"Examples", "示例"},
        {"Each byte is a chip, coloured by its first-choice expert; struck-through experts were dropped.",
         "每个字节一块，颜色为首选专家；划线的专家被丢弃。"},
        {"Score of every expert for every token; outlined cells were chosen, X marks a dropped assignment.",
         "每个词元对每个专家的分数；框出的被选中，X 表示被丢弃。"},
        {"Assignments per expert before (outline) and after (fill) capacity; the line is the capacity.",
         "每个专家在容量限制前（框）和后（填充）的分配数；横线为容量。"},
        {"Parameters stored vs used per token, and compute per token.", "存储的参数与每个词元使用的参数，以及每词元计算量。"},
        {"Experts", "专家数"},
        {"Top-k", "Top-k"},
        {"Temperature", "温度"},
        {"Capacity factor", "容量因子"},
        {"Min capacity", "最小容量"},
        {"Shared experts", "共享专家"},
        {"Model width D", "模型宽度 D"},
        {"Hidden width H", "隐藏宽度 H"},
        {"Activation", "激活函数"},
        {"Score function", "打分函数"},
        {"Renormalize top-k", "Top-k 重新归一化"},
        {"Routing", "路由方式"},
        {"Overflow", "溢出处理"},
        {"Drop priority", "丢弃优先级"},
        {"Noisy top-k", "噪声 Top-k"},
        {"Jitter", "抖动"},
        {"Seed", "随机种子"},
        {"Noise seed", "噪声种子"},
        {"Groups", "分组数"},
        {"Top groups", "保留组数"},
        {"Group score", "组分数"},
        {"Backend", "计算后端"},
        {"Model", "模型"},
        {"Router", "路由器"},
        {"Capacity", "容量"},
        {"Noise", "噪声"},
        {"Group-limited routing", "分组限制路由"},
        {"Compute", "计算"},
        {"capacity", "容量"},
        {"dropless", "不丢弃"},
        {"tokens", "词元"},
        {"dropped", "丢弃"},
        {"requested", "请求"},
        {"kept", "保留"},
        {"expert", "专家"},
        {"token", "词元"},
        {"score", "分数"},
        {"weight", "权重"},
        {"logit", "logit"},
        {"chosen", "选中"},
        {"History", "历史"},
        {"Total parameters", "总参数"},
        {"Active per token", "每词元激活参数"},
        {"FLOPs per token", "每词元 FLOPs"},
        {"This layer", "当前层"},
        {"Published models", "已发表模型"},
        {"total", "总计"},
        {"active", "激活"},
        {"Weights", "权重"},
        {"random (seed)", "随机（种子）"},
        {"Error", "错误"},
        {"Path", "路径"},
        {"OK", "确定"},
        {"Cancel", "取消"},
        {"Shortcuts", "快捷键"},
        {"all experts' scores", "所有专家的分数"},
        {"Drop rate", "丢弃率"},
        {"Aux loss", "辅助损失"},
        {"Load CV", "负载 CV"},
        {"Z-loss", "Z 损失"},
        {"Entropy", "熵"},
        {"Max/mean", "最大/平均"},
        {"Expert parallel", "专家并行"},
        {"Training", "训练"},
        {"training (live)", "训练中（实时）"},
        {"Train on Tang poems and English next-byte prediction; watch experts divide the bytes, or one take all.",
         "用唐诗和英文做下一字节预测训练；看专家分工，或一个专家包揽一切。"},
        {"All-to-all traffic", "All-to-all 通信"},
        {"GPUs and timeline", "GPU 与时间线"},
        {"GPUs", "GPU 数"},
        {"GPUs per node", "每节点 GPU"},
        {"Placement", "放置方式"},
        {"Dispatch bytes from each token's GPU (row) to its experts' GPUs (column); combine sends the same back.",
         "分发：从词元所在 GPU（行）到其专家所在 GPU（列）的字节数；合并时原路返回。"},
        {"Experts inside their GPUs (brighter = more tokens); below, each GPU's dispatch, compute and combine.",
         "专家位于各自 GPU 中（越亮词元越多）；下方为每个 GPU 的分发、计算、合并。"},
    };
    return t;
}

} // namespace

void setLanguage(Language l) { g_language = l; }
Language language() { return g_language; }

Language languageFromEnvironment() {
    for (const char* var : {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"}) {
        const char* v = std::getenv(var);
        if (v && *v) return std::strncmp(v, "zh", 2) == 0 ? Language::Chinese : Language::English;
    }
    return Language::English;
}

const char* tr(const char* english) {
    if (g_language == Language::English) return english;
    const auto& t = chinese();
    auto it = t.find(english);
    return it == t.end() ? english : it->second;
}

std::string allTranslatedText() {
    std::string all = "简体中文";
    for (const auto& [en, zh] : chinese()) all += zh;
    return all;
}

const char* label(const char* english, const char* id) {
    struct Key {
        const char *english, *id;
        Language language;
        bool operator==(const Key& o) const { return english == o.english && id == o.id && language == o.language; }
    };
    struct Hash {
        size_t operator()(const Key& k) const {
            return std::hash<const void*>()(k.english) * 31 + std::hash<const void*>()(k.id) + size_t(k.language);
        }
    };
    static std::unordered_map<Key, std::string, Hash> cache;
    const Key key{english, id, g_language};
    auto it = cache.find(key);
    if (it == cache.end()) it = cache.emplace(key, std::string(tr(english)) + "###" + id).first;
    return it->second.c_str();
}

} // namespace moe::gui
