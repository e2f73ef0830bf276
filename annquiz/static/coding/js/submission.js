/* A submission's page, kept live without reloading.
 *
 * While the submission is not finished, its status panel is fetched about every 700 ms as
 * the server renders it (views.submission_status, the template the page itself includes):
 * queued shows the place in the queue, running a progress bar ("seed 2 of 3, epoch 31/50").
 * Once the verdict is stored, the server-rendered verdict (checks, diagnostics, …) is fetched
 * from this same page and swapped in, and the curves are drawn from the result. Status
 * changes are announced through the page's aria-live region; the progress bar is not, so a
 * screen reader is not interrupted on every epoch.
 */
(function () {
  "use strict";

  const C = window.annquizCoding;
  const root = document.querySelector("[data-submission]");
  const initial = C && C.readJson("submission-data");
  if (!root || !initial) {
    return;
  }

  const POLL_MS = 700;
  const MAX_BACKOFF_MS = 10000;
  const statusUrl = root.dataset.statusUrl;
  const liveText = root.querySelector("[data-status-text]");
  const badge = root.querySelector("[data-status-badge]");
  const progress = root.querySelector("[data-progress]");

  let lastAnnounced = liveText ? liveText.textContent.trim() : "";
  let failures = 0;

  function announce(text) {
    if (liveText && text !== lastAnnounced) {
      liveText.textContent = text;
      lastAnnounced = text;
    }
  }

  function statusTextOf(panel) {
    const text = panel.querySelector("[data-status-text]");
    return text ? text.textContent.trim() : "";
  }

  async function fetchDocument(url) {
    const response = await fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    });
    const html = response.ok && !response.redirected ? await response.text() : "";
    return {
      response: response,
      doc: new DOMParser().parseFromString(html, "text/html"),
    };
  }

  /** Copy the fresh panel's badge and progress into the page's own (its live region stays). */
  function showStatus(panel) {
    const freshBadge = panel.querySelector("[data-status-badge]");
    if (badge && freshBadge) {
      badge.className = freshBadge.className;
      badge.textContent = freshBadge.textContent;
    }
    const fresh = panel.querySelector("[data-progress]");
    if (!progress || !fresh) {
      return;
    }
    progress.hidden = fresh.hidden;
    const label = (fresh.querySelector("[data-progress-text]") || {}).textContent || "";
    const bar = progress.querySelector("progress");
    const freshBar = fresh.querySelector("progress");
    if (bar && freshBar) {
      if (freshBar.hasAttribute("value")) {
        bar.value = freshBar.value;
      } else {
        bar.removeAttribute("value");
      }
      bar.setAttribute("aria-valuetext", label);
    }
    const text = progress.querySelector("[data-progress-text]");
    if (text) {
      text.textContent = label;
    }
  }

  /** Swap in the verdict as the server renders it, then draw the curves. */
  async function showVerdict(panel) {
    let fresh = null;
    let data = null;
    try {
      const { doc } = await fetchDocument(initial.page_url);
      fresh = doc.querySelector("[data-submission-body]");
      const json = doc.getElementById("submission-data");
      data = json ? JSON.parse(json.textContent) : null;
    } catch (error) {
      fresh = null;
    }
    const body = root.querySelector("[data-submission-body]");
    if (!fresh || !data || !body) {
      announce(statusTextOf(panel) + " Reload the page to read the verdict.");
      return;
    }
    body.innerHTML = fresh.innerHTML;
    C.drawResultPlots(body, data.result);
    const label = panel.dataset.statusLabel;
    announce(
      panel.dataset.countsAsAttempt === "true"
        ? "Graded: " + label + ". The verdict is below."
        : label + ": not graded, and this did not use an attempt. Details below."
    );
  }

  async function poll() {
    let panel;
    try {
      const { response, doc } = await fetchDocument(statusUrl);
      if ([401, 403, 404].includes(response.status) || response.redirected) {
        announce("This submission can no longer be followed: reload the page and log in again.");
        return;
      }
      panel = doc.querySelector("[data-status-panel]");
      if (!panel) {
        throw new Error("status " + response.status);
      }
    } catch (error) {
      failures += 1;
      if (failures === 3) {
        announce("Lost contact with the server; still trying…");
      }
      setTimeout(poll, Math.min(MAX_BACKOFF_MS, POLL_MS * Math.pow(2, failures)));
      return;
    }
    failures = 0;
    showStatus(panel);
    if (panel.dataset.finished === "true") {
      await showVerdict(panel);
      return;
    }
    announce(statusTextOf(panel));
    setTimeout(poll, POLL_MS);
  }

  if (initial.finished) {
    C.drawResultPlots(root, initial.result);
  } else {
    showStatus(root.querySelector("[data-status-panel]"));  // the bar's aria-valuetext
    setTimeout(poll, POLL_MS);
  }
})();
