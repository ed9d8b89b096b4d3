/* Conversations: show the server's answer to a refused message (400 too short or too long,
   429 too fast) in place, as htmx swaps only 2xx answers by default. No inline JS (CSP). */
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var target = event.detail.target;
    if ((status === 400 || status === 429) && target && target.closest && target.closest("[data-conversation]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
