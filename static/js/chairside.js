// Move focus to the error summary after a failed submit, so screen readers announce it.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
  // The language selector submits itself when changed.
  var select = document.getElementById("language-select");
  if (select && select.form) {
    select.addEventListener("change", function () { select.form.submit(); });
  }
});
