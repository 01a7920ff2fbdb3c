/* The paper page: the chosen person's panel asks the server every few seconds
 * (hx-trigger="every 5s"), which answers 204 until the session moved on, then the panel for
 * the new moment. A refresh never wipes what the staff is entering: while a form of the
 * panel has changes not yet sent, the refresh waits. No inline scripts, no eval (the page's
 * CSP forbids both).
 */
(function () {
  "use strict";

  function mark(event) {
    var target = event.target;
    var form = target && target.closest ? target.closest("#paper-panel form") : null;
    if (form) form.dataset.dirty = "1";
  }
  document.addEventListener("input", mark, true);
  document.addEventListener("change", mark, true);

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || elt.id !== "paper-panel") return; // a form's own submit always goes
    if (elt.querySelector("form[data-dirty]")) event.preventDefault();
  });
})();
