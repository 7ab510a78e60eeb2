// The app in the browser (README "In the browser"): serves build-web/ with python's
// static server, opens it in headless chromium (puppeteer-core), measures the time to
// the first frame, compares window.moelab.route(flags) with the native
// `moelab route FLAGS --json`, opens a lesson code from #CODE and takes a screenshot;
// checks that an idle page draws on demand, that Ctrl+S and Ctrl+E download and Ctrl+O
// uploads through the file chooser, and that a character outside the font subset is
// drawn by the browser's fonts.
// usage: node browser_test.mjs SOURCE_DIR NATIVE_MOELAB OUT_DIR
// Exit 77 (ctest: skipped) with the reason when emscripten's output, chromium or
// puppeteer-core is missing.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const [root, nativeBin, outDir] = process.argv.slice(2);
const web = path.join(root, 'build-web');
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);

function skip(why) {
  console.log(`SKIPPED: ${why}`);
  process.exit(77);
}
if (!existsSync(path.join(web, 'moelab.wasm'))) skip('no build-web/moelab.wasm: run .ci/web (needs emscripten)');
if (!chromium) skip('no chromium: apt-get install chromium (or .ci/web --tests)');
let puppeteer;
try {
  puppeteer = createRequire(path.join(web, 'package.json'))('puppeteer-core');
} catch {
  skip('no puppeteer-core in build-web/node_modules: .ci/web --tests installs it');
}

// The cases the README names: a preset, Chinese text, capacity drops, expert choice, GPUs.
const cases = ['--preset mixtral', '--text 你好世界', '--capacity-factor 0.5 --text "hello, world"',
  '--routing expert-choice', '--gpus 8 --experts 16'];
let failures = 0;
function fail(what) {
  console.log(`FAIL: ${what}`);
  failures++;
}

// Equal JSON; numbers within 1e-6 relative (1e-9 absolute near zero). The Eigen device's
// thread count differs by design (the page has one thread), so config.device is not compared.
function compare(a, b, where, diffs) {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Math.abs(a - b) > Math.max(1e-9, 1e-6 * Math.max(Math.abs(a), Math.abs(b)))) diffs.push(`${where}: ${a} vs ${b}`);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) diffs.push(`${where}: length ${a.length} vs ${b.length}`);
    else a.forEach((x, i) => compare(x, b[i], `${where}[${i}]`, diffs));
  } else if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (where + '.' + k !== '.config.device') compare(a[k], b[k], `${where}.${k}`, diffs);
  } else if (a !== b) {
    diffs.push(`${where}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
}

function splitFlags(s) {  // the cases' quoting only: "..." groups words
  return [...s.matchAll(/"([^"]*)"|(\S+)/g)].map(m => m[1] ?? m[2]);
}

async function serve() {
  const server = spawn('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '-d', web]);
  const port = await new Promise((resolve, reject) => {
    server.stdout.on('data', d => {
      const m = /port (\d+)/.exec(String(d));
      if (m) resolve(m[1]);
    });
    server.on('exit', code => reject(new Error(`http.server exited with ${code}`)));
  });
  return { server, url: `http://127.0.0.1:${port}/index.html` };
}

// Opens url, waits for the app's first frame; returns the page and its time (ms).
async function open(browser, url, errors, deviceScaleFactor = 1) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800, deviceScaleFactor });
  // The app's own messages (stderr: 'moelab: ...') and the page's errors; chromium's
  // notes about its software GL (warnings) are not the app's.
  page.on('console', m => { if (m.type() === 'error' || m.text().startsWith('moelab')) errors.push(m.text()); });
  page.on('pageerror', e => errors.push(String(e)));
  await page.goto(url);
  await page.waitForFunction('window.moelab && window.moelab.firstFrame', { timeout: 60000 });
  return { page, ms: await page.evaluate('window.moelab.firstFrame') };
}

async function checkRoutes(page) {
  for (const flags of cases) {
    const got = JSON.parse(await page.evaluate(f => window.moelab.route(f), flags));
    const want = JSON.parse(execFileSync(nativeBin, ['route', ...splitFlags(flags), '--json'], { encoding: 'utf8' }));
    const diffs = [];
    compare(got, want, '', diffs);
    if (diffs.length) fail(`route ${flags}: ${diffs.length} differences, first: ${diffs.slice(0, 3).join('; ')}`);
    else console.log(`route ${flags}: same JSON as the native build (${want.tokens.length} tokens)`);
  }
  const bad = await page.evaluate(() => { try { window.moelab.route('--k 0'); return 'no error'; } catch (e) { return e.message; } });
  if (!/--k/.test(bad)) fail(`route --k 0 should throw naming --k, got: ${bad}`);
}

async function checkCode(browser, url) {
  const code = execFileSync(nativeBin, ['code', '--preset', 'mixtral', '--page', 'parallel'], { encoding: 'utf8' }).trim();
  const errors = [];
  const { page } = await open(browser, `${url}#${code}`, errors);
  if (errors.some(e => e.includes('moelab'))) fail(`#CODE: ${errors.join(' | ')}`);
  else console.log(`#CODE: ${code.slice(0, 24)}… opened`);
  await page.screenshot({ path: path.join(outDir, 'web-code.png') });
  const bad = await browser.newPage();
  await bad.goto(`${url}#moe1-bogus`);
  await bad.waitForFunction(() => document.getElementById('status').textContent.includes('--code'), { timeout: 60000 })
    .then(() => console.log('#moe1-bogus: the page says why it did not open'))
    .catch(() => fail('#moe1-bogus: no message on the page'));
}

const sleep = ms => new Promise(r => setTimeout(r, ms));

// Idle, the page draws a frame now and then (browser_main.cpp: every 500 ms); input draws
// at once, a few frames. Drawing every animation frame would be about 120 frames in 2 s.
async function checkOnDemand(page) {
  await sleep(1000);
  const frames = () => page.evaluate('window.moelab.frames');
  const before = await frames();
  await sleep(2000);
  const idle = (await frames()) - before;
  await page.mouse.move(640, 400);
  await page.mouse.move(650, 410);
  await sleep(1000);
  const moved = (await frames()) - before - idle;
  if (idle > 8 || moved < idle / 2 + 4)
    fail(`render on demand: ${idle} frames in 2 s idle (at most 8), ${moved} in 1 s after a mouse move`);
  else console.log(`render on demand: ${idle} frames in 2 s idle, ${moved} in the second after a mouse move`);
}


async function waitForFile(file) {
  for (let i = 0; i < 100 && !existsSync(file); i++) await sleep(100);
  if (!existsSync(file)) throw new Error(`no download ${path.basename(file)}`);
  await sleep(200);  // written whole
  return readFileSync(file);
}

// Ctrl+S and Ctrl+E leave as downloads, Ctrl+O takes a session through the file chooser.
async function checkFiles(page) {
  const downloads = path.join(outDir, 'downloads');
  rmSync(downloads, { recursive: true, force: true });
  mkdirSync(downloads);
  const cdp = await page.createCDPSession();
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
  await holdKeys(page, 'Control', 'KeyS');
  const saved = JSON.parse(await waitForFile(path.join(downloads, 'session.moelab.json')));
  const shown = JSON.parse(await page.evaluate('window.moelab.session()'));
  if (saved.text !== shown.text || saved.experts !== shown.experts) fail('Ctrl+S: the download is not the session shown');
  else console.log(`Ctrl+S: session.moelab.json downloaded (${Object.keys(saved).length} keys)`);

  // The app asks the page for a file (chooseFile); headless chromium opens no file chooser for
  // input dispatched by puppeteer, so the test hands over the file as the chooser's change does.
  await page.evaluate(() => {
    window.moelab.chosen = null;
    window.moelab.chooseFile = (action, accept) => { window.moelab.chosen = { action, accept }; };
  });
  await holdKeys(page, 'Control', 'KeyO');
  const asked = await page.waitForFunction(() => window.moelab.chosen, { timeout: 10000 }).then(h => h.jsonValue())
    .catch(() => null);
  if (!asked) fail('Ctrl+O: the app did not ask the page for a file');
  else {
    const upload = { ...saved, text: '上传的文本 uploaded', experts: 12, k: 3 };
    delete upload.weights;  // the shipped weights have 8 experts: seeded ones instead
    await page.evaluate((a, text) => window.moelab.openFile(a, 'upload.moelab.json', new TextEncoder().encode(text)),
      asked.action, JSON.stringify(upload));
    await page.waitForFunction(() => JSON.parse(window.moelab.session()).experts === 12, { timeout: 10000 })
      .then(() => console.log(`Ctrl+O: the page was asked for a ${asked.accept} file; the upload opened (12 experts)`))
      .catch(async () => fail(`Ctrl+O: the uploaded session did not open: ${await page.evaluate('window.moelab.session()')}`));
  }

  await holdKeys(page, 'Control', 'KeyE');
  const png = await waitForFile(path.join(downloads, 'moelab.png'));
  const [w, h] = [png.readUInt32BE(16), png.readUInt32BE(20)];
  const canvas = await page.evaluate(() => [document.getElementById('canvas').width, document.getElementById('canvas').height]);
  if (png.toString('latin1', 1, 4) !== 'PNG' || w !== canvas[0] || h !== canvas[1])
    fail(`Ctrl+E: moelab.png is ${w}x${h}, the canvas ${canvas.join('x')}`);
  else console.log(`Ctrl+E: moelab.png downloaded, ${w}x${h} as the canvas`);
}

// Held for 100 ms, as a hand does: ImGui 1.86's GLFW backend keeps a key's state, not its
// presses, so a press released before the next frame is not seen.
async function holdKeys(page, ...keys) {
  for (const k of keys) await page.keyboard.down(k);
  await sleep(100);
  for (const k of keys.reverse()) await page.keyboard.up(k);
}

// In the Text view's field: an input method's text (composed in the page's hidden text
// area), then Ctrl+V from the system clipboard and Ctrl+A, Ctrl+C back to it.
async function checkTyping(browser, page, url) {
  const text = async () => JSON.parse(await page.evaluate('window.moelab.session()')).text;
  const view = JSON.parse(await page.evaluate('window.moelab.layout()')).views.find(v => v.name === 'text');
  await page.mouse.click(view.x + 60, view.y + 60);
  await sleep(300);
  await holdKeys(page, 'Control', 'End');
  const before = await text();
  const cdp = await page.createCDPSession();
  await cdp.send('Input.imeSetComposition', { text: 'ni', selectionStart: 2, selectionEnd: 2 });
  await cdp.send('Input.insertText', { text: '你好' });
  await sleep(300);
  const composed = await text();
  if (composed !== before + '你好') fail(`input method: the text is ${JSON.stringify(composed)}`);
  else console.log('input method: 你好 composed in the page went into the Text view');
  await browser.defaultBrowserContext().overridePermissions(new URL(url).origin, ['clipboard-read', 'clipboard-write', 'clipboard-sanitized-write']);
  await page.evaluate(() => navigator.clipboard.writeText('粘贴'));
  await holdKeys(page, 'Control', 'KeyV');
  await sleep(300);
  await holdKeys(page, 'Control', 'KeyA');
  await holdKeys(page, 'Control', 'KeyC');
  await sleep(300);
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  if ((await text()) !== composed + '粘贴' || copied !== composed + '粘贴')
    fail(`clipboard: the text is ${JSON.stringify(await text())}, the clipboard ${JSON.stringify(copied)}`);
  else console.log('clipboard: Ctrl+V pasted 粘贴 from the system clipboard, Ctrl+C copied the whole text back');
}

// 龘 and 䶮 are in no shipped text and not in GB2312: the subset lacks them, the browser
// draws them. On a screen of 2 device pixels per CSS pixel the canvas has them all and the
// UI scale is 2.
async function checkRareCharacters(browser, url) {
  const code = execFileSync(nativeBin, ['code', '--text', '龘䶮 rare'], { encoding: 'utf8' }).trim();
  const { page } = await open(browser, `${url}?lang=zh#${code}`, [], 2);
  const report = JSON.parse(await page.evaluate('window.moelab.layout()'));
  if (report.window.join('x') !== '2560x1600' || report.scale !== 2)
    fail(`high-DPI: a ${report.window.join('x')} window at scale ${report.scale}, 2560x1600 at 2 wanted`);
  else console.log('high-DPI: 2560x1600 canvas pixels for 1280x800 CSS pixels, UI scale 2');
  const drawn = await page.evaluate('window.moelab.browserGlyphs');
  // Full-width characters: one em wide, their ink inside the line.
  const ink = await page.evaluate('window.moelab.glyphInk');
  const bad = ink.filter(g => !(g.top >= 0 && g.bottom < g.height && Math.abs(g.width - g.em) <= 1.5));
  if (drawn < 4 || bad.length)
    fail(`龘䶮: ${drawn} glyphs drawn by the browser's fonts, 4 wanted (2 characters, 2 sizes); ` +
      `not one em wide inside the line: ${JSON.stringify(bad)}`);
  else console.log(`龘䶮: ${drawn} glyphs drawn by the browser's fonts, each one em wide, its ink inside the line`);
  await page.screenshot({ path: path.join(outDir, 'web-rare-zh.png') });
}

mkdirSync(outDir, { recursive: true });
const { server, url } = await serve();
const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  args: ['--no-sandbox', '--enable-unsafe-swiftshader', '--use-angle=swiftshader', '--ignore-gpu-blocklist',
    '--window-size=1280,800'],
});
try {
  const errors = [];
  const { page, ms } = await open(browser, url, errors);
  const loaded = await page.evaluate('window.moelab.loaded');
  console.log(`first frame: ${(ms / 1000).toFixed(2)} s after navigation (wasm and data in at ` +
    `${(loaded / 1000).toFixed(2)} s)${ms > 5000 ? ', over the 5 s wanted' : ''}`);
  await new Promise(r => setTimeout(r, 1000));  // a few more frames
  await page.screenshot({ path: path.join(outDir, 'web.png') });
  if (errors.length) fail(`messages on the console: ${errors.join(' | ')}`);
  await checkRoutes(page);
  await checkOnDemand(page);
  await checkFiles(page);
  await checkTyping(browser, page, url);
  await checkCode(browser, url);
  await checkRareCharacters(browser, url);
} catch (e) {
  fail(String(e.stack || e));
} finally {
  await browser.close();
  server.kill();
}
console.log(failures ? `${failures} failed` : 'all browser checks passed');
process.exit(failures ? 1 : 0);
