/* Choosing and showing submissions side by side.
 *
 * On the task page: the "Compare" button is enabled only while 2 to 4 submissions are
 * ticked (the server checks the same on /tasks/<slug>/compare/?id=…). On the compare page:
 * in each column a small loss plot and a metric plot (accuracy, when the submissions have
 * it), all drawn on one scale per plot (the same value range and epochs), so that the
 * columns compare at a glance.
 */
(function () {
  "use strict";

  const C = window.annquizCoding;
  const MIN = 2;
  const MAX = 4;

  const chooser = document.querySelector("[data-compare-form]");
  if (chooser) {
    const boxes = Array.from(chooser.querySelectorAll("input[type=checkbox][name=id]"));
    const button = chooser.querySelector("button[type=submit]");
    const note = chooser.querySelector("[data-compare-note]");
    const update = () => {
      const chosen = boxes.filter((box) => box.checked).length;
      const ready = chosen >= MIN && chosen <= MAX;
      button.disabled = !ready;
      boxes.forEach((box) => {
        box.disabled = !box.checked && chosen >= MAX;
      });
      if (note) {
        note.textContent =
          chosen < MIN
            ? "Tick " + MIN + " to " + MAX + " submissions to compare them (" + chosen + " ticked)."
            : chosen + " submissions ticked" + (chosen === MAX ? " (the most that fit side by side)." : ".");
      }
    };
    boxes.forEach((box) => box.addEventListener("change", update));
    update();
  }

  const compared = C && C.readJson("submissions-data");
  if (compared) {
    const shared = C.sharedScale(compared.map((s) => s.result).filter(Boolean));
    for (const submission of compared) {
      const column = document.querySelector('[data-compare-column="' + submission.id + '"]');
      if (column && submission.result) {
        C.drawResultPlots(column, submission.result, { compact: true, shared: shared });
      }
    }
  }
})();
