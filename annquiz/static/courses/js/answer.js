/* Answer a lesson's questions in place.
 *
 * Each question's form also works without this script (a normal POST that comes back to
 * #question-KEY). With it, the form is posted with fetch and the header
 * "X-Requested-With: fetch"; the server replies with that question's section alone, and the
 * feedback, the attempts line and the error area are swapped in. The page does not reload
 * and its scroll position stays where it was.
 */
(function () {
  "use strict";

  var PARTS = ["[data-feedback]", "[data-attempts]", "[data-answer-error]"];

  function showError(section, message) {
    var area = section.querySelector("[data-answer-error]");
    if (!area) {
      return;
    }
    area.textContent = "";
    var p = document.createElement("p");
    p.className = "error";
    p.textContent = message;
    area.appendChild(p);
  }

  function swapIn(section, fresh) {
    PARTS.forEach(function (selector) {
      var current = section.querySelector(selector);
      var replacement = fresh.querySelector(selector);
      if (current && replacement) {
        current.innerHTML = replacement.innerHTML;
      }
    });
    var fieldset = section.querySelector("fieldset");
    var freshFieldset = fresh.querySelector("fieldset");
    if (fieldset && freshFieldset) {
      // Solved or out of attempts: the form closes, with the server's words for why.
      fieldset.disabled = freshFieldset.disabled;
      var actions = fieldset.querySelector(".answer-actions");
      var freshActions = freshFieldset.querySelector(".answer-actions");
      if (actions && freshActions) {
        actions.innerHTML = freshActions.innerHTML;
      }
    }
  }

  async function submit(form) {
    var section = form.closest("[data-question]");
    var button = form.querySelector("button[type=submit]");
    var fieldset = form.querySelector("fieldset");
    var x = window.scrollX;
    var y = window.scrollY;
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    var body = new FormData(form);
    section.setAttribute("aria-busy", "true");
    if (button) {
      button.disabled = true;
    }
    try {
      var response = await fetch(form.action, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: {
          "X-Requested-With": "fetch",
          "X-CSRFToken": token ? token.value : "",
          Accept: "text/html",
        },
      });
      var type = response.headers.get("Content-Type") || "";
      if (response.redirected || type.indexOf("text/html") !== 0) {
        showError(section, "Your session has ended: reload the page and log in again.");
        return;
      }
      var html = await response.text();
      var doc = new DOMParser().parseFromString(html, "text/html");
      var fresh = doc.querySelector("[data-question]");
      if (!fresh) {
        showError(section, "The answer could not be stored (error " + response.status + "). Try again.");
        return;
      }
      swapIn(section, fresh);
      window.scrollTo(x, y);
      var feedback = section.querySelector("[data-feedback]");
      if (response.ok && feedback) {
        feedback.focus({ preventScroll: true });
      }
    } catch (error) {
      showError(section, "The answer could not be sent: check your connection and try again.");
    } finally {
      section.removeAttribute("aria-busy");
      if (button && !(fieldset && fieldset.disabled)) {
        button.disabled = false;
      }
      window.scrollTo(x, y);
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-answer-form")) {
      return;
    }
    if (!window.fetch || !window.DOMParser || !window.FormData) {
      return; // the plain POST still works
    }
    event.preventDefault();
    submit(form);
  });
})();
