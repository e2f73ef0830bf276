// Follows a regrade while it judges: every few seconds, fetch this page again and replace
// its live part; stop once the run is no longer judging (the new part holds the results).
(function () {
  "use strict";
  var INTERVAL_MS = 3000;
  function refresh() {
    var live = document.querySelector("[data-regrade-live]");
    if (!live || !live.hasAttribute("data-judging")) { return; }
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-regrade-live]");
          if (fresh) { live.replaceWith(fresh); }
        }
        window.setTimeout(refresh, INTERVAL_MS);
      })
      .catch(function () { window.setTimeout(refresh, INTERVAL_MS); });
  }
  window.setTimeout(refresh, INTERVAL_MS);
})();
