// The question edit page: refresh the preview while the instructor types. Without this
// script the "Preview" button does the same with a full page.
(function () {
  "use strict";
  var form = document.querySelector("[data-question-edit]");
  var target = document.querySelector("[data-question-preview]");
  var status = document.getElementById("preview-status");
  if (!form || !target || !window.fetch || !window.FormData) {
    return;
  }
  var timer = null;
  var latest = 0;

  function refresh() {
    var data = new FormData(form);
    data.set("action", "preview");
    var mine = ++latest;
    fetch(window.location.pathname, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Preview": "fragment" },
    })
      .then(function (response) {
        return response.text();
      })
      .then(function (html) {
        if (mine !== latest) {
          return; // a newer preview is on its way
        }
        target.innerHTML = html;
        if (status) {
          status.textContent = "Preview updated.";
        }
      })
      .catch(function () {
        if (status) {
          status.textContent = "The preview could not be updated; use the Preview button.";
        }
      });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 400);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
})();
