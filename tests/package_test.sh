#!/usr/bin/env bash
# Builds the Debian package from the build tree, unpacks it into a temporary root (no
# dpkg -i: the test needs no root and leaves the machine as it was), and runs the
# installed binary from there: `route` on the shipped checkpoint and the app under Xvfb.
# usage: tests/package_test.sh BUILD_DIR [CPACK]
set -euo pipefail
build=$(cd "$1" && pwd)
cpack=${2:-cpack}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset MOELAB_DATA  # the installed binary must find its data by itself
for tool in dpkg-deb dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || { echo "SKIPPED: $tool is missing (Debian's dpkg-dev)"; exit 77; }
done

(cd "$build" && "$cpack" -G DEB -B "$work/pkg" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/pkg/moelab_*.deb)
echo "package: $(basename "$deb"), $(du -k "$deb" | cut -f1) KiB"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for need in libglfw3 libgomp1 ocl-icd-libopencl1 fonts-noto-cjk; do
  grep -q "$need" <<<"$depends" || { echo "FAIL: Depends lacks $need"; exit 1; }
done
if grep -q -- '-dev' <<<"$depends"; then echo "FAIL: Depends names a -dev package"; exit 1; fi

root="$work/root"
dpkg-deb -x "$deb" "$root"
for f in usr/bin/moelab usr/share/moelab/weights/lesson.safetensors usr/share/moelab/lessons/moe-basics.lesson \
         usr/share/moelab/corpus/lesson.txt usr/share/applications/moelab.desktop \
         usr/share/icons/hicolor/scalable/apps/moelab.svg usr/share/icons/hicolor/48x48/apps/moelab.png \
         usr/share/man/man1/moelab.1.gz; do
  [ -e "$root/$f" ] || { echo "FAIL: the package lacks /$f"; exit 1; }
done
grep -q '^Exec=moelab' "$root/usr/share/applications/moelab.desktop" || { echo "FAIL: the desktop entry runs no moelab"; exit 1; }
if command -v desktop-file-validate >/dev/null; then desktop-file-validate "$root/usr/share/applications/moelab.desktop"; fi

# Moved away from the source and build trees: only ../share/moelab can hold the data.
bin="$root/usr/bin/moelab"
"$bin" route --weights "$root/usr/share/moelab/weights/lesson.safetensors" --text "MoE是很强大的机制！" --json >"$work/route.json"
grep -q '"tokens":\[' "$work/route.json" || { echo "FAIL: route printed no tokens"; exit 1; }
"$bin" route --model tiny-lm --text "床前明月光，" --json >"$work/route_lm.json"
grep -q '"bits_per_byte":' "$work/route_lm.json" || { echo "FAIL: route --model tiny-lm printed no bits_per_byte"; exit 1; }
# The app opens on the shipped checkpoint and the built-in lesson, both from share/moelab.
if command -v xvfb-run >/dev/null; then
  xvfb-run -a -s '-screen 0 1280x800x24' "$bin" gui --lesson builtin --chapter 3 --frames 3 --screenshot "$work/installed.png" \
    2>"$work/gui.log" || { cat "$work/gui.log"; exit 1; }
  size=$(stat -c %s "$work/installed.png")
  [ "$size" -gt 50000 ] || { echo "FAIL: the installed app's screenshot is $size bytes"; exit 1; }
  if [ -n "${MOELAB_PACKAGE_SHOT:-}" ]; then cp "$work/installed.png" "$MOELAB_PACKAGE_SHOT"; fi
  echo "installed app rendered: $size bytes"
else
  echo "xvfb-run missing: the installed app was not started"
fi
# Without its data the binary says where it looked, and MOELAB_DATA points it elsewhere.
mv "$root/usr/share/moelab" "$work/data"
if "$bin" train --steps 1 2>"$work/err.log"; then echo "FAIL: trained without its corpus"; exit 1; fi
grep -q "MOELAB_DATA" "$work/err.log" || { cat "$work/err.log"; echo "FAIL: no hint at MOELAB_DATA"; exit 1; }
MOELAB_DATA="$work/data" "$bin" train --steps 1 --quiet 2>"$work/err.log" || { cat "$work/err.log"; echo "FAIL: MOELAB_DATA was not used"; exit 1; }
echo "PASS"
