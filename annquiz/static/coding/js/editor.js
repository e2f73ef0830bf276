/* The task page's network editor.
 *
 * Two modes: a JSON spec (checked by the browser's JSON.parse first, so a syntax error is
 * shown with its line and column without asking the server) and a Keras snippet. A short
 * pause in typing validates the network against the task (POST task.validate_url); the
 * server's error names the JSON path or the snippet's line, and a valid network is drawn as
 * a diagram. Only the server's answer for the text now in the box says "✓ Valid": while
 * the text is unchecked, being checked or refused, the message says so and "Submit for
 * grading" stays disabled. "Submit for grading" POSTs to task.submissions_url with a fresh Idempotency-Key
 * per click (the same key if that click's request has to be retried) and opens the
 * submission's page, where the grading is followed live.
 *
 * Drafts are kept in localStorage per task, so a reload does not lose them.
 */
(function () {
  "use strict";

  const C = window.annquizCoding;
  const form = document.querySelector("[data-editor]");
  if (!C || !form) {
    return;
  }
  const task = {
    slug: form.dataset.slug,
    validate_url: form.dataset.validateUrl,
    diagram_url: form.dataset.diagramUrl,
    submissions_url: form.dataset.submissionsUrl,
  };

  const DEBOUNCE_MS = 450;
  const SUBMIT_RETRIES = 2;
  const modeInputs = Array.from(form.querySelectorAll("input[name=mode]"));
  const areas = {
    json: form.querySelector("#spec-json"),
    keras: form.querySelector("#spec-keras"),
  };
  const panels = {
    json: form.querySelector("[data-panel=json]"),
    keras: form.querySelector("[data-panel=keras]"),
  };
  const feedback = form.querySelector("[data-editor-feedback]");
  const diagram = form.querySelector("[data-diagram]");
  const submitButton = form.querySelector("[data-submit]");
  const submitFeedback = form.querySelector("[data-submit-feedback]");
  const storageKey = "annquiz:task:" + task.slug + ":";

  let timer = null;
  let sequence = 0;
  let inFlight = null;
  let submitting = false;
  let retryUntil = 0;
  // The server accepted the text now in the box (reset by every edit).
  let checkedValid = false;
  // The task takes submissions from this student (the page says so; a 409/closed ends it).
  let submissionsAllowed = submitButton.hasAttribute("data-enabled");

  /** Submit is enabled only for a network the server checked valid, when it can be taken. */
  function updateSubmit() {
    submitButton.disabled =
      !submissionsAllowed || !checkedValid || submitting || Date.now() < retryUntil;
  }

  // ------------------------------------------------------------------------ drafts

  function stored(name) {
    try {
      return window.localStorage.getItem(storageKey + name);
    } catch (error) {
      return null;
    }
  }

  function store(name, value) {
    try {
      window.localStorage.setItem(storageKey + name, value);
    } catch (error) {
      // private mode or full storage: drafts are a convenience only
    }
  }

  function mode() {
    const checked = modeInputs.find((input) => input.checked);
    return checked ? checked.value : "json";
  }

  function showMode(name) {
    for (const [kind, panel] of Object.entries(panels)) {
      panel.hidden = kind !== name;
    }
  }

  // ------------------------------------------------------------------------ messages

  function say(className, text, detail) {
    feedback.textContent = "";
    const p = C.el("p", className, text);
    if (detail) {
      p.appendChild(document.createTextNode("\n" + detail));
    }
    feedback.appendChild(p);
  }

  function markInvalid(invalid) {
    const area = areas[mode()];
    if (invalid) {
      area.setAttribute("aria-invalid", "true");
    } else {
      area.removeAttribute("aria-invalid");
    }
  }

  /** The source line `line` (1-based) with a caret under `column`, for an error message. */
  function excerpt(text, line, column) {
    const lines = text.split("\n");
    const source = lines[line - 1];
    if (source === undefined) {
      return "";
    }
    const prefix = String(line).padStart(3) + " | ";
    let out = prefix + source;
    if (column) {
      out += "\n" + " ".repeat(prefix.length + Math.max(0, column - 1)) + "^";
    }
    return out;
  }

  function lineAndColumn(text, position) {
    const before = text.slice(0, position);
    const lines = before.split("\n");
    return { line: lines.length, column: lines[lines.length - 1].length + 1 };
  }

  /**
   * Where a strict JSON reader first fails in `text` (an index), or null if it is valid.
   * Used only when the browser's JSON.parse message gives no position (V8 omits it for
   * "Unexpected token" errors).
   */
  function firstJsonProblem(text) {
    let i = 0;
    const fail = () => {
      throw i;
    };
    const space = () => {
      while (i < text.length && " \t\n\r".includes(text[i])) {
        i += 1;
      }
    };
    const string = () => {
      i += 1;
      while (i < text.length) {
        const c = text[i];
        if (c === '"') {
          i += 1;
          return;
        }
        if (c < " ") {
          fail();
        }
        i += c === "\\" ? 2 : 1;
      }
      fail();
    };
    const value = () => {
      space();
      const c = text[i];
      if (c === "{" || c === "[") {
        const close = c === "{" ? "}" : "]";
        i += 1;
        space();
        if (text[i] === close) {
          i += 1;
          return;
        }
        for (;;) {
          if (c === "{") {
            space();
            if (text[i] !== '"') {
              fail();
            }
            string();
            space();
            if (text[i] !== ":") {
              fail();
            }
            i += 1;
          }
          value();
          space();
          if (text[i] === ",") {
            i += 1;
            continue;
          }
          if (text[i] === close) {
            i += 1;
            return;
          }
          fail();
        }
      }
      if (c === '"') {
        string();
        return;
      }
      for (const word of ["true", "false", "null"]) {
        if (text.startsWith(word, i)) {
          i += word.length;
          return;
        }
      }
      const number = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
      if (number && number[0]) {
        i += number[0].length;
        return;
      }
      fail();
    };
    try {
      value();
      space();
      if (i < text.length) {
        fail();
      }
      return null;
    } catch (position) {
      if (typeof position === "number") {
        return Math.min(position, text.length);
      }
      throw position;
    }
  }

  /** Where JSON.parse stopped: V8 says "(line L column C)" or "at position N". */
  function jsonErrorAt(text, error) {
    const message = String(error.message || error);
    let where = null;
    const lc = /line (\d+) column (\d+)/.exec(message);
    const pos = /position (\d+)/.exec(message);
    if (lc) {
      where = { line: Number(lc[1]), column: Number(lc[2]) };
    } else if (pos) {
      where = lineAndColumn(text, Number(pos[1]));
    } else if (/end of (JSON )?input/i.test(message)) {
      where = lineAndColumn(text, text.length);
    } else {
      const found = firstJsonProblem(text);
      where = found === null ? null : lineAndColumn(text, found);
    }
    const reason = message
      .replace(/^JSON\.parse: /, "")
      .replace(/,? ?"[^"]*"\.\.\. is not valid JSON$/, "")
      .replace(/ in JSON at position \d+.*$/, "")
      .replace(/ at line \d+ column \d+ of the JSON data$/, "")
      .replace(/ \(line \d+ column \d+\)$/, "");
    return { where: where, reason: reason || "not valid JSON" };
  }

  /** The request body for the current mode, or {error} when the JSON cannot be parsed. */
  function requestBody() {
    const kind = mode();
    const text = areas[kind].value;
    if (!text.trim()) {
      return {
        empty: true,
        error:
          kind === "json"
            ? "Write the network as a JSON object, or switch to the Keras snippet."
            : "Write or paste a Keras snippet, or switch to the JSON spec.",
      };
    }
    if (kind === "keras") {
      return { body: { keras: text } };
    }
    let spec;
    try {
      spec = JSON.parse(text);
    } catch (error) {
      const found = jsonErrorAt(text, error);
      if (found.where) {
        return {
          error:
            "JSON syntax error at line " +
            found.where.line +
            ", column " +
            found.where.column +
            ": " +
            found.reason,
          detail: excerpt(text, found.where.line, found.where.column),
        };
      }
      return { error: "JSON syntax error: " + found.reason };
    }
    if (spec === null || typeof spec !== "object" || Array.isArray(spec)) {
      return { error: "The spec must be a JSON object: { \"layers\": [...], \"loss\": ... }" };
    }
    return { body: { spec: spec } };
  }

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input && input.value) {
      return input.value;
    }
    const cookie = document.cookie.split("; ").find((part) => part.startsWith("csrftoken="));
    return cookie ? decodeURIComponent(cookie.slice("csrftoken=".length)) : "";
  }

  function headers(extra) {
    return Object.assign(
      {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken(),
      },
      extra || {}
    );
  }

  async function errorOf(response) {
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
    const problem = data && data.error;
    if (problem && problem.message) {
      return problem;
    }
    if (response.status === 401 || response.status === 403) {
      return { field: null, message: "Your session has ended: reload the page and log in again." };
    }
    return { field: null, message: "The server answered with error " + response.status + "." };
  }

  function explain(problem) {
    const text = areas[mode()].value;
    const line = /^line (\d+)/.exec(problem.message || "");
    let message = problem.message;
    if (problem.field && !["spec", "keras", "body"].includes(problem.field)) {
      message = problem.field + ": " + message;
    }
    return { message: message, detail: line ? excerpt(text, Number(line[1])) : "" };
  }

  // ------------------------------------------------------------------------ validation

  function staleDiagram() {
    const figure = diagram.querySelector(".arch");
    if (figure) {
      diagram.classList.add("is-stale");
      const note = diagram.querySelector("[data-diagram-note]");
      if (note) {
        note.textContent = "The diagram shows the last valid version of your network.";
      }
    }
  }

  /** The diagram of the network in `body` as the server renders it (null if it cannot). */
  async function fetchDiagram(body, signal) {
    const response = await fetch(task.diagram_url, {
      method: "POST",
      credentials: "same-origin",
      headers: headers({ Accept: "text/html" }),
      body: JSON.stringify(body),
      signal: signal,
    });
    if (!response.ok) {
      return null;
    }
    const fragment = document.createElement("template");
    fragment.innerHTML = await response.text();
    return fragment.content.querySelector("[data-diagram-note]") ? fragment.content : null;
  }

  function showDiagram(fragment) {
    diagram.textContent = "";
    diagram.classList.remove("is-stale");
    diagram.appendChild(fragment);
  }

  async function validate() {
    clearTimeout(timer);
    checkedValid = false;
    updateSubmit();
    const built = requestBody();
    if (inFlight) {
      inFlight.abort();
      inFlight = null;
    }
    const mine = ++sequence;
    if (built.error) {
      feedback.removeAttribute("aria-busy");
      say(built.empty ? "pending" : "error", built.error, built.detail);
      markInvalid(!built.empty);
      staleDiagram();
      return false;
    }
    const controller = new AbortController();
    inFlight = controller;
    say("pending", "Checking the network…");
    feedback.setAttribute("aria-busy", "true");
    let response;
    try {
      response = await fetch(task.validate_url, {
        method: "POST",
        credentials: "same-origin",
        headers: headers(),
        body: JSON.stringify(built.body),
        signal: controller.signal,
      });
    } catch (error) {
      if (error.name === "AbortError") {
        return false;
      }
      if (mine === sequence) {
        feedback.removeAttribute("aria-busy");
        say("error", "The network could not be checked: the server did not answer. It is checked again when you type.");
      }
      return false;
    }
    if (mine !== sequence) {
      return false;
    }
    if (response.ok) {
      let fragment = null;
      try {
        fragment = await fetchDiagram(built.body, controller.signal);
      } catch (error) {
        if (error.name === "AbortError") {
          return false;
        }
      }
      if (mine !== sequence) {
        return false;
      }
      inFlight = null;
      feedback.removeAttribute("aria-busy");
      markInvalid(false);
      checkedValid = true;
      updateSubmit();
      if (!fragment) {
        say("ok", "✓ Valid for this task.");
        staleDiagram();
        return true;
      }
      const params = fragment.querySelector("[data-diagram-note]").dataset.totalParams;
      say("ok", "✓ Valid for this task: " + params + " parameters.");
      showDiagram(fragment);
      return true;
    }
    inFlight = null;
    feedback.removeAttribute("aria-busy");
    const problem = explain(await errorOf(response));
    markInvalid(true);
    say("error", problem.message, problem.detail);
    staleDiagram();
    return false;
  }

  /** The text changed: what was shown about the old text no longer holds. */
  function scheduleValidation() {
    clearTimeout(timer);
    if (inFlight) {
      inFlight.abort();
      inFlight = null;
    }
    sequence += 1;
    checkedValid = false;
    updateSubmit();
    feedback.removeAttribute("aria-busy");
    say("pending", "Not checked yet: the network is checked when you pause typing.");
    timer = setTimeout(validate, DEBOUNCE_MS);
  }

  // ------------------------------------------------------------------------ submitting

  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function sayOnSubmit(className, text) {
    submitFeedback.textContent = "";
    if (text) {
      submitFeedback.appendChild(C.el("p", className, text));
    }
  }

  function wait(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  function holdFor(seconds, message) {
    retryUntil = Date.now() + seconds * 1000;
    updateSubmit();
    const tick = () => {
      const left = Math.ceil((retryUntil - Date.now()) / 1000);
      if (left <= 0) {
        updateSubmit();
        sayOnSubmit("help", "You can submit again now.");
        return;
      }
      sayOnSubmit("error", message + " You can submit again in " + left + " s.");
      setTimeout(tick, 1000);
    };
    tick();
  }

  /** POST the body; network failures and 502/503/504 are retried with the same key. */
  async function post(body, key) {
    let lastError = null;
    for (let attempt = 0; attempt <= SUBMIT_RETRIES; attempt += 1) {
      if (attempt > 0) {
        await wait(800 * attempt);
      }
      try {
        const response = await fetch(task.submissions_url, {
          method: "POST",
          credentials: "same-origin",
          headers: headers({ "Idempotency-Key": key }),
          body: JSON.stringify(body),
        });
        if ([502, 503, 504].includes(response.status) && attempt < SUBMIT_RETRIES) {
          continue;
        }
        return response;
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError || new Error("no answer");
  }

  async function submit() {
    if (submitting || Date.now() < retryUntil || !checkedValid) {
      return;
    }
    const built = requestBody();
    if (built.error) {
      say("error", built.error, built.detail);
      markInvalid(true);
      sayOnSubmit("error", "Fix the network before submitting it.");
      areas[mode()].focus();
      return;
    }
    submitting = true;
    updateSubmit();
    form.setAttribute("aria-busy", "true");
    sayOnSubmit("pending", "Submitting…");
    const key = newKey();
    let response;
    try {
      response = await post(built.body, key);
    } catch (error) {
      sayOnSubmit("error", "The submission could not be sent: check your connection and submit again.");
      submitting = false;
      updateSubmit();
      form.removeAttribute("aria-busy");
      return;
    }
    form.removeAttribute("aria-busy");
    submitting = false;
    updateSubmit();
    if (response.status === 202 || response.status === 200) {
      const data = await response.json();
      sayOnSubmit(
        "ok",
        response.status === 200
          ? "You submitted this network before (no attempt used). Opening that submission…"
          : "Submitted: " + data.status_label + ". Opening the submission…",
      );
      window.location.assign(data.page_url);
      return;
    }
    const problem = await errorOf(response);
    const shown = explain(problem);
    if (problem.field === "spec" || problem.field === "keras") {
      // The network's problem is shown once, beside the network.
      checkedValid = false;
      updateSubmit();
      markInvalid(true);
      say("error", shown.message, shown.detail);
      sayOnSubmit("error", "The network was not accepted: see the message under the editor.");
      return;
    }
    if (response.status === 429) {
      const seconds = Number(response.headers.get("Retry-After")) || 30;
      holdFor(seconds, shown.message + ".");
      return;
    }
    sayOnSubmit("error", shown.message);
    // A closed task or used-up attempts: submitting again cannot succeed.
    if (problem.field === "task") {
      submissionsAllowed = false;
    }
    updateSubmit();
  }

  // ------------------------------------------------------------------------ wiring

  for (const [kind, area] of Object.entries(areas)) {
    const draft = stored(kind);
    if (draft !== null && draft !== area.value) {
      area.value = draft;
    }
    area.addEventListener("input", () => {
      store(kind, area.value);
      scheduleValidation();
    });
  }
  const savedMode = stored("mode");
  if (savedMode && modeInputs.some((input) => input.value === savedMode)) {
    modeInputs.forEach((input) => {
      input.checked = input.value === savedMode;
    });
  }
  modeInputs.forEach((input) =>
    input.addEventListener("change", () => {
      store("mode", mode());
      showMode(mode());
      markInvalid(false);
      validate();
    })
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  const reset = form.querySelector("[data-reset]");
  if (reset) {
    reset.addEventListener("click", () => {
      const area = areas[mode()];
      area.value = area.defaultValue;
      store(mode(), area.value);
      validate();
      area.focus();
    });
  }

  showMode(mode());
  form.classList.add("is-enhanced");
  updateSubmit();
  validate();
})();
