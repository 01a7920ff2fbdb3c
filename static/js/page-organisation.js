// A staff page acts in the organisation it was drawn for (issue 14). A person of several
// organisations may switch in another tab; each form sent from this page names this page's
// organisation, so it never acts in the one made active since (workshops/access.py). htmx
// requests carry it in a header (the body's hx-headers).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var organisation = document.body.getAttribute("data-organisation");
    if (!organisation || !(form instanceof HTMLFormElement)) return;
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") return;
    var field = form.querySelector('input[name="puente_organisation"]');
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "puente_organisation";
      form.appendChild(field);
    }
    field.value = organisation;
  }, true);
})();
