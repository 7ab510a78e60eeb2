# The browser build (.ci/web runs it in build-web/ with ROOT = the repository):
# core/ (Eigen only), app/cli (route), app/gui and Dear ImGui 1.86 with em++, linked
# into moelab.js + moelab.wasm, the assets and the CJK font subset packed in moelab.data.
CXX := em++
CC := emcc
SRC := src
CORE := $(filter-out $(ROOT)/core/backends/opencl/% $(ROOT)/core/astra/%,$(wildcard $(ROOT)/core/*.cpp $(ROOT)/core/*/*.cpp))
CLI := $(filter-out %/cmd_misc.cpp %/cmd_astra.cpp,$(wildcard $(ROOT)/app/cli/*.cpp))  # info and bench (OpenCL), export-astra (protobuf)
GUI := $(filter-out %/gui_stub.cpp,$(wildcard $(ROOT)/app/gui/*.cpp)) $(ROOT)/app/web_main.cpp
IMGUI := $(addprefix $(SRC)/imgui/,imgui.cpp imgui_draw.cpp imgui_tables.cpp imgui_widgets.cpp \
  misc/cpp/imgui_stdlib.cpp backends/imgui_impl_glfw.cpp backends/imgui_impl_opengl3.cpp)
ZLIB := $(addprefix $(SRC)/zlib/,adler32.c compress.c crc32.c deflate.c inflate.c inffast.c inftrees.c \
  trees.c uncompr.c zutil.c)

obj = $(patsubst $(ROOT)/%,obj/%,$(patsubst $(SRC)/%,obj/ext/%,$(1:=.o)))
CORE_O := $(call obj,$(CORE))
CLI_O := $(call obj,$(CLI))
GUI_O := $(call obj,$(GUI))
EXT_O := $(call obj,$(IMGUI) $(ZLIB)) obj/ext/stb_image_write.o

DEFS := -DMOELAB_NO_OPENCL -DMOELAB_VERSION='"$(VERSION)"' -DIMGUI_IMPL_OPENGL_ES3 -DEIGEN_MPL2_ONLY
INCS := -I$(ROOT)/web/include -Iinclude -I/usr/include/eigen3 -I$(SRC)/imgui -I$(SRC)/imgui/misc/cpp -I$(SRC)/zlib \
  -I$(ROOT)/core -I$(ROOT)/app -I$(ROOT)/app/gui -I$(ROOT)/app/cli
OPT := -O2 -fexceptions
CXXFLAGS := -std=c++20 $(OPT) $(DEFS) $(INCS) -include float_to_chars.hpp -ffp-contract=off -Wno-unknown-pragmas -MMD -MP
ASSETS := lessons weights models corpus/lesson.txt corpus/reviews.tsv
LDFLAGS := $(OPT) -sUSE_GLFW=3 -sMIN_WEBGL_VERSION=2 -sMAX_WEBGL_VERSION=2 -sALLOW_MEMORY_GROWTH=1 \
  -sINITIAL_MEMORY=134217728 -sENVIRONMENT=web -sFORCE_FILESYSTEM \
  -sEXPORTED_FUNCTIONS=_main,_free,_moelab_route,_moelab_route_status,_moelab_uploaded,_moelab_paste,_moelab_type,_moelab_session,_moelab_layout -sEXPORTED_RUNTIME_METHODS=ccall,UTF8ToString,FS \
  $(foreach a,$(ASSETS),--preload-file $(ROOT)/assets/$(a)@/share/moelab/$(a)) \
  --preload-file fonts/moelab-cjk.otf@/fonts/moelab-cjk.otf

moelab.js: $(CORE_O) obj/libcli.a $(GUI_O) $(EXT_O) fonts/moelab-cjk.otf
	$(CXX) -o $@ $(GUI_O) obj/libcli.a $(CORE_O) $(EXT_O) $(LDFLAGS)

# The commands route needs, linked from an archive: the others stay out.
obj/libcli.a: $(CLI_O)
	rm -f $@
	emar rcs $@ $^

include/stamp:
	mkdir -p include
	ln -sfn /usr/include/nlohmann include/nlohmann
	ln -sfn /usr/include/stb/stb_image_write.h include/stb_image_write.h
	touch $@

obj/%.cpp.o: $(ROOT)/%.cpp include/stamp
	@mkdir -p $(@D)
	@echo "em++ $(patsubst $(ROOT)/%,%,$<)"
	@$(CXX) $(CXXFLAGS) -c $< -o $@

obj/ext/%.cpp.o: $(SRC)/%.cpp include/stamp
	@mkdir -p $(@D)
	@echo "em++ $<"
	@$(CXX) -std=c++20 $(OPT) $(DEFS) -I$(SRC)/imgui -MMD -MP -c $< -o $@

obj/ext/%.c.o: $(SRC)/%.c
	@mkdir -p $(@D)
	@echo "emcc $<"
	@$(CC) -O2 -MMD -MP -c $< -o $@

obj/ext/stb_image_write.o: include/stamp
	@mkdir -p $(@D)
	printf '#define STB_IMAGE_WRITE_IMPLEMENTATION\n#include <stb_image_write.h>\n' | $(CC) -O2 -Iinclude -x c -c - -o $@

-include $(shell find obj -name '*.d' 2>/dev/null)
