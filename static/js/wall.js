/* Puente: hiding a card with a reason (control room and grouping board), and the grouping
 * board itself: a selection that survives the board's refreshes, drag and drop, and a
 * refresh every few seconds while nothing is being edited (so two control rooms converge).
 * No inline scripts, no eval (the page's CSP forbids both).
 */
(function () {
  "use strict";

  var REFRESH_MS = 8000;
  var selected = {}; // card id -> true, on the board
  var dragging = null;

  /* --- hiding a card ------------------------------------------------------------------- */

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-hide-card]") : null;
    if (button) {
      var dialog = document.getElementById("hide-dialog");
      if (!dialog) return;
      var form = dialog.querySelector("form");
      form.reset();
      dialog.querySelector("[data-hide-id]").value = button.dataset.hideCard;
      dialog.querySelector("[data-hide-quote]").textContent = button.dataset.hideText || "";
      dialog.showModal();
      return;
    }
    var close = event.target.closest ? event.target.closest("[data-dialog-close]") : null;
    if (close) {
      var open = close.closest("dialog");
      if (open) open.close();
    }
  });

  document.addEventListener("focusin", function (event) {
    // Typing another reason chooses «Otro motivo».
    if (event.target.id === "hide-other") {
      var other = document.querySelector("[data-hide-other]");
      if (other) other.checked = true;
    }
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-hide-other]")) {
      var input = document.getElementById("hide-other");
      if (input) input.focus();
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (!form.matches || !form.matches("[data-hide-form]")) return;
    var other = form.querySelector("[data-hide-other]");
    var typed = form.querySelector("#hide-other");
    if (other && other.checked && typed && !typed.value.trim()) {
      event.preventDefault();
      typed.setCustomValidity(typed.dataset.required || "Escribe el motivo.");
      typed.reportValidity();
      typed.setCustomValidity("");
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form.matches && form.matches("[data-hide-form]")) {
      var dialog = form.closest("dialog");
      if (dialog) dialog.close();
    }
  });

  /* --- the grouping board -------------------------------------------------------------- */

  function board() {
    return document.querySelector("[data-board]");
  }

  function syncSelection() {
    var count = 0;
    var present = {};
    document.querySelectorAll("[data-select-card]").forEach(function (box) {
      present[box.value] = true;
      box.checked = !!selected[box.value];
      box.closest(".board-card").classList.toggle("is-selected", box.checked);
    });
    Object.keys(selected).forEach(function (id) {
      if (!present[id]) delete selected[id]; // grouped, hidden or gone since
      else count += 1;
    });
    var label = document.querySelector("[data-selected-label]");
    if (label) {
      label.textContent = count === 0 ? label.dataset.none
        : count === 1 ? label.dataset.one : label.dataset.some.replace("{n}", String(count));
    }
    document.querySelectorAll("[data-needs-selection]").forEach(function (button) {
      button.disabled = count === 0;
    });
  }

  // What the facilitator edited inside the board (a suggestion's name or its cards, a
  // theme's new name) survives the board's refreshes until that form is sent.
  var edits = {}; // field key -> value (text) or checked (boolean)
  function fieldKey(field) {
    var form = field.closest("form");
    var owner = form ? (form.querySelector("[name=suggestion], [name=theme]") || {}).value : "";
    return field.name + ":" + (owner || "") + ":" + (field.type === "checkbox" ? field.value : "");
  }
  function remember(field) {
    if (!field.closest || !field.closest("#board form") || !field.name) return;
    edits[fieldKey(field)] = field.type === "checkbox" ? field.checked : field.value;
  }
  function restoreEdits() {
    document.querySelectorAll("#board form input, #board form select").forEach(function (field) {
      var key = fieldKey(field);
      if (!Object.prototype.hasOwnProperty.call(edits, key)) return;
      if (field.type === "checkbox") field.checked = edits[key];
      else field.value = edits[key];
    });
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt.closest ? event.detail.elt.closest("#board form") : null;
    if (!form) return;
    form.querySelectorAll("input, select").forEach(function (field) {
      delete edits[fieldKey(field)];
    });
  });

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.matches && box.matches("[data-select-card]")) {
      if (box.checked) selected[box.value] = true;
      else delete selected[box.value];
      syncSelection();
      return;
    }
    remember(box);
  });
  document.addEventListener("input", function (event) {
    remember(event.target);
  });

  // Folds the facilitator opened stay open when the board is re-read.
  var opened = {};
  document.addEventListener("toggle", function (event) {
    var fold = event.target;
    if (fold.matches && fold.matches("#board details[data-keep-open]") && fold.id) {
      opened[fold.id] = fold.open;
    }
  }, true);

  document.addEventListener("htmx:afterSwap", function (event) {
    if (!board()) return;
    document.querySelectorAll("#board details[data-keep-open]").forEach(function (fold) {
      if (Object.prototype.hasOwnProperty.call(opened, fold.id)) fold.open = opened[fold.id];
    });
    restoreEdits();
    syncSelection();
    // A theme was made from the selection: the name field starts empty for the next one.
    var source = event.detail.requestConfig ? event.detail.requestConfig.elt : null;
    var failed = document.querySelector("#board [role=alert]");
    if (source && source.closest && source.closest("[data-group-form]") && !failed) {
      var name = document.getElementById("theme-name");
      if (name) name.value = "";
      var target = document.querySelector("[data-theme-select]");
      if (target) target.value = "";
    }
  });

  function post(action, values) {
    var el = board();
    if (!el) return;
    htmx.ajax("POST", el.dataset.refresh + action + "/", {
      target: "#board", swap: "outerHTML", values: values
    });
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest ? event.target.closest("[data-card]") : null;
    if (!card || !board()) return;
    dragging = card.dataset.card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragging);
    card.classList.add("is-dragging");
  });
  document.addEventListener("dragend", function (event) {
    var card = event.target.closest ? event.target.closest("[data-card]") : null;
    if (card) card.classList.remove("is-dragging");
    dragging = null;
    document.querySelectorAll(".is-drop-target").forEach(function (el) {
      el.classList.remove("is-drop-target");
    });
  });

  function dropZone(target) {
    if (!target.closest) return null;
    return target.closest("[data-drop-card], [data-drop-theme], [data-drop-loose]");
  }

  document.addEventListener("dragover", function (event) {
    if (!dragging) return;
    var zone = dropZone(event.target);
    if (!zone || zone.dataset.dropCard === dragging) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".is-drop-target").forEach(function (el) {
      if (el !== zone) el.classList.remove("is-drop-target");
    });
    zone.classList.add("is-drop-target");
  });

  document.addEventListener("drop", function (event) {
    if (!dragging) return;
    var zone = dropZone(event.target);
    if (!zone) return;
    event.preventDefault();
    var card = dragging;
    dragging = null;
    if (zone.dataset.dropCard) {
      if (zone.dataset.dropCard !== card) post("merge", { card: card, onto: zone.dataset.dropCard });
    } else if (zone.dataset.dropTheme) {
      post("move", { theme: zone.dataset.dropTheme, cards: card });
    } else if (document.querySelector(".theme-box [data-card='" + card + "']")) {
      post("ungroup-card", { card: card });
    }
  });

  // A refresh never swaps the board under a hand that is moving (a click could land on
  // an element being replaced), nor while a request of the board's is on its way.
  var lastActivity = 0;
  var lastChangeAt = 0;
  var refreshAskedAt = 0;
  ["pointerdown", "keydown", "wheel", "touchstart"].forEach(function (type) {
    document.addEventListener(type, function () { lastActivity = Date.now(); }, true);
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var config = event.detail.requestConfig || {};
    if (config.verb && config.verb !== "get") lastChangeAt = Date.now();
  });
  // A refresh that left before a change and comes back after it would show the old board:
  // each request carries when it left.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.xhr) event.detail.xhr.puenteAskedAt = Date.now();
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var config = event.detail.requestConfig || {};
    var asked = event.detail.xhr ? event.detail.xhr.puenteAskedAt : refreshAskedAt;
    if (config.verb === "get" && board() && asked && asked < lastChangeAt) {
      event.detail.shouldSwap = false;
    }
  });

  function editing() {
    if (Date.now() - lastActivity < 4000) return true;
    if (document.querySelector("#board .htmx-request, #group-form.htmx-request, #board.htmx-request")) {
      return true;
    }
    var active = document.activeElement;
    if (active && active.closest && active.closest("#board form, #group-form, dialog")) {
      if (active.matches("input[type=text], select, textarea")) return true;
    }
    if (document.querySelector("dialog[open]")) return true;
    return dragging !== null;
  }

  window.setInterval(function () {
    var el = board();
    if (!el || document.visibilityState !== "visible" || editing()) return;
    refreshAskedAt = Date.now();
    htmx.ajax("GET", el.dataset.refresh, { target: "#board", swap: "outerHTML" });
  }, REFRESH_MS);

  document.addEventListener("DOMContentLoaded", syncSelection);
})();
