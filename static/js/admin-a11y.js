// Select2 (the admin's autocomplete) leaves its search box unlabelled and puts a <span>
// inside a <ul>; both fail WCAG checks. Label the box and move the span out of the list.
(function () {
  "use strict";
  function fix(root) {
    root.querySelectorAll(".select2-search__field:not([aria-label])").forEach(function (input) {
      var container = input.closest(".select2-container");
      var select = container && container.previousElementSibling;
      var label = select && select.id && document.querySelector('label[for="' + select.id + '"]');
      input.setAttribute("aria-label", "Search " + (label ? label.textContent.replace(":", "").trim() : "choices"));
    });
    root.querySelectorAll("ul.select2-selection__rendered > span").forEach(function (span) {
      span.parentElement.parentElement.insertBefore(span, span.parentElement);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    fix(document);
    new MutationObserver(function () { fix(document); }).observe(document.body, { childList: true, subtree: true });
  });
})();
