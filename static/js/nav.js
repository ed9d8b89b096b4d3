/* The phone layout: the main navigation folds behind a "Menu" button, and a table wider than its
   box scrolls inside it (and takes keyboard focus, so it can be scrolled without a mouse). */
(function () {
  "use strict";
  var bar = document.querySelector(".topbar");
  var toggle = bar && bar.querySelector(".nav-toggle");
  if (toggle) {
    bar.classList.add("foldable");
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      bar.classList.toggle("open", open);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && bar.classList.contains("open")) {
        toggle.setAttribute("aria-expanded", "false");
        bar.classList.remove("open");
        toggle.focus();
      }
    });
  }
  function markScrollable() {
    document.querySelectorAll("main table, .table-wrap").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        if (!box.hasAttribute("tabindex")) { box.setAttribute("tabindex", "0"); box.dataset.scrollTab = ""; }
      } else if (box.dataset.scrollTab !== undefined) {
        box.removeAttribute("tabindex");
        delete box.dataset.scrollTab;
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", markScrollable);
  else markScrollable();
  window.addEventListener("resize", markScrollable);
  document.addEventListener("htmx:afterSettle", markScrollable);
})();
