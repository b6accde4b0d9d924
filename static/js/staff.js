// Chairside staff pages: small fixes on top of Django's admin (no inline scripts: strict CSP).
(function () {
  // A search-as-you-type patient picker (the admin's select2) is named by its field's label,
  // so a screen reader says what it is for; select2 names it only by the current choice.
  function namePickers() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var label = document.querySelector("label[for='" + select.id + "']");
      var container = select.nextElementSibling;
      var box = container && container.querySelector(".select2-selection");
      var shown = container && container.querySelector(".select2-selection__rendered");
      if (!label || !box) {
        return;
      }
      if (!label.id) {
        label.id = select.id + "-label";
      }
      box.setAttribute("aria-labelledby", label.id + (shown ? " " + shown.id : ""));
      if (shown) {
        shown.setAttribute("aria-labelledby", label.id);
      }
    });
  }
  // The admin starts select2 in a jQuery "ready" handler (run after DOMContentLoaded);
  // a handler added later runs after it.
  if (window.django && window.django.jQuery) {
    window.django.jQuery(namePickers);
  } else {
    document.addEventListener("DOMContentLoaded", namePickers);
  }
})();
