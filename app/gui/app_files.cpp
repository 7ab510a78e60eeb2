// The path prompt of File's entries: load text, weights or a session, save one, export.
#include "app.hpp"

#include <imgui_stdlib.h>

#include <filesystem>
#include <map>

#include "atomic_file.hpp"
#include "errors.hpp"
#include "lesson_code.hpp"
#include "platform.hpp"
#include "settings_schema.hpp"

namespace moe::gui {

namespace {
constexpr float kPathFieldWidth = 500;
constexpr const char* kDownloadFolder = "/download";  // the browser's: in its memory file system
}  // namespace

void App::openPath(PathAction a, const std::string& suggestion) {
    if (kInBrowser && openInBrowser(a, suggestion)) return;
    m_action = a;
    m_path = suggestion;
    m_openPopup = true;
}

// In the browser a file to open comes from the page's file chooser (uploaded() opens
// it), and one to save goes to /download under the suggested name, then downloads; a
// lesson code is still typed or pasted.
bool App::openInBrowser(PathAction a, const std::string& suggestion) {
    static const std::map<PathAction, const char*> accepts = {{PathAction::LoadText, ".txt,text/plain"},
                                                              {PathAction::LoadWeights, ".safetensors"},
                                                              {PathAction::LoadSession, ".json"},
                                                              {PathAction::OpenLesson, ".lesson,.txt"},
                                                              {PathAction::OpenTrace, ".safetensors"}};
    if (const auto it = accepts.find(a); it != accepts.end()) {
        chooseUpload(int(a), it->second);
        return true;
    }
    if (a != PathAction::SaveSession && a != PathAction::ExportPng && a != PathAction::ExportView) return false;
    m_action = a;
    m_path = std::string(kDownloadFolder) + "/" + suggestion;
    runPathAction();
    if (a == PathAction::SaveSession && m_message.empty()) offerDownload(m_path);  // exports: after their frame
    return true;
}

void App::uploaded(int action, const std::string& path) { m_uploaded.emplace(PathAction(action), path); }

// The upload the page handed over since the last frame.
void App::openUploaded() {
    if (!m_uploaded) return;
    m_action = m_uploaded->first;
    m_path = m_uploaded->second;
    m_uploaded.reset();
    runPathAction();
}

void App::pathPopup() {
    if (m_openPopup) {
        ImGui::OpenPopup("##path");
        m_openPopup = false;
    }
    if (!ImGui::BeginPopupModal("##path", nullptr, ImGuiWindowFlags_AlwaysAutoResize)) return;
    ImGui::Text("%s", tr("Path"));
    ImGui::SetNextItemWidth(kPathFieldWidth * m_ui.scale);
    if (ImGui::IsWindowAppearing()) ImGui::SetKeyboardFocusHere();
    const bool enter = ImGui::InputText("##p", &m_path, ImGuiInputTextFlags_EnterReturnsTrue);
    if (ImGui::Button(tr("OK")) || enter) {
        runPathAction();
        ImGui::CloseCurrentPopup();
    }
    ImGui::SameLine();
    if (ImGui::Button(tr("Cancel"))) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
}

void App::useLm(const std::string& nameOrPath, bool asTrained) {
    if (const std::string e = m_state.useLm(nameOrPath, asTrained); !e.empty())
        setNotice(std::string(tr("The language model did not load; the one-layer model stays:")) + " " + e, true);
    m_relayout = true;
}

// A problem of the settings, or the one already said (a model that did not load).
void App::keepProblem(const std::string& problem) {
    if (!problem.empty()) m_message = problem;
}

// A session's or code's model (empty: the one-layer model), routing as saved: the
// settings laid on next carry it.
void App::showModel(const std::string& model, int layer) {
    if (model.empty()) {
        leaveLm();
        return;
    }
    if (m_state.lmName() != model) useLm(model, false);
    m_state.setLayer(layer);
}

// A router trace in place of the model (File > Open a router trace, gui --trace).
void App::openTrace(const std::string& path) {
    if (const std::string e = m_state.useTrace(path); !e.empty())
        setNotice(std::string(tr("The router trace did not open; what was shown stays:")) + " " + e, true);
    m_relayout = true;
}

void App::leaveLm() {
    m_state.leaveTrace();
    m_state.leaveLm();
    m_relayout = true;
}

void App::setNotice(const std::string& notice, bool problem) {
    (problem ? m_message : m_notice) = notice;
    (problem ? m_notice : m_message).clear();
}

void App::runPathAction() {
    m_message.clear();
    m_notice.clear();
    try {
        switch (m_action) {
            case PathAction::LoadText:
                m_state.settings().text = readFile(m_path);
                m_state.settings().textFile = m_path;
                m_state.changed(SettingEffect::Route);
                break;
            case PathAction::LoadWeights:
                m_state.loadWeights(m_path);
                break;
            case PathAction::SaveSession:
                writeFileAtomic(m_path, sessionJson(m_state.settings(), m_state.lmName(), m_state.layer()));
                break;
            case PathAction::LoadSession: {
                LoadedSession loaded = parseSession(readFile(m_path), m_path);
                showModel(loaded.model, loaded.layer);
                keepProblem(m_state.replaceSettings(std::move(loaded.settings)));
                if (m_message.empty() && !loaded.unknownKeys.empty()) {
                    m_message = m_path + ": " + tr("ignored unknown keys") + ":";
                    for (const std::string& k : loaded.unknownKeys) m_message += " " + k;
                }
                break;
            }
            case PathAction::ExportPng:
                pendingPng = m_path;
                break;
            case PathAction::ExportView: {
                const std::string ext = std::filesystem::path(m_path).extension().string();
                if (ext != ".png" && ext != ".svg") throw InputError(m_path, "needs a name ending in .png or .svg");
                pendingExport = ViewExport{m_exportView, m_path};
                break;
            }
            case PathAction::OpenLesson:
                openLesson(m_path, 0);
                break;
            case PathAction::OpenCode:
                openCode(m_path);
                break;
            case PathAction::OpenTrace:
                openTrace(m_path);
                break;
            case PathAction::None:
                break;
        }
    } catch (const std::exception& e) {
        m_message = errorText(e);  // shown in the status bar; nothing else changes
    }
}

}  // namespace moe::gui
