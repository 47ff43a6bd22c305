// End-to-end test of notebooks/03_manifold.ipynb in headless Chromium, driven through
// Jupyter Notebook's own page as a person would use it. tests/browser/run.sh starts the
// server (quick mode, empty model cache) and runs this with:
//
//   NOTEBOOK_URL  the notebook's page, token included
//   CHROMIUM      the browser (Debian's; Playwright never downloads one here)
//   PROFILE_DIR   a fresh, empty user-data directory
//   MODELS_DIR    the server's VAEKIT_MODELS (empty at the start)
//   ARTIFACTS     where the console log, the executed notebook and a screenshot on
//                 failure are written
//   TIMEOUT_S     seconds allowed to the whole session
//
// Steps and checks, in order:
//   1. Cell > Run All. The training cell trains (it does not find a cached model) and
//      prints its held-out terms; the cells after it load that model from MODELS_DIR;
//      every `// expect-image` cell shows an image.
//   2. The live explorer (last cell) shows its sliders and Done: dragging the z1 slider
//      with the mouse must redraw the digit, decoded where the slider stopped.
//   3. Done ends the cell; the controls go, the last frame stays.
//   4. The training cell's `%%` line is edited to `%% --kl_weight=0.5` and run: it trains
//      a new model (new held-out numbers, new image).
//   5. Run again, it loads that model from the cache: same numbers, and its directory is
//      not the first model's.
// Throughout: any error output or stderr output in any cell, and any page error
// (uncaught exception) or console error other than GoNB's known ones (knownPageErrors,
// knownConsoleErrors) fails the test.
import { chromium } from "playwright-core";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const env = (name) => {
  const v = process.env[name];
  if (!v) {
    throw new Error(`environment variable ${name} is not set (tests/browser/run.sh sets it)`);
  }
  return v;
};
const notebookURL = env("NOTEBOOK_URL");
const modelsDir = env("MODELS_DIR");
const artifacts = env("ARTIFACTS");
const deadline = Date.now() + Number(env("TIMEOUT_S")) * 1000;
mkdirSync(artifacts, { recursive: true });

// The flags Debian's Chromium needs here: as root (no sandbox), no GPU, and none of its
// own traffic to the internet (background networking, component updates, sync, QUIC).
const chromiumFlags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

// Console errors that come from GoNB v0.11.5, not from vaekit. GoNB's widget script opens
// its own websocket to the kernel and a comm over it (internal/websocket/websocket.js),
// but the kernel publishes its messages to that comm on IOPub (internal/comms/comms.go,
// sendDataLocked), which reaches the page's own websocket too; classic Notebook's
// CommManager never saw that comm opened and logs this error for each: the
// "#comm_open_ack" of the first widget session, a "#heartbeat/ping" of each later one.
//
// And GoNB gives the page only 500 ms to receive the kernel's acknowledgement of that comm
// (websocket.js, _wait_open_ack); a busy machine misses it, and GoNB's script then logs
// the failure and leaves its promise rejected, unhandled (a page error). The explorer
// asks again and GoNB reconnects (vaekit/plot/explorer.go, frontEndAnswers), so these
// pass as long as the explorer still goes live, which the test checks.
const knownConsoleErrors = [/^Comm promise not found for comm id [0-9a-f-]+$/,
  /^gonb_comm: failed to connect to kernel, communication \(and widgets\) will not work: comm_open_ack not received in time$/];
const knownPageErrors = [/^Error: comm_open_ack not received in time\b/];
const isKnown = (known, text) => known.some((re) => re.test(text));

const t0 = Date.now();
const note = (line) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}`);
const consoleLines = [];
const consoleErrors = [];
const pageErrors = [];
const blocked = [];
const timings = {};

class TestFailure extends Error {}
const fail = (msg) => {
  throw new TestFailure(msg);
};
const check = (cond, msg) => {
  if (!cond) {
    fail(msg);
  }
};
const remaining = () => Math.max(0, deadline - Date.now());
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// snapshot reads every cell of the notebook from the page's model (what the front end
// received and renders): source, execution count ("*" while running) and outputs, with
// images reduced to a hash.
async function snapshot(page) {
  return page.evaluate(() => {
    const hash = (s) => { // FNV-1a, enough to tell two images apart.
      let h = 0x811c9dc5;
      for (let i = 0; i < s.length; i++) {
        h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
      }
      return h.toString(16);
    };
    const plain = (html) => {
      const div = document.createElement("div");
      div.innerHTML = html;
      div.querySelectorAll("script, style").forEach((e) => e.remove());
      return div.textContent;
    };
    const text = (v) => (Array.isArray(v) ? v.join("") : v || "");
    return Jupyter.notebook.get_cells().map((cell, index) => {
      const outputs = cell.cell_type !== "code" ? [] : cell.output_area.outputs.map((o) => {
        const data = o.data || {};
        const html = text(data["text/html"]);
        const images = [];
        for (const mime of ["image/png", "image/jpeg", "image/svg+xml"]) {
          if (data[mime]) {
            images.push(hash(text(data[mime])));
          }
        }
        for (const m of html.matchAll(/<img[^>]*src="([^"]*)"|<svg[\s\S]*?<\/svg>/g)) {
          images.push(hash(m[1] || m[0]));
        }
        return {
          type: o.output_type, name: o.name, text: text(o.text), ename: o.ename, evalue: o.evalue,
          html: html ? plain(html) : "", images,
        };
      });
      const sliders = cell.element[0].querySelectorAll(".output_area input[type=range]").length;
      return { index, type: cell.cell_type, source: cell.get_text(), count: cell.input_prompt_number ?? null, outputs, sliders };
    });
  });
}

const streamText = (cell) => cell.outputs.filter((o) => o.type === "stream").map((o) => o.text).join("");
const allText = (cell) => cell.outputs.map((o) => o.text || o.html || "").join("\n");
const images = (cell) => cell.outputs.flatMap((o) => o.images);
const describe = (cell) => `cell ${cell.index + 1} (${JSON.stringify(cell.source.split("\n").find((l) => l.trim()) || "")})`;

// problems lists what fails the test at once: error outputs and stderr anywhere.
function problems(cells) {
  const found = [];
  for (const cell of cells) {
    for (const o of cell.outputs) {
      if (o.type === "error") {
        found.push(`${describe(cell)}: error ${o.ename}: ${o.evalue}\n${allText(cell).slice(-3000)}`);
      } else if (o.type === "stream" && o.name === "stderr") {
        found.push(`${describe(cell)}: stderr: ${o.text.slice(-3000)}`);
      }
    }
  }
  return found;
}

// waitCells polls the notebook until done(cells) holds, failing on problems() or timeout.
async function waitCells(page, what, done, timeoutMs = remaining()) {
  const until = Date.now() + Math.min(timeoutMs, remaining());
  for (;;) {
    const cells = await snapshot(page);
    const bad = problems(cells);
    if (bad.length) {
      fail(`while waiting for ${what}:\n${bad.join("\n")}`);
    }
    const unknownPageErrors = pageErrors.filter((e) => !isKnown(knownPageErrors, e));
    if (unknownPageErrors.length) {
      fail(`page error while waiting for ${what}: ${unknownPageErrors[0]}`);
    }
    if (done(cells)) {
      return cells;
    }
    if (Date.now() > until) {
      const running = cells.filter((c) => c.type === "code" && c.count !== null && typeof c.count !== "number");
      fail(`timed out waiting for ${what}; cells still running or queued: ${running.map(describe).join(", ") || "none"} ` +
        `(the session may take TIMEOUT_S=${env("TIMEOUT_S")} s: VAEKIT_BROWSER_TIMEOUT)`);
    }
    await sleep(250);
  }
}

const trainedLine = /(\w+) after (\d+) steps: held-out reconstruction [\d.]+ \+ KL [\d.]+ = [\d.]+ nats per image \(negative ELBO\) of \d+ values; \d+ active units/;
// inCache reports whether entry (a name the notebook printed) is a directory of the model cache.
const inCache = (entry) => !entry.includes("/") && existsSync(join(modelsDir, entry));
const foundLine = /found a model trained earlier with these settings in the model cache: (\S+)/;
const loadedLine = /\(\w+ model of \d+ steps, loaded from the model cache: (\S+)\)/;

// runCell runs the selected cell with Ctrl+Enter, as a person would, and waits for it to
// finish (a new execution count).
async function runCell(page, index, what) {
  const before = (await snapshot(page))[index].count;
  const started = Date.now();
  await page.keyboard.press("Control+Enter");
  const cells = await waitCells(page, what, (cs) => typeof cs[index].count === "number" && cs[index].count !== before);
  timings[what] = (Date.now() - started) / 1000;
  return cells[index];
}

async function main(page) {
  // --- open the notebook
  let started = Date.now();
  await page.goto(notebookURL, { timeout: remaining() });
  await page.waitForFunction(() => globalThis.Jupyter?.notebook?._fully_loaded && Jupyter.notebook.kernel?.is_connected(),
    null, { timeout: Math.min(60000, remaining()) });
  // Nothing of this session is saved (the notebook is a scratch copy anyway).
  await page.evaluate(() => Jupyter.notebook.set_autosave_interval(0));
  const kernelName = await page.evaluate(() => Jupyter.notebook.kernel.name);
  check(kernelName === "gonb", `the notebook's kernel is ${kernelName}, expected gonb`);
  timings["open notebook, kernel connected"] = (Date.now() - started) / 1000;
  note(`notebook open, kernel ${kernelName} connected`);

  let cells = await snapshot(page);
  const domCells = page.locator("#notebook-container > .cell");
  check(await domCells.count() === cells.length, `the page shows ${await domCells.count()} cells, the notebook has ${cells.length}`);
  const code = cells.filter((c) => c.type === "code");
  const find = (what, re) => {
    const found = code.filter((c) => re.test(c.source));
    check(found.length === 1, `expected one cell that ${what} (${re}), found ${found.length}`);
    return found[0].index;
  };
  const trainIdx = find("trains the model", /nb\.Train\(/);
  const exploreIdx = find("runs the explorer", /plot\.Explore\(/);
  check(exploreIdx === code[code.length - 1].index, "the explorer is not the last code cell");
  const loadIdxs = code.filter((c) => /nb\.Trained\(/.test(c.source) && c.index !== exploreIdx).map((c) => c.index);
  check(loadIdxs.length > 0, "no cell after the training cell uses the trained model (nb.Trained)");

  // --- 1. Cell > Run All
  started = Date.now();
  await page.click("#celllink");
  await page.click("#run_all_cells > a");
  const explorer = domCells.nth(exploreIdx);
  const sliders = explorer.locator(".output_area input[type=range]");
  const doneButton = explorer.getByRole("button", { name: "Done" });
  cells = await waitCells(page, "every cell to run and the explorer to go live", (cs) => {
    if (typeof cs[exploreIdx].count === "number") {
      fail(`the explorer ended without going live:\n${allText(cs[exploreIdx])}`);
    }
    return cs.every((c) => c.type !== "code" || c.index === exploreIdx || typeof c.count === "number")
      && cs[exploreIdx].sliders > 0;
  });
  await doneButton.waitFor({ timeout: Math.min(30000, remaining()) });
  timings["run all, until the explorer is live"] = (Date.now() - started) / 1000;
  note("all cells ran; the explorer is live");

  const first = cells[trainIdx];
  const firstOut = streamText(first);
  const firstTrained = firstOut.match(trainedLine);
  check(firstTrained, `${describe(first)}: no "... after N steps: held-out reconstruction ..." line in:\n${firstOut}`);
  check(!foundLine.test(firstOut), `${describe(first)}: found a cached model, but the model cache was empty:\n${firstOut}`);
  check(images(first).length > 0, `${describe(first)}: no image`);
  let firstDir = null;
  for (const i of loadIdxs) {
    const out = streamText(cells[i]);
    const m = out.match(loadedLine);
    check(m, `${describe(cells[i])}: expected "(... loaded from the model cache: ENTRY)" (the model trained above), got:\n${out}`);
    check(inCache(m[1]), `${describe(cells[i])}: loaded from ${m[1]}, expected an entry of ${modelsDir}`);
    check(firstDir === null || m[1] === firstDir, `${describe(cells[i])}: loaded ${m[1]}, an earlier cell ${firstDir}`);
    firstDir = m[1];
  }
  for (const c of cells) {
    if (c.type === "code" && c.index !== exploreIdx && /^\s*\/\/ expect-image\s*$/m.test(c.source)) {
      check(images(c).length > 0, `${describe(c)}: marked // expect-image but shows no image`);
    }
  }
  note(`training cell: ${firstTrained[0]}; ${loadIdxs.length} cells loaded ${firstDir}`);

  // --- 2. move the z1 slider
  check(await sliders.count() === 2, `the explorer shows ${await sliders.count()} sliders, expected 2 (z1, z2)`);
  const frameImg = explorer.locator(".output_area img").first();
  const zText = explorer.locator(".output_area div", { hasText: /^z = \(/ }).last();
  const src0 = await frameImg.getAttribute("src");
  const z0 = (await zText.textContent()).trim();
  check(z0 === "z = (0.00, 0.00)", `the explorer starts at ${z0}, expected z = (0.00, 0.00)`);
  // Drag the z1 slider's thumb from the middle to 80% of its width with the mouse: a
  // quick burst of moves, which must end with the digit decoded where the slider stopped.
  const slider = sliders.first();
  const pos0 = Number(await slider.inputValue());
  check(pos0 === 30, `the z1 slider starts at position ${pos0}, expected 30 (z1 = 0 on 60 steps over [-3, 3])`);
  await slider.scrollIntoViewIfNeeded();
  const box = await slider.boundingBox();
  started = Date.now();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.8, box.y + box.height / 2, { steps: 20 });
  await page.mouse.up();
  const pos1 = Number(await slider.inputValue());
  check(pos1 >= 40, `the slider was dragged from position ${pos0} to ${pos1}, expected to about 48`);
  const z1 = `z = (${(-3 + 6 * pos1 / 60).toFixed(2)}, 0.00)`;
  // (Each redraw replaces the frame's elements, so they are looked up afresh.)
  await page.waitForFunction(([i, src, want]) => {
    const out = Jupyter.notebook.get_cell(i).element[0];
    const img = out.querySelector(".output_area img");
    const z = [...out.querySelectorAll(".output_area div")].filter((d) => /^z = \(/.test(d.textContent)).pop();
    return img && z && img.getAttribute("src") !== src && z.textContent.trim() === want;
  }, [exploreIdx, src0, z1], { timeout: Math.min(20000, remaining()) })
    .catch(async () => fail(`the explorer did not redraw where the slider stopped (${z1}): it shows ` +
      `${(await zText.textContent()).trim()}, image ${(await frameImg.getAttribute("src")) === src0 ? "unchanged" : "changed"}`));
  timings["slider drag to redrawn image"] = (Date.now() - started) / 1000;
  const src1 = await frameImg.getAttribute("src");
  note(`slider dragged to position ${pos1}: the explorer redrew the digit at ${z1}`);

  // --- 3. Done
  started = Date.now();
  await doneButton.click();
  cells = await waitCells(page, "the explorer cell to end after Done", (cs) => typeof cs[exploreIdx].count === "number");
  await sliders.first().waitFor({ state: "detached", timeout: Math.min(10000, remaining()) });
  check(await doneButton.count() === 0, "the Done button is still there after the cell ended");
  check((await zText.textContent()).trim() === z1, `after Done the frame shows ${(await zText.textContent()).trim()}, expected the last one (${z1})`);
  check(await frameImg.getAttribute("src") === src1, "after Done the frame is not the last one drawn");
  timings["Done to cell finished"] = (Date.now() - started) / 1000;
  note("Done: the explorer cell ended, the last frame stays");

  // --- 4. edit the %% line and run the cell
  const line = domCells.nth(trainIdx).locator(".CodeMirror-line").filter({ hasText: /^%%$/ });
  check(await line.count() === 1, `${describe(first)}: expected one line "%%", found ${await line.count()}`);
  await line.click();
  await page.keyboard.press("End");
  await page.keyboard.type(" --kl_weight=0.5");
  const source = await page.evaluate((i) => Jupyter.notebook.get_cell(i).get_text(), trainIdx);
  check(source.split("\n").includes("%% --kl_weight=0.5"), `the edited cell reads:\n${source}`);
  const edited = await runCell(page, trainIdx, "edited cell: train");
  const editedOut = streamText(edited);
  const editedTrained = editedOut.match(trainedLine);
  check(editedTrained, `${describe(edited)} after the edit: no "... after N steps: held-out ..." line in:\n${editedOut}`);
  check(!foundLine.test(editedOut), `${describe(edited)} after the edit: found a cached model, expected a new one trained:\n${editedOut}`);
  check(editedTrained[0] !== firstTrained[0], `the edited cell printed the same held-out terms as before:\n${editedTrained[0]}`);
  check(images(edited).length > 0, `${describe(edited)} after the edit: no image`);
  check(images(edited).join() !== images(first).join(), "the edited cell shows the same image as before");
  note(`edited (%% --kl_weight=0.5) and re-run: ${editedTrained[0]}`);

  // --- 5. run it again: from the cache
  const again = await runCell(page, trainIdx, "edited cell: again, from the cache");
  const againOut = streamText(again);
  const found = againOut.match(foundLine);
  check(found, `${describe(again)} run again: expected "found a model trained earlier with these settings in the model cache: ENTRY", got:\n${againOut}`);
  check(inCache(found[1]) && found[1] !== firstDir,
    `${describe(again)} run again: loaded ${found[1]}, expected a new directory in ${modelsDir} (the first model's is ${firstDir})`);
  const againTrained = againOut.match(trainedLine);
  check(againTrained && againTrained[0] === editedTrained[0],
    `${describe(again)} run again: held-out terms ${againTrained?.[0]}, expected those of the run that trained it: ${editedTrained[0]}`);
  note(`run again: loaded ${found[1]}`);

  // --- the whole session: every cell once more, for output that arrived after its check
  cells = await snapshot(page);
  const bad = problems(cells);
  check(bad.length === 0, bad.join("\n"));
  const unknownPageErrors = pageErrors.filter((e) => !isKnown(knownPageErrors, e));
  check(unknownPageErrors.length === 0, `page errors:\n${unknownPageErrors.join("\n")}`);
  const unknown = consoleErrors.filter((e) => !isKnown(knownConsoleErrors, e));
  check(unknown.length === 0, `console errors:\n${unknown.join("\n")}`);
}

let browser;
let page;
let failed = false;
try {
  browser = await chromium.launchPersistentContext(env("PROFILE_DIR"), {
    executablePath: env("CHROMIUM"),
    headless: true,
    args: chromiumFlags,
    viewport: { width: 1280, height: 1000 },
    timeout: 60000,
  });
  // Nothing but the notebook server: every other request is refused and listed.
  const server = new URL(notebookURL).host;
  await browser.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.host === server || url.protocol === "data:") {
      return route.continue();
    }
    blocked.push(url.href);
    return route.abort();
  });
  page = browser.pages()[0] ?? await browser.newPage();
  page.setDefaultTimeout(30000);
  page.on("console", (msg) => {
    consoleLines.push(`${msg.type()}: ${msg.text()}`);
    if (msg.type() === "error") {
      consoleErrors.push(msg.text());
    }
  });
  page.on("pageerror", (err) => {
    pageErrors.push(String(err?.stack || err));
    consoleLines.push(`pageerror: ${err?.stack || err}`);
  });
  // The kernel's comm messages as the page's websockets see them (see knownConsoleErrors).
  page.on("websocket", (ws) => {
    const session = new URL(ws.url()).searchParams.get("session_id") || ws.url();
    const record = (dir) => (frame) => {
      const payload = typeof frame.payload === "string" ? frame.payload : "";
      if (payload.includes('"comm_')) {
        try {
          const m = JSON.parse(payload);
          const type = m.msg_type || m.header?.msg_type;
          if (type?.startsWith("comm_")) {
            consoleLines.push(`websocket ${session.slice(0, 8)} ${dir} ${m.channel} ${type} comm_id=${m.content?.comm_id} ` +
              `address=${m.content?.data?.address ?? ""}`);
          }
        } catch {
          // Not JSON (binary messages): not ours.
        }
      }
    };
    ws.on("framereceived", record("<-"));
    ws.on("framesent", record("->"));
  });
  await main(page);
} catch (err) {
  failed = true;
  console.error(`\nbrowser test FAILED: ${err instanceof TestFailure ? err.message : err?.stack || err}`);
  if (page) {
    await page.screenshot({ path: join(artifacts, "failure.png"), fullPage: true }).catch(() => {});
  }
} finally {
  if (page) {
    const nb = await page.evaluate(() => JSON.stringify(Jupyter.notebook.toJSON(), null, 1)).catch(() => null);
    if (nb) {
      writeFileSync(join(artifacts, "03_manifold.ipynb"), nb);
    }
  }
  writeFileSync(join(artifacts, "console.log"), consoleLines.join("\n") + "\n");
  if (browser) {
    await browser.close().catch(() => {});
  }
}

const total = (Date.now() - t0) / 1000;
console.log("\nbrowser test timings (s):");
for (const [what, s] of Object.entries(timings)) {
  console.log(`  ${s.toFixed(2).padStart(7)}  ${what}`);
}
console.log(`  ${total.toFixed(2).padStart(7)}  total (browser start to close)`);
if (blocked.length) {
  console.log(`requests refused (not the notebook server): ${blocked.length}\n  ${[...new Set(blocked)].join("\n  ")}`);
}
const knownErrors = consoleErrors.filter((e) => isKnown(knownConsoleErrors, e)).length;
const knownPage = pageErrors.filter((e) => isKnown(knownPageErrors, e)).length;
console.log(`console: ${consoleErrors.length} errors (${knownErrors} known, from GoNB), ` +
  `${pageErrors.length} page errors (${knownPage} known, from GoNB); log in ${join(artifacts, "console.log")}`);
if (!failed) {
  console.log("browser test: ok");
}
process.exit(failed ? 1 : 0);
