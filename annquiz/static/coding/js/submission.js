/* A submission's page, kept live without reloading.
 *
 * While the submission is not finished, its API url is polled about every 700 ms: queued
 * shows the place in the queue, running a progress bar ("seed 2 of 3, epoch 31/50"). Once
 * the verdict is stored, the server-rendered verdict (checks, diagnostics, …) is fetched from
 * this same page and swapped in, and the curves are drawn from the result. Status changes
 * are announced through the page's aria-live region; the progress bar is not, so a screen
 * reader is not interrupted on every epoch.
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

  function statusText(submission) {
    if (submission.status === "queued") {
      return submission.queue_position
        ? "Queued: number " + submission.queue_position + " in the queue."
        : "Queued: waiting for a grading worker.";
    }
    if (submission.status === "running") {
      return "Training and grading your network…";
    }
    return submission.status_label + ".";
  }

  function showBadge(submission) {
    if (!badge) {
      return;
    }
    badge.className = "badge badge-" + submission.status;
    badge.textContent = submission.status_label;
  }

  function showProgress(submission) {
    if (!progress) {
      return;
    }
    const p = submission.progress;
    if (submission.status !== "running" || !p || !p.epochs) {
      progress.hidden = true;
      return;
    }
    progress.hidden = false;
    const nSeeds = p.n_seeds || 1;
    const seed = Math.min(nSeeds, (p.seed_index || 0) + 1);
    const epoch = Math.min(p.epochs, p.epoch || 0);
    // The NumPy backend trains every seed in one pass ("together"); TensorFlow one by one.
    const done = Number.isFinite(p.fraction)
      ? p.fraction
      : ((seed - 1) * p.epochs + epoch) / (nSeeds * p.epochs);
    const bar = progress.querySelector("progress");
    const text = progress.querySelector("[data-progress-text]");
    let label = p.together
      ? nSeeds + " seeds together, epoch " + epoch + "/" + p.epochs
      : "seed " + seed + " of " + nSeeds + ", epoch " + epoch + "/" + p.epochs;
    if (Number.isFinite(p.loss)) {
      label += " · loss " + C.formatFigure(p.loss);
    }
    if (bar) {
      bar.max = 1;
      bar.value = Math.max(0, Math.min(1, done));
      bar.setAttribute("aria-valuetext", label);
    }
    if (text) {
      text.textContent = label;
    }
  }

  /** Swap in the verdict as the server renders it, then draw the curves. */
  async function showVerdict(submission) {
    let fresh = null;
    try {
      const response = await fetch(submission.page_url, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      });
      if (response.ok) {
        const doc = new DOMParser().parseFromString(await response.text(), "text/html");
        fresh = doc.querySelector("[data-submission-body]");
      }
    } catch (error) {
      fresh = null;
    }
    const body = root.querySelector("[data-submission-body]");
    if (fresh && body) {
      body.innerHTML = fresh.innerHTML;
      C.drawResultPlots(body, submission.result);
    } else {
      announce(statusText(submission) + " Reload the page to read the verdict.");
      return;
    }
    announce(
      submission.counts_as_attempt
        ? "Graded: " + submission.status_label + ". The verdict is below."
        : submission.status_label + ": not graded, and this did not use an attempt. Details below."
    );
  }

  async function poll() {
    let submission;
    try {
      const response = await fetch(initial.url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.status === 401 || response.status === 403 || response.status === 404) {
        announce("This submission can no longer be followed: reload the page and log in again.");
        return;
      }
      if (!response.ok) {
        throw new Error("status " + response.status);
      }
      submission = await response.json();
    } catch (error) {
      failures += 1;
      if (failures === 3) {
        announce("Lost contact with the server; still trying…");
      }
      setTimeout(poll, Math.min(MAX_BACKOFF_MS, POLL_MS * Math.pow(2, failures)));
      return;
    }
    failures = 0;
    showBadge(submission);
    showProgress(submission);
    if (submission.finished) {
      await showVerdict(submission);
      return;
    }
    announce(statusText(submission));
    setTimeout(poll, POLL_MS);
  }

  if (initial.finished) {
    C.drawResultPlots(root, initial.result);
  } else {
    showProgress(initial);
    setTimeout(poll, POLL_MS);
  }
})();
