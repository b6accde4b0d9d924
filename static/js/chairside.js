// Chairside patient pages: small progressive enhancements (no inline scripts: strict CSP).
document.addEventListener("DOMContentLoaded", function () {
  // Move focus to the error summary after a failed submit, so screen readers announce it.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    // A link in the summary focuses its field and shows the field's label or question too.
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) {
        return;
      }
      var field = document.getElementById(link.getAttribute("href").slice(1));
      if (!field) {
        return;
      }
      event.preventDefault();
      var legend = field.closest("fieldset") && field.type === "radio"
        ? field.closest("fieldset").querySelector("legend")
        : null;
      var label = legend || document.querySelector("label[for='" + field.id + "']") || field;
      label.scrollIntoView();
      field.focus({ preventScroll: true });
    });
  }
  // Private-link pages end after a quiet spell: warn two minutes before, and let the
  // patient carry on (any request to the server restarts the clock).
  var seconds = parseInt(document.body.getAttribute("data-session-seconds"), 10);
  var warning = document.getElementById("session-warning");
  if (seconds > 0 && warning) {
    var timer = null;
    var schedule = function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        warning.hidden = false;
        warning.querySelector("[data-session-extend]").focus();
      }, Math.max(seconds - 120, 30) * 1000);
    };
    warning.querySelector("[data-session-extend]").addEventListener("click", function () {
      window.fetch(window.location.href, { credentials: "same-origin" }).then(function () {
        warning.hidden = true;
        schedule();
      });
    });
    schedule();
  }
  // The language switch waits for its button: a select that reloads the page as soon as
  // it changes would jump away under a keyboard user's arrow keys (WCAG 3.2.2).
});
