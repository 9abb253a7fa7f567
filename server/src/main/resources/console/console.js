// lama-worker console: plain JavaScript, no framework, nothing fetched but this worker's own API.
// The mask is kept as a list of strokes in the picture's own pixel coordinates and drawn on a
// canvas of the picture's full size, shown scaled; what is sent is that canvas as a black PNG with
// the strokes in white, the size of the picture.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const state = {
    config: null,
    file: null, // the picture's bytes, as uploaded (a File or a Blob)
    fileName: "",
    pictureUrl: null,
    width: 0,
    height: 0,
    strokes: [], // {mode: "paint"|"erase"|"clear", size, points: [[x, y], ...]}
    current: null,
    mode: "paint",
    keyAt: null, // the keyboard brush's position, [x, y] in picture pixels
    keyStroke: null, // the stroke the keyboard brush paints while it is down
    jobId: null,
    pollTimer: null,
  };

  const canvas = $("mask-canvas");
  const ctx = canvas.getContext("2d");

  // ---- API -------------------------------------------------------------------------------------

  async function getJson(path) {
    const response = await fetch(path, { headers: { Accept: "application/json" } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new Error(body.error || response.status + " " + response.statusText);
    }
    return body;
  }

  // ---- configuration ---------------------------------------------------------------------------

  async function loadConfig() {
    const config = await getJson("/api/config");
    state.config = config;
    $("worker-id").textContent = config.workerId;
    $("model-id").textContent = config.model.id || "loading";
    $("bucket").textContent = config.bucket;
    $("jobs-topic").textContent = config.jobsTopic;
    $("reference-note").hidden = !config.model.reference;
    fillSelect($("strategy"), config.options.strategies, config.options.defaults.strategy);
    fillSelect($("format"), config.options.formats, config.options.defaults.format, {
      auto: "auto (as the picture)",
    });
    $("dilate").max = config.options.maxDilatePx;
    $("dilate").value = config.options.defaults.maskDilatePx;
    $("fill-holes").checked = config.options.defaults.fillHoles;
    const list = $("samples");
    list.textContent = "";
    for (const sample of config.samples) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.title = sample.title + " (" + sample.credit + ")";
      const img = document.createElement("img");
      img.src = sample.url;
      img.alt = "Sample: " + sample.title;
      button.appendChild(img);
      button.addEventListener("click", () => loadSample(sample));
      item.appendChild(button);
      list.appendChild(item);
    }
  }

  function fillSelect(select, values, chosen, labels) {
    select.textContent = "";
    for (const value of values) {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = (labels && labels[value]) || value;
      option.selected = value === chosen;
      select.appendChild(option);
    }
  }

  // ---- picture ---------------------------------------------------------------------------------

  async function loadSample(sample) {
    const response = await fetch(sample.url);
    const blob = await response.blob();
    const name = sample.url.substring(sample.url.lastIndexOf("/") + 1);
    usePicture(blob, name);
  }

  function usePicture(blob, name) {
    const limits = state.config.limits;
    if (blob.size > limits.maxBytes) {
      setInfo(name + " is " + blob.size + " bytes; this worker takes at most " + limits.maxBytes
        + " (image.maxBytes).", true);
      return;
    }
    if (state.pictureUrl) {
      URL.revokeObjectURL(state.pictureUrl);
    }
    state.file = blob;
    state.fileName = name;
    state.pictureUrl = URL.createObjectURL(blob);
    const img = $("picture");
    img.onload = () => {
      // naturalWidth/Height are the picture as displayed (EXIF orientation applied), which is
      // how the worker reads the mask against it.
      state.width = img.naturalWidth;
      state.height = img.naturalHeight;
      if (state.width * state.height > limits.maxPixels) {
        setInfo(name + " is " + state.width + "x" + state.height + "; this worker takes at most "
          + limits.maxPixels + " pixels (image.maxPixels).", true);
        $("stage").hidden = true;
        state.file = null;
        updateButtons();
        return;
      }
      canvas.width = state.width;
      canvas.height = state.height;
      state.strokes = [];
      state.keyAt = [state.width / 2, state.height / 2];
      state.keyStroke = null;
      redraw();
      placeKeyCursor();
      $("stage").hidden = false;
      setInfo(name + ": " + state.width + "x" + state.height + ", " + blob.size
        + " bytes. Paint over what to remove.");
      updateButtons();
    };
    img.onerror = () => {
      setInfo(name + " cannot be shown by this browser; choose a PNG, JPEG or WebP picture.", true);
      state.file = null;
      updateButtons();
    };
    img.src = state.pictureUrl;
  }

  function setInfo(text, bad) {
    const info = $("picture-info");
    info.textContent = text;
    info.classList.toggle("error", !!bad);
  }

  $("file").addEventListener("change", (e) => {
    const file = e.target.files[0];
    if (file) {
      usePicture(file, file.name);
    }
  });
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const file = e.dataTransfer.files[0];
    if (file) {
      usePicture(file, file.name);
    }
  });

  // ---- mask painting ---------------------------------------------------------------------------

  function toPicture(e) {
    const rect = canvas.getBoundingClientRect();
    return [
      ((e.clientX - rect.left) * canvas.width) / rect.width,
      ((e.clientY - rect.top) * canvas.height) / rect.height,
    ];
  }

  function brushInPicturePixels() {
    // The brush size is what it looks like on screen.
    const rect = canvas.getBoundingClientRect();
    const scale = rect.width > 0 ? canvas.width / rect.width : 1;
    return Math.max(1, Number($("brush-size").value) * scale);
  }

  function drawStroke(stroke) {
    if (stroke.mode === "clear") {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      return;
    }
    ctx.save();
    ctx.globalCompositeOperation = stroke.mode === "erase" ? "destination-out" : "source-over";
    ctx.strokeStyle = "rgb(230, 40, 70)";
    ctx.fillStyle = "rgb(230, 40, 70)";
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.lineWidth = stroke.size;
    const points = stroke.points;
    if (points.length === 1) {
      ctx.beginPath();
      ctx.arc(points[0][0], points[0][1], stroke.size / 2, 0, Math.PI * 2);
      ctx.fill();
    } else {
      ctx.beginPath();
      ctx.moveTo(points[0][0], points[0][1]);
      for (let i = 1; i < points.length; i++) {
        ctx.lineTo(points[i][0], points[i][1]);
      }
      ctx.stroke();
    }
    ctx.restore();
  }

  function redraw() {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    for (const stroke of state.strokes) {
      drawStroke(stroke);
    }
  }

  function painted() {
    // Whether the last clear was followed by a stroke that paints.
    for (let i = state.strokes.length - 1; i >= 0; i--) {
      if (state.strokes[i].mode === "clear") {
        return false;
      }
      if (state.strokes[i].mode === "paint") {
        return true;
      }
    }
    return false;
  }

  canvas.addEventListener("pointerdown", (e) => {
    if (!state.file) {
      return;
    }
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    state.current = { mode: state.mode, size: brushInPicturePixels(), points: [toPicture(e)] };
    state.strokes.push(state.current);
    drawStroke(state.current);
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!state.current) {
      return;
    }
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    for (const event of events.length ? events : [e]) {
      state.current.points.push(toPicture(event));
    }
    redraw();
  });
  function endStroke() {
    if (state.current) {
      state.current = null;
      updateButtons();
    }
  }
  canvas.addEventListener("pointerup", endStroke);
  canvas.addEventListener("pointercancel", endStroke);

  // The keyboard brush, for painting without a pointer: with the mask focused, the arrow keys
  // move it (Shift: farther), Space puts it down (a dab) or lifts it, and while it is down every
  // move paints; Escape lifts it. A ring shows where it is and how large.
  function placeKeyCursor() {
    const ring = $("key-cursor");
    if (!state.keyAt || canvas.width === 0) {
      return;
    }
    const size = brushInPicturePixels();
    ring.style.left = (100 * state.keyAt[0]) / canvas.width + "%";
    ring.style.top = (100 * state.keyAt[1]) / canvas.height + "%";
    ring.style.width = (100 * size) / canvas.width + "%";
    ring.style.aspectRatio = "1";
    ring.classList.toggle("down", state.keyStroke !== null);
  }
  function announce(text) {
    $("key-status").textContent = text;
  }
  function keyBrushUp() {
    if (state.keyStroke) {
      state.keyStroke = null;
      updateButtons();
      announce("Brush lifted.");
    }
    placeKeyCursor();
  }
  canvas.addEventListener("keydown", (e) => {
    if (!state.file || !state.keyAt || e.ctrlKey || e.metaKey || e.altKey) {
      return;
    }
    const step = brushInPicturePixels() / (e.shiftKey ? 1 : 4);
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (moves[e.key]) {
      const [dx, dy] = moves[e.key];
      state.keyAt = [
        Math.min(canvas.width - 1, Math.max(0, state.keyAt[0] + dx * step)),
        Math.min(canvas.height - 1, Math.max(0, state.keyAt[1] + dy * step)),
      ];
      if (state.keyStroke) {
        state.keyStroke.points.push(state.keyAt.slice());
        redraw();
      }
      placeKeyCursor();
    } else if (e.key === " ") {
      if (e.repeat) {
        e.preventDefault();
        return;
      }
      if (state.keyStroke) {
        keyBrushUp();
      } else {
        state.keyStroke = { mode: state.mode, size: brushInPicturePixels(), points: [state.keyAt.slice()] };
        state.strokes.push(state.keyStroke);
        drawStroke(state.keyStroke);
        updateButtons();
        placeKeyCursor();
        announce((state.mode === "erase" ? "Eraser" : "Brush") + " down: arrow keys paint.");
      }
    } else if (e.key === "Escape") {
      keyBrushUp();
    } else {
      return;
    }
    e.preventDefault();
  });
  canvas.addEventListener("blur", keyBrushUp);

  function setMode(mode) {
    state.mode = mode;
    $("mode-brush").setAttribute("aria-pressed", String(mode === "paint"));
    $("mode-eraser").setAttribute("aria-pressed", String(mode === "erase"));
  }
  $("mode-brush").addEventListener("click", () => setMode("paint"));
  $("mode-eraser").addEventListener("click", () => setMode("erase"));

  function undo() {
    if (state.strokes.length) {
      if (state.strokes.pop() === state.keyStroke) {
        state.keyStroke = null;
        placeKeyCursor();
      }
      redraw();
      updateButtons();
    }
  }
  function clearMask() {
    if (state.strokes.length && state.strokes[state.strokes.length - 1].mode !== "clear") {
      state.keyStroke = null;
      placeKeyCursor();
      state.strokes.push({ mode: "clear" });
      redraw();
      updateButtons();
    }
  }
  $("undo").addEventListener("click", undo);
  $("clear").addEventListener("click", clearMask);

  $("brush-size").addEventListener("input", (e) => {
    $("brush-size-value").textContent = e.target.value;
    placeKeyCursor();
  });
  function setOpacity(value) {
    canvas.style.opacity = String(value / 100);
    $("mask-opacity-value").textContent = value;
  }
  $("mask-opacity").addEventListener("input", (e) => setOpacity(e.target.value));

  function updateButtons() {
    $("undo").disabled = state.strokes.length === 0;
    $("clear").disabled = !painted();
    $("submit").disabled = !(state.file && painted());
  }

  /** The mask as the worker wants it: the picture's size, black, white where painted. */
  function maskBlob() {
    const w = canvas.width;
    const h = canvas.height;
    const white = document.createElement("canvas");
    white.width = w;
    white.height = h;
    const wc = white.getContext("2d");
    wc.drawImage(canvas, 0, 0);
    wc.globalCompositeOperation = "source-in";
    wc.fillStyle = "#fff";
    wc.fillRect(0, 0, w, h);
    const out = document.createElement("canvas");
    out.width = w;
    out.height = h;
    const oc = out.getContext("2d");
    oc.fillStyle = "#000";
    oc.fillRect(0, 0, w, h);
    oc.drawImage(white, 0, 0);
    return new Promise((resolve) => out.toBlob(resolve, "image/png"));
  }

  document.addEventListener("keydown", (e) => {
    const target = e.target;
    const typing = target instanceof HTMLInputElement && target.type !== "range"
      && target.type !== "checkbox" && target.type !== "file"
      || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement;
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
      e.preventDefault();
      if (!$("submit").disabled) {
        $("job-form").requestSubmit();
      }
      return;
    }
    if (typing) {
      return;
    }
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z") {
      e.preventDefault();
      undo();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) {
      return;
    }
    const size = $("brush-size");
    switch (e.key) {
      case "b": case "B": setMode("paint"); break;
      case "e": case "E": setMode("erase"); break;
      case "u": case "U": undo(); break;
      case "c": case "C": clearMask(); break;
      case "[": size.value = Math.max(Number(size.min), Number(size.value) - 4);
        size.dispatchEvent(new Event("input")); break;
      case "]": size.value = Math.min(Number(size.max), Number(size.value) + 4);
        size.dispatchEvent(new Event("input")); break;
      default: return;
    }
    e.preventDefault();
  });

  // ---- submitting and following a job ----------------------------------------------------------

  $("job-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!state.file || !painted()) {
      return;
    }
    $("submit").disabled = true;
    showJob(null, "uploading", "Uploading the picture and the mask…");
    const options = {
      strategy: $("strategy").value,
      maskDilatePx: Number($("dilate").value),
      fillHoles: $("fill-holes").checked,
      format: $("format").value,
    };
    try {
      const form = new FormData();
      form.append("image", state.file, state.fileName || "picture");
      form.append("mask", await maskBlob(), "mask.png");
      form.append("options", JSON.stringify(options));
      const response = await fetch("/api/jobs", { method: "POST", body: form });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        throw new Error(body.error || response.status + " " + response.statusText);
      }
      showBefore(state.pictureUrl);
      follow(body.jobId);
    } catch (err) {
      showJob(null, "refused", "Not submitted: " + err.message);
    } finally {
      updateButtons();
    }
  });

  function showBefore(url) {
    const compare = $("compare");
    if (url) {
      $("before-image").src = url;
      compare.classList.remove("result-only");
      $("compare-control").hidden = false;
    } else {
      $("before-image").removeAttribute("src");
      compare.classList.add("result-only");
      $("compare-control").hidden = true;
    }
  }

  function follow(jobId) {
    state.jobId = jobId;
    clearTimeout(state.pollTimer);
    $("compare").hidden = true;
    $("result-image").removeAttribute("src");
    $("result-links").hidden = true;
    $("timings").hidden = true;
    $("job-error").hidden = true;
    showJob(jobId, "queued", "Queued on the jobs topic.");
    poll(jobId);
  }

  async function poll(jobId) {
    if (state.jobId !== jobId) {
      return;
    }
    let job;
    try {
      job = await getJson("/api/jobs/" + encodeURIComponent(jobId));
    } catch (err) {
      showJob(jobId, "unknown", err.message);
      return;
    }
    if (state.jobId !== jobId) {
      return;
    }
    if (job.state === "queued") {
      showJob(jobId, "queued", "Queued on the jobs topic; waiting for a worker.");
    } else if (job.state === "running") {
      showJob(jobId, "running", "Running: its start is on the attempts topic.");
    } else {
      finished(job);
      return;
    }
    state.pollTimer = setTimeout(() => poll(jobId), 500);
  }

  function finished(job) {
    const result = job.result;
    const worker = job.workerId ? " on " + job.workerId : "";
    if (job.state === "succeeded") {
      const output = result.output;
      showJob(job.jobId, "succeeded", "Finished" + worker + " in " + result.timings.total
        + " ms (attempt " + result.attempt + ")" + (output.reused ? ", answered from an earlier output." : "."));
      const img = $("result-image");
      img.onload = () => { $("compare").hidden = false; };
      img.src = job.outputUrl;
      const download = $("download");
      download.href = job.outputUrl + "?download=1";
      $("result-details").textContent = " " + output.width + "x" + output.height + " "
        + output.contentType + ", " + output.bytes + " bytes"
        + (output.jpegPatch ? ", JPEG " + output.jpegPatch : "");
      $("result-links").hidden = false;
    } else {
      showJob(job.jobId, "failed", "Failed" + worker + ".");
      $("error-code").textContent = result.error.code;
      $("error-message").textContent = result.error.message
        + (result.error.retryable ? " (retryable)" : "");
      $("job-error").hidden = false;
    }
    const body = $("timings").querySelector("tbody");
    body.textContent = "";
    for (const stage of ["queued", "download", "decode", "inference", "encode", "upload", "total"]) {
      const row = document.createElement("tr");
      const name = document.createElement("th");
      name.scope = "row";
      name.textContent = stage;
      const value = document.createElement("td");
      value.textContent = String(result.timings[stage]);
      row.append(name, value);
      body.appendChild(row);
    }
    $("timings").hidden = false;
  }

  function showJob(jobId, status, message) {
    $("job-id").textContent = jobId || "none yet";
    const label = $("job-state");
    label.dataset.state = status;
    label.textContent = status;
    $("job-message").textContent = message;
  }

  $("compare-slider").addEventListener("input", (e) => {
    $("after-clip").style.clipPath = "inset(0 0 0 " + e.target.value + "%)";
  });

  // A link to a job (#job=ID) follows it: its result, or its error.
  function followFromHash() {
    const match = /^#job=([A-Za-z0-9._-]{1,128})$/.exec(location.hash);
    if (match) {
      showBefore(null);
      follow(match[1]);
    }
  }
  window.addEventListener("hashchange", followFromHash);

  // ---- fleet -----------------------------------------------------------------------------------

  function formatBytes(n) {
    if (n == null) {
      return "–";
    }
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i++;
    }
    return n.toFixed(i === 0 ? 0 : 1) + " " + units[i];
  }

  function chart(svg, values, max, label, limit) {
    svg.textContent = "";
    const numbers = values.map((v) => (v == null ? null : Number(v)));
    const top = max || Math.max(1e-9, ...numbers.filter((v) => v != null));
    const n = numbers.length;
    const points = [];
    numbers.forEach((v, i) => {
      if (v != null) {
        const x = n <= 1 ? 300 : (i * 300) / (n - 1);
        points.push(x.toFixed(1) + "," + (58 - (v / top) * 54).toFixed(1));
      }
    });
    const ns = "http://www.w3.org/2000/svg";
    if (limit != null) {
      const line = document.createElementNS(ns, "polyline");
      const y = (58 - (limit / top) * 54).toFixed(1);
      line.setAttribute("points", "0," + y + " 300," + y);
      line.setAttribute("class", "limit");
      svg.appendChild(line);
    }
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", points.join(" "));
    svg.appendChild(line);
    const last = [...numbers].reverse().find((v) => v != null);
    svg.setAttribute("aria-label", label + ": " + (last == null ? "no data" : label === "Model busy"
      ? Math.round(last * 100) + "%" : last));
  }

  function cell(row, text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) {
      td.className = className;
    }
    row.appendChild(td);
    return td;
  }

  function renderFleet(fleet) {
    $("fleet-rate").textContent = fleet.jobsPerSecond.toFixed(2);
    $("fleet-lag").textContent = fleet.lag == null ? "unknown" : String(fleet.lag);
    $("fleet-lag").title = fleet.lagProblem || "";
    $("fleet-problem").hidden = !fleet.followerProblem;
    $("fleet-problem").textContent = fleet.followerProblem
      ? "The console stopped reading the results and events topics (" + fleet.followerProblem
        + "): jobs and workers shown here are no longer updated; see the worker's log."
      : "";
    const self = fleet.self;
    $("fleet-busy").textContent = self.busy == null ? "–" : Math.round(self.busy * 100) + "%";
    $("fleet-memory").textContent = formatBytes(self.memoryReserved) + " / " + formatBytes(self.memoryBudget);
    const meter = $("fleet-memory-meter");
    meter.value = self.memoryBudget ? self.memoryReserved / self.memoryBudget : 0;
    $("fleet-inflight").textContent = self.inFlight == null ? "–" : String(self.inFlight);
    $("fleet-paused").textContent = self.pausedPartitions == null ? "–"
      : self.pausedPartitions + " of " + (self.assignedPartitions == null ? "?" : self.assignedPartitions);
    $("fleet-finished").textContent = fleet.finished.succeeded + " succeeded, " + fleet.finished.failed + " failed";

    const samples = fleet.history.samples;
    const column = (i) => samples.map((s) => s[i]);
    chart($("chart-rate"), column(1), null, "Jobs per second");
    chart($("chart-lag"), column(2), null, "Queue");
    chart($("chart-busy"), column(3), 1, "Model busy");
    const budget = self.memoryBudget;
    chart($("chart-memory"), column(4), budget || null, "Memory reserved", budget);

    const body = $("fleet-workers").querySelector("tbody");
    body.textContent = "";
    let anyReference = self.reference;
    const now = fleet.now;
    if (fleet.workers.length === 0) {
      const row = document.createElement("tr");
      row.className = "empty";
      const td = cell(row, "No job finished since the console started.");
      td.colSpan = 5;
      body.appendChild(row);
    }
    for (const worker of fleet.workers) {
      const row = document.createElement("tr");
      row.dataset.workerId = worker.workerId;
      cell(row, worker.workerId + (worker.self ? " (this one)" : ""));
      const model = cell(row, worker.modelId || "?");
      if (worker.reference) {
        anyReference = true;
        const tag = document.createElement("span");
        tag.className = "ref";
        tag.textContent = "reference fill, not LaMa";
        model.appendChild(tag);
      }
      cell(row, Math.max(0, Math.round((now - worker.lastSeen) / 1000)) + " s ago");
      cell(row, String(worker.succeeded), "num succeeded");
      cell(row, String(worker.failed), "num failed");
      body.appendChild(row);
    }
    $("fleet-reference").hidden = !anyReference;

    const recent = $("fleet-recent").querySelector("tbody");
    recent.textContent = "";
    for (const job of fleet.recent) {
      const row = document.createElement("tr");
      cell(row, job.jobId);
      cell(row, job.workerId);
      cell(row, job.status + (job.errorCode ? " " + job.errorCode : ""));
      cell(row, String(job.totalMillis), "num");
      recent.appendChild(row);
    }
  }

  async function pollFleet() {
    try {
      renderFleet(await getJson("/api/fleet"));
    } catch (err) {
      $("fleet-rate").textContent = "?";
    }
    setTimeout(pollFleet, 2000);
  }

  // ---- start -----------------------------------------------------------------------------------

  setOpacity($("mask-opacity").value);
  loadConfig()
    .then(() => {
      followFromHash();
      pollFleet();
    })
    .catch((err) => setInfo("The console cannot reach its worker: " + err.message, true));
})();
